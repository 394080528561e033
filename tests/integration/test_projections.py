"""Read models on a real store: rebuilds equal the live views, workers never double-apply,
changed views are rebuilt, and a worker killed mid catch-up loses nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select

from application import commands as c
from application.clock import FixedClock
from domain.enums import PhysicalHarm, Profile, PsychologicalHarm, ResponseType
from domain.incident import CommandContext, Incident
from domain.numbering import IncidentNumbering
from infrastructure.bootstrap import System, bootstrap
from infrastructure.settings import Settings
from projections import tracking
from projections.database import read_model_engine
from projections.deadlines import DeadlinesView
from projections.incidents import IncidentFilters, IncidentsView
from projections.runner import Projections

LONDON = ZoneInfo("Europe/London")


def busy_history(system: System, clock: FixedClock) -> list[UUID]:
    """Incidents through most of the lifecycle: clocks set, met, extended, waived,
    reminded and breached; investigations, actions, a downgrade and a closure."""
    service = system.service
    clock.set(datetime(2026, 6, 1, 10, tzinfo=LONDON))
    ids = []
    for n, harm in enumerate(("moderate", "none", "severe", "low", "fatal")):
        created = service.report(
            c.ReportIncident(
                organisation=f"R{n % 3}",
                commissioner="QUE",
                profile="sif-2015" if n % 2 == 0 else "psirf-2022",
                occurred_at="2026-06-01T08:00:00+01:00",
                identified_at="2026-06-01T09:00:00+01:00",
                reported_at="2026-06-01T09:30:00+01:00",
                location=f"Ward {n}",
                care_setting="acute",
                category=("medication", "falls", "surgery")[n % 3],
                description="Dose omitted",
                physical_harm=harm,
            ),
            actor="alice",
        )
        ids.append(UUID(created["id"]))
    sif_serious, psirf, sif_severe, psirf_low, sif_fatal = ids
    service.classify(
        sif_serious,
        c.Classify(
            physical_harm="moderate",
            psychological_harm="none",
            serious_incident=True,
            never_event="wrong_route",
            rationale="Never Event",
        ),
        actor="bob",
    )
    service.report_to_commissioner(
        sif_serious, c.ReportToCommissioner(reference="S1", reported_on=date(2026, 6, 1)), actor="bob"
    )
    service.start_investigation(
        sif_serious,
        c.StartInvestigation(
            response_type="level2", lead="Dr A", started_on=date(2026, 6, 1), coroner_initiated=True
        ),
        actor="bob",
    )
    service.classify(
        psirf,
        c.Classify(physical_harm="none", psychological_harm="none", rationale="no harm"),
        actor="bob",
    )
    service.start_investigation(
        psirf,
        c.StartInvestigation(response_type="aar", lead="Ward lead", started_on=date(2026, 6, 1)),
        actor="bob",
    )
    service.submit_investigation_report(
        psirf,
        c.SubmitInvestigationReport(submitted_on=date(2026, 6, 1), findings="Learning"),
        actor="bob",
    )
    service.agree_action(
        psirf,
        c.AgreeAction(
            action_id="A1",
            description="Checklist",
            owner="Matron",
            due=date(2026, 6, 5),
            agreed_on=date(2026, 6, 1),
        ),
        actor="bob",
    )
    service.agree_extension(
        sif_severe,
        c.AgreeExtension(
            deadline="initial_review", new_due=date(2026, 6, 11), reason="leave", approved_by="ICB"
        ),
        actor="bob",
    )
    service.waive_deadline(
        sif_serious, c.WaiveDeadline(deadline="initial_review", reason="joint review"), actor="bob"
    )
    service.classify(
        sif_fatal,
        c.Classify(
            physical_harm="fatal", psychological_harm="none", serious_incident=True, rationale="death"
        ),
        actor="bob",
    )
    service.request_downgrade(sif_fatal, c.RequestDowngrade(rationale="natural course"), actor="bob")
    service.decide_downgrade(sif_fatal, c.DecideDowngrade(approved=True, rationale="agreed"), actor="icb")
    service.classify(
        psirf_low, c.Classify(physical_harm="low", psychological_harm="none", rationale="low"), actor="bob"
    )
    service.close_incident(psirf_low, c.Close(closed_on=date(2026, 6, 1)), actor="bob")
    at = datetime(2026, 6, 9, 9, tzinfo=LONDON)
    clock.set(at)
    system.sweeper.sweep(at)
    return ids


def snapshot(projections: Projections, name: str, generation: int | None = None) -> dict[str, list[Any]]:
    """Every row of every table of a view's live (or given) generation, in a stable order."""
    with projections.engine.connect() as conn:
        if generation is None:
            tables = projections.tables(conn, name)
        else:
            tables = projections.views[name].tables(__import__("sqlalchemy").MetaData(), generation)
        result = {}
        for key, table in tables.items():
            order = [col for col in table.primary_key.columns]
            result[key] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
        return result


