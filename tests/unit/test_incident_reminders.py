"""Reminders, breaches and waivers of deadlines, and the clock state people see."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.enums import ClockState, DeadlineStatus, PhysicalHarm
from domain.errors import AlreadyRecorded, CommandNotAllowed, InvalidCommand
from domain.incident import CommandContext, Incident
from domain.values import Deadline
from domain.working_days import WorkingDayCalendar, breach_instant

from .helpers import COMMISSIONER_DUE, NOW, assert_refused, deadline, event_names

Report = Callable[..., Incident]
Classify = Callable[..., None]
Ctx = Callable[..., CommandContext]

REPORT_TIME = datetime(2026, 5, 5, 9, 0, tzinfo=UTC)  # Tue 5 May 2026, 10:00 BST
COMMISSIONER_BREACH = datetime(2026, 5, 6, 23, 0, tzinfo=UTC)  # 00:00 BST Thu 7 May


@pytest.fixture
def fresh(report: Report) -> Incident:
    """A SIF incident (moderate harm) recorded on Tue 5 May 2026, the day it was reported."""
    incident = report(now=REPORT_TIME, physical_harm=PhysicalHarm.MODERATE)
    incident.collect_events()
    return incident


class TestSubtractWorkingDays:
    def test_reminder_horizon_skips_the_bank_holiday(self) -> None:
        # Two working days before Wed 6 May 2026: Tue 5, then Fri 1 (Mon 4 is a holiday).
        assert WorkingDayCalendar().subtract_working_days(date(2026, 5, 6), 2) == date(2026, 5, 1)

    @pytest.mark.parametrize("start", [date(2026, 4, 1), date(2026, 5, 5), date(2026, 12, 23)])
    def test_inverse_of_add_on_working_days(self, start: date) -> None:
        cal = WorkingDayCalendar()
        for days in range(15):
            assert cal.subtract_working_days(cal.add_working_days(start, days), days) == start

    def test_negative_days_refused(self) -> None:
        with pytest.raises(ValueError):
            WorkingDayCalendar().subtract_working_days(date(2026, 5, 6), -1)


class TestReminders:
    def test_reminder_within_the_horizon(self, fresh: Incident, ctx: Ctx) -> None:
        fresh.record_reminder(ctx(now=REPORT_TIME), kind="commissioner_report", due=COMMISSIONER_DUE)
        [event] = fresh.collect_events()
        assert type(event).__name__ == "DeadlineApproaching"
        assert event.working_days_left == 1
        assert deadline(fresh, "commissioner_report").state is ClockState.APPROACHING
        assert deadline(fresh, "commissioner_report").status is DeadlineStatus.PENDING

    def test_reminder_recorded_once_per_due_date(self, fresh: Incident, ctx: Ctx) -> None:
        c = ctx(now=REPORT_TIME)
        fresh.record_reminder(c, kind="commissioner_report", due=COMMISSIONER_DUE)
        assert_refused(
            fresh, AlreadyRecorded, fresh.record_reminder, c, kind="commissioner_report", due=COMMISSIONER_DUE
        )

    def test_reminder_before_the_horizon(self, fresh: Incident, ctx: Ctx) -> None:
        # Candour is due Tue 19 May; reminders start at 00:00 on Fri 15 May.
        assert_refused(
            fresh,
            InvalidCommand,
            fresh.record_reminder,
            ctx(now=REPORT_TIME),
            kind="candour_notification",
            due=date(2026, 5, 19),
            match="not yet within the reminder horizon",
        )

    def test_reminder_after_the_due_date(self, fresh: Incident, ctx: Ctx) -> None:
        assert_refused(
            fresh,
            InvalidCommand,
            fresh.record_reminder,
            ctx(now=COMMISSIONER_BREACH),
            kind="commissioner_report",
            due=COMMISSIONER_DUE,
            match="record a breach",
        )

    def test_reminder_for_a_stale_due_date(self, fresh: Incident, ctx: Ctx) -> None:
        assert_refused(
            fresh,
            AlreadyRecorded,
            fresh.record_reminder,
            ctx(now=REPORT_TIME),
            kind="commissioner_report",
            due=date(2026, 5, 5),
        )


class TestBreaches:
    def test_not_breached_until_midnight_london_after_the_due_date(self, fresh: Incident, ctx: Ctx) -> None:
        assert_refused(
            fresh,
            InvalidCommand,
            fresh.record_breach,
            ctx(now=COMMISSIONER_BREACH - timedelta(seconds=1)),
            kind="commissioner_report",
            due=COMMISSIONER_DUE,
        )

    def test_breach_recorded_at_the_breach_instant(self, fresh: Incident, ctx: Ctx) -> None:
        fresh.record_breach(ctx(now=COMMISSIONER_BREACH), kind="commissioner_report", due=COMMISSIONER_DUE)
        [event] = fresh.collect_events()
        assert type(event).__name__ == "DeadlineBreached"
        assert event.breached_at == breach_instant(COMMISSIONER_DUE) == COMMISSIONER_BREACH
        assert deadline(fresh, "commissioner_report").state is ClockState.BREACHED

    def test_breach_recorded_once(self, fresh: Incident, ctx: Ctx) -> None:
        c = ctx(now=NOW)
        fresh.record_breach(c, kind="commissioner_report", due=COMMISSIONER_DUE)
        assert_refused(
            fresh, AlreadyRecorded, fresh.record_breach, c, kind="commissioner_report", due=COMMISSIONER_DUE
        )

    def test_no_breach_once_met(self, fresh: Incident, ctx: Ctx) -> None:
        fresh.report_to_commissioner(ctx(), reference="STEIS-1", reported_on=date(2026, 5, 8))
        assert_refused(
            fresh,
            AlreadyRecorded,
            fresh.record_breach,
            ctx(),
            kind="commissioner_report",
            due=COMMISSIONER_DUE,
        )
        met_late = deadline(fresh, "commissioner_report")
        assert met_late.state is ClockState.MET_LATE
        assert met_late.days_overdue(date(2026, 5, 20)) == 2

    def test_extension_after_breach_clears_the_breached_state(self, fresh: Incident, ctx: Ctx) -> None:
        fresh.record_breach(ctx(), kind="commissioner_report", due=COMMISSIONER_DUE)
        fresh.agree_extension(
            ctx(),
            deadline="commissioner_report",
            new_due=date(2026, 5, 29),
            reason="Inquest",
            approved_by="ICB",
        )
        extended = deadline(fresh, "commissioner_report")
        assert extended.state is ClockState.PENDING
        assert extended.breached_dues == (COMMISSIONER_DUE,)
        assert_refused(
            fresh,
            AlreadyRecorded,
            fresh.record_breach,
            ctx(),
            kind="commissioner_report",
            due=COMMISSIONER_DUE,
        )


class TestWaiveDeadline:
    def test_waive_a_pending_deadline(self, fresh: Incident, ctx: Ctx) -> None:
        fresh.waive_deadline(ctx(), deadline="initial_review", reason="Agreed with the ICB")
        assert event_names(fresh.collect_events()) == ["DeadlineWaived"]
        waived = deadline(fresh, "initial_review")
        assert (waived.status, waived.reason) == (DeadlineStatus.WAIVED, "Agreed with the ICB")
        assert waived.state is ClockState.WAIVED
        assert waived.days_overdue(date(2026, 6, 1)) == 0

    def test_reason_required(self, fresh: Incident, ctx: Ctx) -> None:
        assert_refused(
            fresh, InvalidCommand, fresh.waive_deadline, ctx(), deadline="initial_review", reason=" "
        )

    def test_unknown_deadline(self, fresh: Incident, ctx: Ctx) -> None:
        assert_refused(
            fresh, InvalidCommand, fresh.waive_deadline, ctx(), deadline="closure_review", reason="r"
        )

    def test_met_deadline(self, fresh: Incident, ctx: Ctx) -> None:
        fresh.report_to_commissioner(ctx(), reference="STEIS-1", reported_on=date(2026, 5, 6))
        assert_refused(
            fresh, CommandNotAllowed, fresh.waive_deadline, ctx(), deadline="commissioner_report", reason="r"
        )


class TestClockState:
    @pytest.mark.parametrize(
        ("value", "today", "state", "overdue"),
        [
            (Deadline(kind="k", due=date(2026, 5, 6)), date(2026, 5, 6), ClockState.PENDING, 0),
            (Deadline(kind="k", due=date(2026, 5, 6)), date(2026, 5, 9), ClockState.PENDING, 3),
            (
                Deadline(kind="k", due=date(2026, 5, 6), status=DeadlineStatus.MET, met_on=date(2026, 5, 6)),
                date(2026, 6, 1),
                ClockState.MET,
                0,
            ),
            (
                Deadline(kind="k", due=date(2026, 5, 6), status=DeadlineStatus.MET, met_on=date(2026, 5, 7)),
                date(2026, 6, 1),
                ClockState.MET_LATE,
                1,
            ),
            (
                Deadline(kind="k", due=date(2026, 5, 6), reminded_dues=(date(2026, 5, 6),)),
                date(2026, 5, 5),
                ClockState.APPROACHING,
                0,
            ),
            (
                Deadline(kind="k", due=date(2026, 5, 8), reminded_dues=(date(2026, 5, 6),)),
                date(2026, 5, 5),
                ClockState.PENDING,
                0,
            ),
        ],
    )
    def test_state_and_days_overdue(
        self, value: Deadline, today: date, state: ClockState, overdue: int
    ) -> None:
        assert value.state is state
        assert value.days_overdue(today) == overdue


def test_nothing_is_recorded_as_at_an_earlier_instant(fresh: Incident, ctx: Ctx, classify: Classify) -> None:
    classify(fresh, now=NOW)
    error = assert_refused(
        fresh,
        CommandNotAllowed,
        fresh.request_downgrade,
        ctx(now=NOW - timedelta(hours=1)),
        rationale="Natural course of illness",
    )
    assert "earlier instant" in str(error)
