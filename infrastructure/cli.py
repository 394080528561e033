"""Command line: ``incidentflow <command>``. Thin: parse, call the service, render."""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import sys
import threading
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from application.clock import FixedClock
from domain.errors import PolicyError
from infrastructure.bootstrap import System, bootstrap
from infrastructure.persistence import DatabaseUrlError
from infrastructure.settings import Settings

app = typer.Typer(help="Incidentflow: NHS patient-safety incident lifecycles.", no_args_is_help=True)
policy_app = typer.Typer(help="Check policy files.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
projections_app = typer.Typer(help="Read models: follow, rebuild, status.", no_args_is_help=True)
app.add_typer(projections_app, name="projections")
report_app = typer.Typer(help="Reports from the read models.", no_args_is_help=True)
app.add_typer(report_app, name="report")


def _parse_instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 instant") from None
    if instant.tzinfo is None:
        raise typer.BadParameter("give the instant with a UTC offset, e.g. 2026-05-02T09:00:00+01:00")
    return instant


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the HTTP service on the configured store (INCIDENTFLOW_DATABASE_URL)."""
    import uvicorn

    from infrastructure.api.app import create_app

    settings = _settings()
    system = _open(settings)
    bind_host = host or settings.host
    bind_port = port or settings.port
    typer.echo(f"Incidentflow on http://{bind_host}:{bind_port} (store: {_safe_url(settings.database_url)})")
    typer.echo(f"Dashboard: http://{bind_host}:{bind_port}/dashboard")
    typer.echo(f"API docs: http://{bind_host}:{bind_port}/docs")
    if settings.scheduler_in_serve:
        typer.echo(f"Deadline scheduler: a sweep every {settings.tick_seconds:g} s")
    app_ = create_app(lambda: system, run_scheduler=settings.scheduler_in_serve, follow_projections=True)
    uvicorn.run(app_, host=bind_host, port=bind_port, log_level="info")


def _open(settings: Settings | None = None, at: datetime | None = None) -> System:
    """Bootstrap, turning a bad policy file or database URL into a message and exit code 2."""
    try:
        return bootstrap(settings or _settings(), clock=FixedClock(at) if at else None)
    except (PolicyError, DatabaseUrlError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


def _settings() -> Settings:
    """Settings from the environment; a bad value is a clear message and exit code 2."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"INCIDENTFLOW_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in error.errors()
        )
        typer.echo(f"error: bad setting: {problems}", err=True)
        raise typer.Exit(2) from None


def _safe_url(database_url: str) -> str:
    """The database URL with any password hidden, for printing."""
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return database_url


@app.command()
def tick(
    at: Annotated[
        str | None,
        typer.Option("--at", help="Sweep as if the time were this ISO instant (default: now)."),
    ] = None,
) -> None:
    """Run one deadline sweep and print a JSON summary. Repeating it records nothing new."""
    now = datetime.now(UTC)
    instant = _parse_instant(at) or now
    if instant > now:
        raise typer.BadParameter(
            f"{instant.isoformat()} is in the future: a sweep records events as at that instant, "
            "which would block every later command on those incidents",
            param_hint="--at",
        )
    system = _open(at=instant)
    try:
        summary = system.sweeper.sweep(instant)
    finally:
        system.close()
    typer.echo(json.dumps(asdict(summary), indent=2))


@app.command()
def scheduler(
    every: Annotated[
        float | None, typer.Option(help="Seconds between sweeps (INCIDENTFLOW_TICK_SECONDS).")
    ] = None,
) -> None:
    """Run the deadline scheduler on its own (any number may run against PostgreSQL)."""
    from infrastructure.scheduler import blocking_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = _settings()
    system = _open(settings)
    interval = every or settings.tick_seconds
    typer.echo(f"Deadline scheduler: a sweep every {interval:g} s on {_safe_url(settings.database_url)}")
    try:
        blocking_scheduler(system, interval).start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        system.close()