def live_generation(projections: Projections, name: str) -> int:
    with projections.engine.connect() as conn:
        current = tracking.active(conn, name)
    assert current is not None
    return current.generation


def test_all_views_rebuilt_in_one_pass_equal_the_live_views(system: System, clock: FixedClock) -> None:
    busy_history(system, clock)
    system.projections.catch_up()
    live = {name: snapshot(system.projections, name) for name in system.projections.views}
    generations = system.projections.rebuild(list(system.projections.views))
    assert set(generations) == {"incidents", "deadlines"}
    assert {name: snapshot(system.projections, name) for name in system.projections.views} == live


def test_every_view_rebuilt_from_the_log_equals_the_live_view(system: System, clock: FixedClock) -> None:
    busy_history(system, clock)
    system.projections.catch_up()
    for name in system.projections.views:
        live = snapshot(system.projections, name)
        assert all(live.values()), f"{name} has an empty table: the test proves nothing"
        before = live_generation(system.projections, name)
        generation = system.projections.rebuild(name)[name]
        assert generation > before
        assert snapshot(system.projections, name) == live, name


def test_queries_keep_answering_during_a_rebuild(system: System, clock: FixedClock) -> None:
    ids = busy_history(system, clock)
    system.projections.catch_up()
    system.projections.rebuild_batch_size = 3
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        page = system.read_models.incidents(IncidentFilters(), date(2026, 6, 9))
        seen.append(page["total"])

    system.projections.rebuild("incidents", progress)
    assert len(seen) > 3 and set(seen) == {len(ids)}


def test_a_view_changed_in_code_is_rebuilt_at_start_up(system: System, clock: FixedClock) -> None:
    busy_history(system, clock)
    system.projections.catch_up()
    live = snapshot(system.projections, "incidents")
    before = live_generation(system.projections, "incidents")

    class ChangedIncidentsView(IncidentsView):
        version = "incidents-changed-in-code"

    changed = Projections(system.service.store, system.engine, [ChangedIncidentsView()])
    changed.setup()
    assert live_generation(changed, "incidents") == before + 1
    assert snapshot(changed, "incidents") == live
    with system.engine.connect() as conn:
        assert tracking.active(conn, "incidents").version == "incidents-changed-in-code"  # type: ignore[union-attr]


def test_a_change_of_reminder_policy_changes_the_deadlines_version(system: System) -> None:
    policy = system.service.policy.calendar
    default = DeadlinesView(system.service.calendar, policy)
    wider = DeadlinesView(system.service.calendar, policy.model_copy(update={"reminder_working_days": 5}))
    holiday = DeadlinesView(
        system.service.calendar, policy.model_copy(update={"extra_holidays": (date(2026, 9, 9),)})
    )
    assert len({default.version, wider.version, holiday.version}) == 3


