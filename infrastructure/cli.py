"""Command line: ``incidentflow <command>``. Thin: parse, call the service, render."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
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

    settings = Settings()
    system = _open(settings)
    bind_host = host or settings.host
    bind_port = port or settings.port
    typer.echo(f"Incidentflow on http://{bind_host}:{bind_port} (store: {_safe_url(settings.database_url)})")
    typer.echo(f"API docs: http://{bind_host}:{bind_port}/docs")
    if settings.scheduler_in_serve:
        typer.echo(f"Deadline scheduler: a sweep every {settings.tick_seconds:g} s")
    app_ = create_app(lambda: system, run_scheduler=settings.scheduler_in_serve)
    uvicorn.run(app_, host=bind_host, port=bind_port, log_level="info")


def _open(settings: Settings | None = None, at: datetime | None = None) -> System:
    """Bootstrap, turning a bad policy file or database URL into a message and exit code 2."""
    try:
        return bootstrap(settings, clock=FixedClock(at) if at else None)
    except (PolicyError, DatabaseUrlError) as error:
        typer.echo(f"error: {error}", err=True)
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
    import logging

    from infrastructure.scheduler import blocking_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings()
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
