"""The due-deadlines read model: rebuilds equal the live view; concurrent runners agree."""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from application import commands as c
from application.clock import FixedClock
from infrastructure.bootstrap import System
from infrastructure.settings import Settings
from projections.database import read_model_engine
from projections.deadlines import DeadlinesProjection, deadlines
from projections.runner import ProjectionRunner
from projections.tracking import lock_position, save_position

LONDON = ZoneInfo("Europe/London")


def busy_history(system: System, clock: FixedClock) -> None:
    """Incidents whose clocks are set, met, extended, waived, reminded and breached."""
    clock.set(datetime(2026, 6, 1, 10, tzinfo=LONDON))
    ids = []
    for n, harm in enumerate(("moderate", "none", "severe", "low")):
        created = system.service.report(
            c.ReportIncident(
                organisation=f"R{n}",
                commissioner="QUE",
                profile="sif-2015" if n % 2 == 0 else "psirf-2022",
                occurred_at="2026-06-01T08:00:00+01:00",
                identified_at="2026-06-01T09:00:00+01:00",
                reported_at="2026-06-01T09:30:00+01:00",
                location="Ward",
                care_setting="acute",
                category="medication",
                description="Dose omitted",
                physical_harm=harm,
            ),
            actor="alice",
        )
        ids.append(created["id"])
    from uuid import UUID

    first, second = UUID(ids[0]), UUID(ids[2])
    system.service.report_to_commissioner(
        first, c.ReportToCommissioner(reference="S1", reported_on=date(2026, 6, 1)), actor="bob"
    )
    system.service.agree_extension(
        second,
        c.AgreeExtension(
            deadline="initial_review", new_due=date(2026, 6, 11), reason="leave", approved_by="ICB"
        ),
        actor="bob",
    )
    system.service.waive_deadline(
        first, c.WaiveDeadline(deadline="candour_notification", reason="regraded"), actor="bob"
    )
    at = datetime(2026, 6, 9, 9, tzinfo=LONDON)
    clock.set(at)
    system.sweeper.sweep(at)


def rows(runner: ProjectionRunner) -> list[tuple[Any, ...]]:
    with runner.engine.connect() as conn:
        result = conn.execute(select(deadlines).order_by(deadlines.c.incident_id, deadlines.c.kind))
        return [tuple(r) for r in result]


class ChangedProjection(DeadlinesProjection):
    code_version = "deadlines-changed-in-code"


def test_a_rebuild_from_the_log_equals_the_live_view(
    system: System, clock: FixedClock, settings: Settings
) -> None:
    busy_history(system, clock)
    system.deadlines.refresh()
    live = rows(system.deadlines.runner)
    assert {r[-5] for r in live} >= {"breached", "met", "waived", "pending"}

    calendar = system.service.calendar
    engine = read_model_engine(settings.database_url)
    try:
        rebuilt = ProjectionRunner(
            system.service.store, engine, ChangedProjection(calendar, system.service.policy.calendar)
        )
        rebuilt.setup()  # the version stamp changed: the view is cleared
        assert rows(rebuilt) == [] and rebuilt.position() == 0
        rebuilt.catch_up()
        assert rows(rebuilt) == live
        assert rebuilt.position() == system.service.event_count()
    finally:
        engine.dispose()


def test_concurrent_runners_apply_each_event_once(
    system: System, clock: FixedClock, settings: Settings
) -> None:
    busy_history(system, clock)
    system.deadlines.refresh()
    live = rows(system.deadlines.runner)
    engines = [read_model_engine(settings.database_url) for _ in range(3)]
    calendar = system.service.calendar
    runners = [
        ProjectionRunner(
            system.service.store, e, ChangedProjection(calendar, system.service.policy.calendar), batch_size=1
        )
        for e in engines
    ]
    try:
        runners[0].setup()  # a changed version stamp clears the view for a rebuild
        assert rows(runners[0]) == []
        errors: list[BaseException] = []
        barrier = threading.Barrier(len(runners))

        def run(runner: ProjectionRunner) -> None:
            barrier.wait()
            try:
                runner.catch_up()
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=run, args=(r,)) for r in runners]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert rows(runners[0]) == live
        assert runners[1].position() == system.service.event_count()
    finally:
        for engine in engines:
            engine.dispose()


def test_a_runner_waits_for_another_that_holds_the_position(
    system: System, clock: FixedClock, settings: Settings
) -> None:
    """While one worker's batch is open, another cannot read the same position, so it
    can never apply the same events: it waits, then continues from the committed one."""
    busy_history(system, clock)
    calendar = system.service.calendar
    engines = [read_model_engine(settings.database_url) for _ in range(2)]
    holder, waiter = (
        ProjectionRunner(system.service.store, e, ChangedProjection(calendar, system.service.policy.calendar))
        for e in engines
    )
    try:
        holder.setup()
        head = system.service.event_count()
        applied: list[int] = []
        with engines[0].begin() as conn:
            assert lock_position(conn, ChangedProjection.name) == 0
            thread = threading.Thread(target=lambda: applied.append(waiter.catch_up()))
            thread.start()
            thread.join(timeout=1.0)
            assert thread.is_alive(), "the second runner did not wait for the held position"
            save_position(conn, ChangedProjection.name, head, holder.projection.version)
        thread.join(timeout=30)
        assert applied == [0], "the second runner re-applied events another had claimed"
    finally:
        for engine in engines:
            engine.dispose()


def test_a_change_of_reminder_policy_rebuilds_the_view(system: System, clock: FixedClock) -> None:
    busy_history(system, clock)
    system.deadlines.refresh()
    policy = system.service.policy.calendar
    default = DeadlinesProjection(system.service.calendar, policy)
    wider = DeadlinesProjection(
        system.service.calendar, policy.model_copy(update={"reminder_working_days": 5})
    )
    assert default.version != wider.version
    runner = ProjectionRunner(system.service.store, system.engine, wider)
    runner.setup()
    runner.catch_up()
    with system.engine.connect() as conn:
        row = conn.execute(
            select(deadlines.c.due, deadlines.c.remind_on).where(deadlines.c.kind == "initial_review")
        ).first()
    assert row is not None
    assert row.remind_on == system.service.calendar.subtract_working_days(row.due, 5)