def test_concurrent_workers_apply_each_event_once(
    system: System, clock: FixedClock, settings: Settings
) -> None:
    busy_history(system, clock)  # written, not yet projected
    engines = [read_model_engine(settings.database_url) for _ in range(3)]
    workers = [
        Projections(system.service.store, engine, list(system.projections.views.values()), batch_size=2)
        for engine in engines
    ]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(workers))

    def run(worker: Projections) -> None:
        barrier.wait()
        try:
            worker.catch_up()
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    try:
        threads = [threading.Thread(target=run, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        for name in system.projections.views:
            live = snapshot(system.projections, name)
            system.projections.rebuild(name)
            assert snapshot(system.projections, name) == live, name
    finally:
        for engine in engines:
            engine.dispose()


def test_a_worker_waits_for_another_that_holds_the_position(
    system: System, clock: FixedClock, settings: Settings
) -> None:
    """While one worker's batch is open, another cannot read the same position, so it can
    never apply the same events: it waits, then continues from the committed position."""
    busy_history(system, clock)
    engine = read_model_engine(settings.database_url)
    waiter = Projections(system.service.store, engine, [IncidentsView()])
    head = system.service.event_count()
    generation = live_generation(system.projections, "incidents")
    applied: list[int] = []
    try:
        with system.engine.begin() as conn:
            assert tracking.lock(conn, "incidents", generation) == 0
            thread = threading.Thread(target=lambda: applied.append(waiter.catch_up("incidents")))
            thread.start()
            thread.join(timeout=1.0)
            assert thread.is_alive(), "the second worker did not wait for the held position"
            tracking.save(conn, "incidents", generation, head)
        thread.join(timeout=30)
        assert applied == [0], "the second worker re-applied events another had claimed"
    finally:
        engine.dispose()


def populate_directly(system: System, clock: FixedClock, incidents: int) -> None:
    """Many incidents quickly: domain commands in memory, saved many per transaction."""
    service = system.service
    clock.set(datetime(2026, 3, 2, 12, tzinfo=LONDON))
    numbering = IncidentNumbering.start(2026, clock.now())
    ctx = CommandContext("loader", clock.now(), service.policy, service.calendar)
    identified = datetime(2026, 3, 2, 9, tzinfo=LONDON)
    for first in range(0, incidents, 250):
        batch = []
        for n in range(first, min(first + 250, incidents)):
            incident = Incident.report(
                ctx,
                reference=numbering.allocate(clock.now()),
                profile=Profile.SIF_2015 if n % 2 else Profile.PSIRF_2022,
                organisation=f"R{n % 9}",
                commissioner="QUE",
                occurred_at=identified - timedelta(hours=1),
                identified_at=identified,
                reported_at=identified + timedelta(hours=1),
                location="Ward",
                care_setting="acute",
                category=("falls", "medication", "surgery")[n % 3],
                description="generated",
                immediate_actions="",
                physical_harm=PhysicalHarm.MODERATE if n % 4 == 0 else PhysicalHarm.LOW,
                psychological_harm=PsychologicalHarm.NONE,
                patient=None,
            )
            incident.classify(
                ctx,
                physical_harm=incident.physical_harm,
                psychological_harm=PsychologicalHarm.NONE,
                prolonged_psychological_harm=False,
                never_event=None,
                national_priority=None,
                local_priority=None,
                serious_incident=bool(n % 2) if n % 2 else None,
                rationale="graded",
            )
            if n % 3 == 0:
                incident.start_investigation(
                    ctx,
                    response_type=ResponseType.LEVEL1 if n % 2 else ResponseType.AAR,
                    lead="Lead",
                    started_on=identified.date(),
                    coroner_initiated=False,
                )
            batch.append(incident)
        service.store.save(numbering, *batch)


def test_a_worker_killed_at_random_points_then_restarted_equals_a_clean_rebuild(
    system: System, clock: FixedClock, settings: Settings, tmp_path: Path
) -> None:
    populate_directly(system, clock, incidents=2000)
    head = system.service.event_count()
    env = {**os.environ, "INCIDENTFLOW_DATABASE_URL": settings.database_url}
    command = [
        sys.executable,
        "-m",
        "infrastructure.cli",
        "projections",
        "run",
        "--once",
        "--batch-size",
        "3",
    ]
    chance = random.Random(20261125)
    positions: list[list[int]] = []

    def progress() -> int:
        return sum(p["position"] for p in system.projections.status())

    views = len(system.projections.views)
    for attempt in range(4):
        # Kill it once it has applied a random share of what is left (polled closely).
        target = progress() + chance.uniform(0.05, 0.6) * (views * head - progress())
        with (tmp_path / f"worker{attempt}.log").open("w") as log:
            worker = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while progress() < target and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        positions.append([p["position"] for p in system.projections.status()])
    midway = [p for attempt in positions for p in attempt if 0 < p < head]
    assert midway, f"no kill landed mid catch-up: {positions} of {head}"

    finished = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    for name in system.projections.views:
        live = snapshot(system.projections, name)
        system.projections.rebuild(name)
        assert snapshot(system.projections, name) == live, name


def test_status_reports_position_head_and_lag(system: System, clock: FixedClock) -> None:
    busy_history(system, clock)
    behind = {row["name"]: row for row in system.projections.status()}
    assert behind["incidents"]["lag_events"] == behind["incidents"]["head"] > 0
    assert behind["incidents"]["lag_seconds"] > 0
    system.projections.catch_up()
    caught_up = {row["name"]: row for row in system.projections.status()}
    assert all(row["lag_events"] == 0 and row["lag_seconds"] == 0 for row in caught_up.values())


def test_fresh_store_bootstraps_every_view(settings: Settings, clock: FixedClock) -> None:
    system = bootstrap(settings, clock=clock)
    try:
        assert {row["name"] for row in system.projections.status()} == {"incidents", "deadlines"}
    finally:
        system.close()


def test_a_following_worker_keeps_the_views_up_to_date(
    system: System, clock: FixedClock, settings: Settings, tmp_path: Path
) -> None:
    """`incidentflow projections run` follows the log (LISTEN/NOTIFY on PostgreSQL,
    polling on SQLite) and stops cleanly on SIGTERM."""
    env = {**os.environ, "INCIDENTFLOW_DATABASE_URL": settings.database_url}
    with (tmp_path / "follow.log").open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "infrastructure.cli", "projections", "run", "--poll", "0.2"],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        for round_ in range(2):
            if round_ == 0:
                busy_history(system, clock)
            else:
                system.service.classify(
                    system.service.resolve("INC-2026-000002"),
                    c.Classify(physical_harm="low", psychological_harm="none", rationale="regraded"),
                    actor="carol",
                )
            head = system.service.event_count()
            deadline = time.monotonic() + 30
            while min(p["position"] for p in system.projections.status()) < head:
                assert worker.poll() is None, (tmp_path / "follow.log").read_text()
                assert time.monotonic() < deadline, "the worker did not catch up"
                time.sleep(0.05)
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=30)
    assert code == 0, (tmp_path / "follow.log").read_text()


