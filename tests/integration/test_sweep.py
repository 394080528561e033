"""Deadline sweeps on a real store: reminders and breaches at the right moment, once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from application import commands as c
from application.clock import FixedClock
from infrastructure.bootstrap import System

LONDON = ZoneInfo("Europe/London")


def london(y: int, m: int, d: int, h: int = 0, minute: int = 0, us: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, 0, us, tzinfo=LONDON)


def report_sif(system: System, identified: datetime, harm: str = "none") -> UUID:
    created = system.service.report(
        c.ReportIncident(
            organisation="RYV",
            commissioner="QUE",
            profile="sif-2015",
            occurred_at=identified - timedelta(hours=1),
            identified_at=identified,
            reported_at=identified + timedelta(minutes=30),
            location="Theatre 2",
            care_setting="acute",
            category="surgery",
            description="Wrong site",
            physical_harm=harm,
        ),
        actor="alice",
    )
    return UUID(created["id"])


def deadline(system: System, incident_id: UUID, kind: str) -> dict[str, Any]:
    view = system.service.get(incident_id)
    return next(d for d in view["deadlines"] if d["kind"] == kind)


def breaches(system: System, incident_id: UUID) -> list[dict[str, Any]]:
    events = system.service.history(incident_id)["events"]
    return [e for e in events if e["type"] == "DeadlineBreached"]


def sweep_at(system: System, clock: FixedClock, at: datetime) -> Any:
    clock.set(at)
    return system.sweeper.sweep(at)


def test_breach_is_recorded_at_the_first_instant_after_the_due_date_in_bst(
    system: System, clock: FixedClock
) -> None:
    clock.set(london(2026, 5, 1, 10))
    incident = report_sif(system, london(2026, 5, 1, 9))  # Friday before the May bank holiday
    assert deadline(system, incident, "commissioner_report")["due"] == "2026-05-06"

    last_moment = london(2026, 5, 6, 23, 59, 59) + timedelta(microseconds=999_999)
    assert sweep_at(system, clock, last_moment).breached == 0
    assert deadline(system, incident, "commissioner_report")["status"] == "approaching"

    first_moment = london(2026, 5, 7)
    summary = sweep_at(system, clock, first_moment)
    assert summary.breached == 1
    [breach] = breaches(system, incident)
    assert breach["data"]["kind"] == "commissioner_report"
    assert breach["data"]["breached_at"] == "2026-05-07T00:00:00+01:00"
    assert datetime.fromisoformat(breach["recorded_at"]) == first_moment
    assert breach["actor"] == "scheduler"
    assert deadline(system, incident, "commissioner_report")["status"] == "breached"


def test_breach_moment_in_gmt(system: System, clock: FixedClock) -> None:
    clock.set(london(2026, 1, 12, 10))
    incident = report_sif(system, london(2026, 1, 12, 9))  # Monday: due Wednesday 14 January
    assert deadline(system, incident, "commissioner_report")["due"] == "2026-01-14"
    assert sweep_at(system, clock, datetime(2026, 1, 14, 23, 59, 59, tzinfo=UTC)).breached == 0
    assert sweep_at(system, clock, datetime(2026, 1, 15, 0, 0, tzinfo=UTC)).breached == 1
    [breach] = breaches(system, incident)
    assert breach["data"]["breached_at"] == "2026-01-15T00:00:00+00:00"


def test_a_second_sweep_at_the_same_instant_records_nothing(system: System, clock: FixedClock) -> None:
    clock.set(london(2026, 3, 2, 10))
    incidents = [report_sif(system, london(2026, 3, 2, 9)) for _ in range(3)]
    at = london(2026, 3, 10)
    first = sweep_at(system, clock, at)
    head = system.service.event_count()
    second = sweep_at(system, clock, at)
    assert first.breached == 6  # commissioner_report and initial_review of each
    assert second.breached == 0 and second.approaching == 0
    assert system.service.event_count() == head
    for incident in incidents:
        kinds = Counter(b["data"]["kind"] for b in breaches(system, incident))
        assert kinds == {"commissioner_report": 1, "initial_review": 1}


def test_reminder_comes_within_the_horizon_and_only_once(system: System, clock: FixedClock) -> None:
    clock.set(london(2026, 6, 1, 10))  # Monday
    incident = report_sif(system, london(2026, 6, 1, 9))
    # initial_review due Thursday 4 June; the reminder horizon is 2 working days before.
    assert deadline(system, incident, "initial_review")["due"] == "2026-06-04"
    assert sweep_at(system, clock, london(2026, 6, 1, 12)).approaching == 1  # commissioner_report
    summary = sweep_at(system, clock, london(2026, 6, 2, 0))
    assert summary.approaching == 1
    events = system.service.history(incident)["events"]
    reminders = [e["data"] for e in events if e["type"] == "DeadlineApproaching"]
    assert {(r["kind"], r["due"]) for r in reminders} == {
        ("commissioner_report", "2026-06-03"),
        ("initial_review", "2026-06-04"),
    }
    review = next(r for r in reminders if r["kind"] == "initial_review")
    assert review["working_days_left"] == 2
    assert sweep_at(system, clock, london(2026, 6, 2, 9)).approaching == 0


def test_met_on_the_due_date_is_not_breached(system: System, clock: FixedClock) -> None:
    clock.set(london(2026, 6, 1, 10))
    incident = report_sif(system, london(2026, 6, 1, 9))
    clock.set(london(2026, 6, 3, 17))
    system.service.report_to_commissioner(
        incident, c.ReportToCommissioner(reference="StEIS-1", reported_on=date(2026, 6, 3)), actor="bob"
    )
    sweep_at(system, clock, london(2026, 6, 10))
    kinds = [b["data"]["kind"] for b in breaches(system, incident)]
    assert "commissioner_report" not in kinds
    assert deadline(system, incident, "commissioner_report")["status"] == "met"


def test_met_the_day_after_is_breached_then_met_late(system: System, clock: FixedClock) -> None:
    clock.set(london(2026, 6, 1, 10))
    incident = report_sif(system, london(2026, 6, 1, 9))
    sweep_at(system, clock, london(2026, 6, 4, 8))
    assert deadline(system, incident, "commissioner_report")["status"] == "breached"
    system.service.report_to_commissioner(
        incident, c.ReportToCommissioner(reference="StEIS-2", reported_on=date(2026, 6, 4)), actor="bob"
    )
    clock_view = deadline(system, incident, "commissioner_report")
    assert clock_view["status"] == "met_late"
    assert clock_view["days_overdue"] == 1
    assert [b["data"]["kind"] for b in breaches(system, incident)].count("commissioner_report") == 1


def test_extension_before_the_breach_moves_the_clock(system: System, clock: FixedClock) -> None:
    clock.set(london(2026, 6, 1, 10))
    incident = report_sif(system, london(2026, 6, 1, 9))
    system.service.agree_extension(
        incident,
        c.AgreeExtension(
            deadline="initial_review",
            new_due=date(2026, 6, 12),
            reason="key staff on leave",
            approved_by="ICB quality lead",
        ),
        actor="bob",
    )
    sweep_at(system, clock, london(2026, 6, 8))
    assert "initial_review" not in [b["data"]["kind"] for b in breaches(system, incident)]
    view = deadline(system, incident, "initial_review")
    assert view["due"] == "2026-06-12" and view["history"] == ["2026-06-04"]
    sweep_at(system, clock, london(2026, 6, 13))
    assert ("initial_review", "2026-06-12") in [
        (b["data"]["kind"], b["data"]["due"]) for b in breaches(system, incident)
    ]


def test_extension_after_a_breach_keeps_the_breach_in_history(system: System, clock: FixedClock) -> None:
    clock.set(london(2026, 6, 1, 10))
    incident = report_sif(system, london(2026, 6, 1, 9))
    sweep_at(system, clock, london(2026, 6, 5))
    assert deadline(system, incident, "initial_review")["status"] == "breached"
    system.service.agree_extension(
        incident,
        c.AgreeExtension(
            deadline="initial_review",
            new_due=date(2026, 6, 19),
            reason="inquest evidence awaited",
            approved_by="ICB",
        ),
        actor="bob",
    )
    view = deadline(system, incident, "initial_review")
    assert view["status"] == "pending"
    assert view["breached_dues"] == ["2026-06-04"]
    assert sweep_at(system, clock, london(2026, 6, 10)).breached == 0
    sweep_at(system, clock, london(2026, 6, 20))
    dues = [b["data"]["due"] for b in breaches(system, incident) if b["data"]["kind"] == "initial_review"]
    assert dues == ["2026-06-04", "2026-06-19"]


def test_catch_up_after_downtime_records_when_it_should_have_happened(
    system: System, clock: FixedClock
) -> None:
    clock.set(london(2026, 2, 2, 10))
    incident = report_sif(system, london(2026, 2, 2, 9))
    late = london(2026, 4, 1, 12)
    sweep_at(system, clock, late)
    by_kind = {b["data"]["kind"]: b for b in breaches(system, incident)}
    assert by_kind["commissioner_report"]["data"]["breached_at"] == "2026-02-05T00:00:00+00:00"
    assert datetime.fromisoformat(by_kind["commissioner_report"]["recorded_at"]) == late
    events = system.service.history(incident)["events"]
    assert not [e for e in events if e["type"] == "DeadlineApproaching"], "no reminder after the fact"


def test_waived_and_met_deadlines_are_never_breached(system: System, clock: FixedClock) -> None:
    clock.set(london(2026, 6, 1, 10))
    incident = report_sif(system, london(2026, 6, 1, 9))
    system.service.waive_deadline(
        incident,
        c.WaiveDeadline(deadline="initial_review", reason="agreed with the ICB: joint review instead"),
        actor="bob",
    )
    sweep_at(system, clock, london(2026, 7, 1))
    assert [b["data"]["kind"] for b in breaches(system, incident)] == ["commissioner_report"]
    view = deadline(system, incident, "initial_review")
    assert view["status"] == "waived" and "joint review" in view["reason"]


def test_deadlines_list_filters_across_incidents(system: System, clock: FixedClock) -> None:
    clock.set(london(2026, 6, 1, 10))
    first = report_sif(system, london(2026, 6, 1, 9))
    report_sif(system, london(2026, 6, 1, 9))
    sweep_at(system, clock, london(2026, 6, 4, 8))
    today = date(2026, 6, 4)
    total, breached = system.read_models.deadlines(today, status="breached")
    assert total == 2 and {d["kind"] for d in breached} == {"commissioner_report"}
    assert all(d["days_overdue"] == 1 for d in breached)
    total, reviews = system.read_models.deadlines(today, kind="initial_review", due_before=date(2026, 6, 5))
    assert total == 2 and all(d["status"] == "approaching" for d in reviews)
    total, _ = system.read_models.deadlines(today, organisation="ryv")
    assert total == 4
    total, _ = system.read_models.deadlines(today, organisation="XYZ")
    assert total == 0
    assert str(first) in {d["incident_id"] for d in breached}


def test_a_deadline_that_cannot_be_recorded_does_not_hold_back_the_rest(
    system: System, clock: FixedClock, monkeypatch: Any
) -> None:
    import application.sweep

    monkeypatch.setattr(application.sweep, "BATCH", 1)
    clock.set(london(2026, 6, 1, 10))
    first = report_sif(system, london(2026, 6, 1, 9))  # due 3 and 4 June
    clock.set(london(2026, 6, 3, 10))
    second = report_sif(system, london(2026, 6, 3, 9))  # due 5 and 8 June
    clock.set(london(2026, 6, 20, 10))  # the first incident gets an event after the sweep instant
    system.service.classify(
        first,
        c.Classify(physical_harm="none", psychological_harm="none", serious_incident=True, rationale="SI"),
        actor="bob",
    )
    summary = sweep_at(system, clock, london(2026, 6, 10))  # as at 10 June: the first is refused
    assert len(summary.refused) == 2 and all("earlier instant" in r for r in summary.refused)
    assert summary.breached == 2
    assert {b["data"]["kind"] for b in breaches(system, second)} == {"commissioner_report", "initial_review"}