@app.command()
def history(
    incident: Annotated[str, typer.Argument(help="Incident id or reference (INC-2026-000042).")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Only events recorded by this ISO instant.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print an incident's full history, in order."""
    from application.errors import IncidentNotFound

    instant = _parse_instant(as_of)
    system = _open()
    service = system.service
    try:
        result = service.history(service.resolve(incident), as_of=instant)
    except IncidentNotFound as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        system.close()
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    for event in result["events"]:
        typer.echo(f"v{event['version']:<3} {event['recorded_at']}  {event['type']:<26} by {event['actor']}")
        for line in _summary(event["data"]):
            typer.echo(f"      {line}")


def _summary(data: dict[str, Any]) -> list[str]:
    lines = []
    for key, value in data.items():
        if key == "clocks":
            for change in value:
                target = change.get("due") or change.get("on") or change.get("reason")
                lines.append(f"clock {change['kind']}: {change['change']} {target or ''}".rstrip())
        elif value not in (None, "", [], {}):
            text = json.dumps(value) if isinstance(value, dict | list) else str(value)
            lines.append(f"{key}: {text[:120]}")
    return lines


@policy_app.command("check")
def policy_check(
    path: Annotated[Path, typer.Argument(help="A policy TOML file, or a policy directory.")],
) -> None:
    """Validate a policy file (or a whole policy directory) and say what it holds."""
    from domain.policy import check_policy_file, load_policy

    try:
        if path.is_dir():
            policy = load_policy(path)
            typer.echo(
                f"{path}: valid policy: {len(policy.profiles)} profiles, "
                f"{len(policy.never_events)} Never Event types, "
                f"{len(policy.national_priorities)} national priorities, "
                f"{len(policy.response_plans)} response plans"
            )
        else:
            typer.echo(f"{path}: valid: {check_policy_file(path)}")
    except PolicyError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


class _Bar:
    """A progress bar for rebuilds, created when the first progress report arrives."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._bar: Any = None
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = typer.progressbar(length=max(total, 1), label=self.label, file=sys.stderr)
            self._bar.__enter__()
        self._bar.length = max(total, done, 1)
        self._bar.update(done - self._done)
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


def _open_with_bars(settings: Settings | None = None) -> System:
    bars: list[_Bar] = []

    def progress(name: str) -> _Bar:
        bars.append(_Bar(f"rebuild {name} (its version changed)"))
        return bars[-1]

    try:
        return bootstrap(settings or _settings(), progress=progress)
    except (PolicyError, DatabaseUrlError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    finally:
        for bar in bars:
            bar.close()


@projections_app.command("run")
def projections_run(
    once: Annotated[bool, typer.Option("--once", help="Catch up, then exit.")] = False,
    poll: Annotated[float, typer.Option(help="Seconds between polls (SQLite).")] = 1.0,
    batch_size: Annotated[int, typer.Option(min=1, max=100_000, help="Events per transaction.")] = 1000,
) -> None:
    """Keep every read model up to date (any number of workers may run on PostgreSQL)."""
    system = _open_with_bars()
    system.projections.batch_size = batch_size
    try:
        if once:
            applied = system.projections.catch_up()
            typer.echo(json.dumps({"applied": applied, "head": system.projections.head()}))
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        typer.echo("Following the event log; Ctrl-C to stop.")
        with contextlib.suppress(KeyboardInterrupt):
            system.projections.follow(stop, poll_seconds=poll)
    finally:
        system.close()


@projections_app.command("rebuild")
def projections_rebuild(
    name: Annotated[str | None, typer.Argument(help="One read model; default all.")] = None,
) -> None:
    """Rebuild read models from the start of the log beside the live ones, then swap them
    in: queries keep answering meanwhile."""
    system = _open_with_bars()
    try:
        names = [name] if name else list(system.projections.views)
        unknown = [n for n in names if n not in system.projections.views]
        if unknown:
            known = ", ".join(system.projections.views)
            typer.echo(f"error: no read model {unknown[0]!r}; the read models are: {known}", err=True)
            raise typer.Exit(2)
        bar = _Bar("rebuild " + ", ".join(names))
        try:
            generations = system.projections.rebuild(names, bar)
        finally:
            bar.close()
        for view, generation in generations.items():
            typer.echo(f"{view}: rebuilt as generation {generation} and swapped in")
    finally:
        system.close()


@projections_app.command("status")
def projections_status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Each read model's position, the log head, and the lag in events and seconds."""
    system = _open_with_bars()
    try:
        status = system.projections.status()
    finally:
        system.close()
    if as_json:
        typer.echo(json.dumps(status, indent=2))
        return
    typer.echo(f"{'view':<12} {'gen':>4} {'position':>10} {'head':>10} {'lag':>8} {'lag s':>8}")
    for row in status:
        typer.echo(
            f"{row['name']:<12} {row['generation'] or '-':>4} {row['position']:>10} {row['head']:>10} "
            f"{row['lag_events']:>8} {row['lag_seconds']:>8}"
        )


@report_app.command("board")
def report_board(
    from_: Annotated[str, typer.Option("--from", help="First date (YYYY-MM-DD).")],
    to: Annotated[str, typer.Option("--to", help="Last date (YYYY-MM-DD).")],
    year_start: Annotated[
        str | None, typer.Option(help="MM-DD the reporting year starts (default 04-01).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV output.")] = False,
) -> None:
    """The board report (seed 002 §6.2): one column per reporting year."""
    from projections.reports import board_csv, board_table, check_report_range, parse_year_start

    try:
        start, end = date.fromisoformat(from_), date.fromisoformat(to)
    except ValueError:
        raise typer.BadParameter("give --from and --to as YYYY-MM-DD") from None
    try:
        check_report_range(start, end)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    settings = _settings()
    try:
        first_day = parse_year_start(year_start or settings.reporting_year_start)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--year-start") from None
    system = _open_with_bars(settings)
    try:
        report = system.read_models.board(start, end, first_day)
    finally:
        system.close()
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    elif as_csv:
        typer.echo(board_csv(report), nl=False)
    else:
        typer.echo(board_table(report))


@app.command()
def demo(
    incidents: Annotated[int, typer.Option(min=1, max=200_000, help="How many incidents.")] = 500,
    seed: Annotated[int, typer.Option(help="The same seed gives the same population.")] = 1,
) -> None:
    """Load a reproducible synthetic population through the application layer."""
    from application.demo import load_demo

    clock = FixedClock(datetime.now(UTC))
    system = _open(at=clock.now())
    system.service.clock = clock
    try:
        with typer.progressbar(length=incidents, label="demo incidents", file=sys.stderr) as bar:
            summary = load_demo(system.service, system.sweeper, clock, incidents, seed, progress=bar.update)
        system.projections.catch_up()
    finally:
        system.close()
    typer.echo(json.dumps(asdict(summary), indent=2, default=str))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