def test_workers_wake_on_new_events(system: System, clock: FixedClock) -> None:
    """On PostgreSQL a waiting worker is woken by the store's NOTIFY, not by its timer;
    on SQLite (no notifications) it polls."""
    from projections.runner import _notification_waiter, _sleep

    waiter = _notification_waiter(system.service.store, system.projections.listen_env)
    if system.projections.listen_env is None:
        assert waiter is _sleep
        return
    try:
        writer = threading.Timer(0.5, busy_history, args=(system, clock))
        writer.start()
        started = time.monotonic()
        waiter(20.0, threading.Event())
        writer.join()
        assert time.monotonic() - started < 10, "the worker slept through the notification"
    finally:
        waiter.close()  # type: ignore[attr-defined]


def test_the_deadlines_view_agrees_with_each_incident(system: System, clock: FixedClock) -> None:
    """Every clock in the view has the incident's own due date and status, including a
    clock set again after a breach (its history is kept, as the aggregate keeps it)."""
    ids = busy_history(system, clock)
    service = system.service
    regraded = ids[1]  # PSIRF, no harm: classify moderate, breach the candour clock, regrade
    clock.set(datetime(2026, 6, 10, 10, tzinfo=LONDON))
    moderate = c.Classify(physical_harm="moderate", psychological_harm="none", rationale="worse")
    service.classify(regraded, moderate, actor="bob")
    at = datetime(2026, 6, 20, 9, tzinfo=LONDON)
    clock.set(at)
    system.sweeper.sweep(at)
    service.classify(
        regraded, c.Classify(physical_harm="low", psychological_harm="none", rationale="better"), actor="bob"
    )
    service.classify(regraded, moderate, actor="bob")
    candour = next(d for d in service.get(regraded)["deadlines"] if d["kind"] == "candour_notification")
    assert candour["status"] == "breached" and candour["history"]

    total, rows = system.read_models.deadlines(at.date(), limit=1000)
    view = {(r["incident_id"], r["kind"]): (r["due"], r["status"]) for r in rows}
    own = {
        (str(incident), d["kind"]): (d["due"], d["status"])
        for incident in ids
        for d in service.get(incident)["deadlines"]
    }
    assert total == len(own) and view == own
    listed = {
        i["id"]: i["open_breaches"]
        for i in system.read_models.incidents(IncidentFilters(), at.date())["items"]
    }
    for incident in ids:
        breached = sum(1 for d in service.get(incident)["deadlines"] if d["status"] == "breached")
        assert listed[str(incident)] == breached, incident
    assert system.sweeper.sweep(at).already_recorded == 0


def test_the_follower_survives_losing_its_database_connection(
    system: System, clock: FixedClock, settings: Settings, monkeypatch: Any
) -> None:
    """A dropped LISTEN connection (PostgreSQL) is opened again; the follower goes on."""
    import projections.runner

    monkeypatch.setattr(projections.runner, "RETRY_SECONDS", 0.2)
    stop = threading.Event()
    follower = threading.Thread(target=system.projections.follow, args=(stop, 0.2), daemon=True)
    follower.start()
    try:
        time.sleep(0.5)
        if system.projections.listen_env is not None:
            with system.engine.begin() as conn:
                killed = conn.exec_driver_sql(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE query LIKE 'LISTEN%%' AND pid <> pg_backend_pid()"
                ).scalar_one()
            assert killed >= 1
        busy_history(system, clock)
        head = system.service.event_count()
        deadline = time.monotonic() + 20
        while min(p["position"] for p in system.projections.status()) < head:
            assert follower.is_alive(), "the follower died"
            assert time.monotonic() < deadline, "the follower did not catch up"
            time.sleep(0.05)
    finally:
        stop.set()
        follower.join(timeout=10)
