"""Deadlines the aggregate sets, meets, waives and extends, for both framework profiles."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import pytest

from domain.enums import (
    CandourExceptionReason,
    DeadlineStatus,
    PhysicalHarm,
    Profile,
    PsychologicalHarm,
    ResponseType,
)
from domain.incident import CommandContext, Incident
from domain.policy import load_policy
from domain.values import ClockChange, ContactAttempt
from domain.working_days import WorkingDayCalendar

from .helpers import (
    CANDOUR_DUE,
    COMMISSIONER_DUE,
    INITIAL_REVIEW_DUE,
    TODAY,
    classify_fields,
    deadline,
    deadline_kinds,
    event_names,
    report_fields,
)

Report = Callable[..., Incident]
Classify = Callable[..., None]
Ctx = Callable[..., CommandContext]

LEVEL12_DUE = date(2026, 7, 31)  # commissioner reported Thu 7 May 2026 + 60 WD (25 May, no 31 Aug)
CLOSURE_DUE = date(2026, 6, 18)  # report submitted Wed 20 May 2026 + 20 WD (25 May is a holiday)


def _start(
    incident: Incident, ctx: Ctx, response_type: ResponseType, started_on: date, now: datetime | None = None
) -> None:
    incident.start_investigation(
        ctx() if now is None else ctx(now=now),
        response_type=response_type,
        lead="Dr A Lead",
        started_on=started_on,
        coroner_initiated=False,
    )


def _submit(incident: Incident, ctx: Ctx, submitted_on: date = TODAY) -> None:
    incident.submit_investigation_report(
        ctx(),
        submitted_on=submitted_on,
        findings="Two-person check not done",
        contributing_factors=["staffing"],
        root_causes=["no independent check"],
    )


class TestReported:
    def test_sif_sets_commissioner_report_and_initial_review_from_identification(
        self, report: Report
    ) -> None:
        incident = report()
        events = incident.collect_events()
        assert event_names(events) == ["Reported"]
        assert deadline_kinds(incident) == {"commissioner_report", "initial_review"}
        assert deadline(incident, "commissioner_report").due == COMMISSIONER_DUE
        assert deadline(incident, "initial_review").due == INITIAL_REVIEW_DUE
        assert all(d.status is DeadlineStatus.PENDING for d in incident.deadlines)
        assert set(events[0].clocks) == {
            ClockChange(kind="commissioner_report", change="set", due=COMMISSIONER_DUE),
            ClockChange(kind="initial_review", change="set", due=INITIAL_REVIEW_DUE),
        }

    def test_clocks_start_when_identified_not_when_occurred(self, report: Report) -> None:
        # Swab found six weeks after surgery.
        incident = report(occurred_at=datetime(2026, 3, 20, 10, 0, tzinfo=UTC))
        assert deadline(incident, "commissioner_report").due == COMMISSIONER_DUE
        assert deadline(incident, "initial_review").due == INITIAL_REVIEW_DUE

    def test_identification_is_counted_on_the_london_date(self, report: Report) -> None:
        # 23:30 UTC on Mon 4 May (bank holiday) is 00:30 BST on Tue 5 May.
        incident = report(identified_at=datetime(2026, 5, 4, 23, 30, tzinfo=UTC))
        assert incident.identified_on == date(2026, 5, 5)
        assert deadline(incident, "commissioner_report").due == date(2026, 5, 7)
        assert deadline(incident, "initial_review").due == date(2026, 5, 8)

    @pytest.mark.parametrize("profile", list(Profile))
    @pytest.mark.parametrize("harm", [PhysicalHarm.MODERATE, PhysicalHarm.SEVERE, PhysicalHarm.FATAL])
    def test_candour_clock_set_at_report_for_moderate_harm_or_worse(
        self, report: Report, profile: Profile, harm: PhysicalHarm
    ) -> None:
        incident = report(profile, physical_harm=harm)
        assert incident.candour_applies
        assert deadline(incident, "candour_notification").due == CANDOUR_DUE

    @pytest.mark.parametrize("harm", [PhysicalHarm.NONE, PhysicalHarm.LOW])
    def test_no_candour_clock_below_moderate_harm(self, report: Report, harm: PhysicalHarm) -> None:
        incident = report(physical_harm=harm, psychological_harm=PsychologicalHarm.SEVERE)
        assert not incident.candour_applies
        assert "candour_notification" not in deadline_kinds(incident)

    def test_reported_at_defaults_to_now(self, report: Report) -> None:
        incident = report(reported_at=None, physical_harm=PhysicalHarm.MODERATE)
        assert incident.reported_on == TODAY
        # Wed 20 May + 10 WD, skipping the Spring bank holiday (Mon 25 May).
        assert deadline(incident, "candour_notification").due == date(2026, 6, 4)

    def test_psirf_has_no_serious_incident_clocks(self, report: Report) -> None:
        incident = report(Profile.PSIRF_2022, physical_harm=PhysicalHarm.MODERATE)
        assert deadline_kinds(incident) == {"candour_notification"}


class TestClassified:
    def test_prolonged_psychological_harm_sets_candour_clock(
        self, report: Report, classify: Classify
    ) -> None:
        incident = report(Profile.PSIRF_2022, physical_harm=PhysicalHarm.LOW)
        assert "candour_notification" not in deadline_kinds(incident)
        classify(
            incident,
            physical_harm=PhysicalHarm.LOW,
            psychological_harm=PsychologicalHarm.MODERATE,
            prolonged_psychological_harm=True,
        )
        events = incident.collect_events()
        assert events[-1].clocks == (ClockChange(kind="candour_notification", change="set", due=CANDOUR_DUE),)
        assert incident.candour_applies
        assert deadline(incident, "candour_notification").status is DeadlineStatus.PENDING

    def test_upgraded_harm_sets_candour_clock_from_the_report_date(
        self, report: Report, classify: Classify
    ) -> None:
        incident = report()
        classify(incident, physical_harm=PhysicalHarm.MODERATE)
        assert deadline(incident, "candour_notification").due == CANDOUR_DUE

    def test_reclassification_to_low_harm_waives_candour(self, report: Report, classify: Classify) -> None:
        incident = report(physical_harm=PhysicalHarm.MODERATE)
        classify(incident, physical_harm=PhysicalHarm.LOW)
        candour = deadline(incident, "candour_notification")
        assert candour.status is DeadlineStatus.WAIVED
        assert candour.due == CANDOUR_DUE
        assert "no longer applies" in candour.reason
        assert not incident.candour_applies

    def test_reclassifying_back_to_moderate_restarts_candour(
        self, report: Report, classify: Classify
    ) -> None:
        incident = report(physical_harm=PhysicalHarm.MODERATE)
        classify(incident, physical_harm=PhysicalHarm.LOW)
        classify(incident, physical_harm=PhysicalHarm.MODERATE)
        candour = deadline(incident, "candour_notification")
        assert candour.status is DeadlineStatus.PENDING
        assert candour.due == CANDOUR_DUE

    def test_not_serious_waives_commissioner_report_and_initial_review(
        self, report: Report, classify: Classify
    ) -> None:
        incident = report()
        classify(incident, serious_incident=False)
        for kind in ("commissioner_report", "initial_review"):
            waived = deadline(incident, kind)
            assert waived.status is DeadlineStatus.WAIVED
            assert waived.reason == "classified as not a Serious Incident"

    def test_serious_keeps_commissioner_report_and_initial_review_running(
        self, report: Report, classify: Classify
    ) -> None:
        incident = report()
        incident.collect_events()
        classify(incident, serious_incident=True)
        assert incident.collect_events()[-1].clocks == ()
        assert deadline(incident, "commissioner_report").status is DeadlineStatus.PENDING
        assert deadline(incident, "initial_review").status is DeadlineStatus.PENDING


class TestSeriousIncidentSteps:
    def test_report_to_commissioner_meets_its_clock(
        self, report: Report, classify: Classify, ctx: Ctx
    ) -> None:
        incident = report()
        classify(incident)
        incident.report_to_commissioner(ctx(), reference="STEIS-2026-123", reported_on=date(2026, 5, 6))
        met = deadline(incident, "commissioner_report")
        assert (met.status, met.met_on, met.due) == (DeadlineStatus.MET, date(2026, 5, 6), COMMISSIONER_DUE)
        assert incident.commissioner_report == ("STEIS-2026-123", date(2026, 5, 6))

    def test_late_report_is_met_on_its_own_date(self, report: Report, ctx: Ctx) -> None:
        incident = report()
        incident.report_to_commissioner(ctx(), reference="STEIS-1", reported_on=date(2026, 5, 8))
        met = deadline(incident, "commissioner_report")
        assert met.met_on == date(2026, 5, 8)
        assert met.met_on > met.due

    def test_initial_review_meets_its_clock(self, report: Report, ctx: Ctx) -> None:
        incident = report()
        incident.submit_initial_review(ctx(), submitted_on=date(2026, 5, 7), summary="72-hour report")
        assert deadline(incident, "initial_review").met_on == date(2026, 5, 7)
        assert incident.initial_review_on == date(2026, 5, 7)

    @pytest.mark.parametrize("level", [ResponseType.LEVEL1, ResponseType.LEVEL2])
    @pytest.mark.parametrize("commissioner_first", [True, False])
    def test_level_1_and_2_report_due_60_working_days_after_reporting_to_commissioner(
        self, report: Report, classify: Classify, ctx: Ctx, level: ResponseType, commissioner_first: bool
    ) -> None:
        incident = report()
        classify(incident)
        if commissioner_first:
            incident.report_to_commissioner(ctx(), reference="STEIS-1", reported_on=date(2026, 5, 7))
            _start(incident, ctx, level, date(2026, 5, 11))
        else:
            _start(incident, ctx, level, date(2026, 5, 11))
            assert "investigation_report" not in deadline_kinds(incident)
            incident.report_to_commissioner(ctx(), reference="STEIS-1", reported_on=date(2026, 5, 7))
        due = deadline(incident, "investigation_report")
        assert due.due == LEVEL12_DUE
        assert due.status is DeadlineStatus.PENDING
        cal = WorkingDayCalendar()
        assert cal.working_days_between(date(2026, 5, 7), LEVEL12_DUE) == 60  # independent cross-check

    def test_level_3_due_six_calendar_months_after_commissioning(
        self, report: Report, classify: Classify, ctx: Ctx
    ) -> None:
        incident = report()
        classify(incident)
        _start(incident, ctx, ResponseType.LEVEL3, date(2026, 5, 15))
        assert deadline(incident, "investigation_report").due == date(2026, 11, 15)
        # Reporting to the commissioner does not move a Level 3 clock.
        incident.report_to_commissioner(ctx(), reference="STEIS-1", reported_on=date(2026, 5, 7))
        assert deadline(incident, "investigation_report").due == date(2026, 11, 15)

    def test_level_3_clamps_to_month_end(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        later = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
        incident = report(now=later)
        classify(incident, now=later)
        _start(incident, ctx, ResponseType.LEVEL3, date(2026, 8, 31), now=later)
        assert deadline(incident, "investigation_report").due == date(2027, 2, 28)

    def test_submitting_the_report_meets_it_and_starts_closure_review(
        self, report: Report, classify: Classify, ctx: Ctx
    ) -> None:
        incident = report()
        classify(incident)
        incident.report_to_commissioner(ctx(), reference="STEIS-1", reported_on=date(2026, 5, 7))
        _start(incident, ctx, ResponseType.LEVEL1, date(2026, 5, 11))
        _submit(incident, ctx, date(2026, 5, 20))
        report_clock = deadline(incident, "investigation_report")
        assert (report_clock.status, report_clock.met_on) == (DeadlineStatus.MET, date(2026, 5, 20))
        closure = deadline(incident, "closure_review")
        assert (closure.due, closure.status) == (CLOSURE_DUE, DeadlineStatus.PENDING)

    def test_no_si_clocks_for_an_investigation_of_a_non_serious_incident(
        self, report: Report, classify: Classify, ctx: Ctx
    ) -> None:
        incident = report()
        classify(incident, serious_incident=False)
        _start(incident, ctx, ResponseType.LOCAL_REVIEW, date(2026, 5, 11))
        _submit(incident, ctx)
        assert "closure_review" not in deadline_kinds(incident)
        assert "investigation_report" not in deadline_kinds(incident)

    def test_close_meets_closure_review(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        incident.report_to_commissioner(ctx(), reference="STEIS-1", reported_on=date(2026, 5, 6))
        incident.submit_initial_review(ctx(), submitted_on=date(2026, 5, 7), summary="72-hour report")
        _start(incident, ctx, ResponseType.LEVEL2, date(2026, 5, 11))
        _submit(incident, ctx, date(2026, 5, 19))
        incident.close(ctx(), closed_on=TODAY)
        closure = deadline(incident, "closure_review")
        assert (closure.status, closure.met_on) == (DeadlineStatus.MET, TODAY)
        assert not any(d.status is DeadlineStatus.PENDING for d in incident.deadlines)


class TestPsirfLearningResponse:
    def test_psii_due_three_calendar_months_after_start(
        self, report: Report, classify: Classify, ctx: Ctx
    ) -> None:
        incident = report(Profile.PSIRF_2022)
        classify(incident, never_event="wrong_site_surgery")
        _start(incident, ctx, ResponseType.PSII, date(2026, 5, 18))
        assert deadline(incident, "learning_response").due == date(2026, 8, 18)
        _submit(incident, ctx, TODAY)
        assert deadline(incident, "learning_response").met_on == TODAY
        assert "closure_review" not in deadline_kinds(incident)

    @pytest.mark.parametrize(
        "response_type",
        [ResponseType.AAR, ResponseType.MIR, ResponseType.SWARM_HUDDLE, ResponseType.THEMATIC],
    )
    def test_other_responses_have_no_national_clock(
        self, report: Report, classify: Classify, ctx: Ctx, response_type: ResponseType
    ) -> None:
        incident = report(Profile.PSIRF_2022)
        classify(incident)
        _start(incident, ctx, response_type, date(2026, 5, 18))
        assert "learning_response" not in deadline_kinds(incident)

    def test_response_plan_timescale_sets_learning_response(self, tmp_path: Path) -> None:
        root = tmp_path / "policy"
        shutil.copytree(Path(str(resources.files("domain.policy_data"))), root)
        (root / "response_plans" / "timescales.toml").write_text(
            'name = "Plan with timescales"\neffective_from = 2026-01-01\n\n'
            '[[timescales]]\nresponse_type = "aar"\nworking_days = 20\n'
        )
        policy = load_policy(root)
        context = CommandContext(
            actor="tester",
            now=datetime(2026, 5, 20, 11, 0, tzinfo=UTC),
            policy=policy,
            calendar=WorkingDayCalendar(),
        )
        incident = Incident.report(context, **report_fields(Profile.PSIRF_2022))
        incident.classify(context, **classify_fields(Profile.PSIRF_2022))
        incident.start_investigation(
            context,
            response_type=ResponseType.AAR,
            lead="Lead",
            started_on=date(2026, 5, 11),
            coroner_initiated=False,
        )
        # Mon 11 May + 20 WD, skipping Mon 25 May.
        assert deadline(incident, "learning_response").due == date(2026, 6, 9)


class TestActionsExtensionsDowngradesCandour:
    def test_agree_action_sets_its_clock_and_complete_meets_it(
        self, report: Report, classify: Classify, ctx: Ctx
    ) -> None:
        incident = report(Profile.PSIRF_2022)
        classify(incident)
        incident.agree_action(
            ctx(),
            action_id="A1",
            description="Add a two-person check",
            owner="Ward manager",
            due=date(2026, 6, 30),
        )
        clock = deadline(incident, "action:A1")
        assert (clock.due, clock.status) == (date(2026, 6, 30), DeadlineStatus.PENDING)
        incident.complete_action(ctx(), action_id="A1", completed_on=TODAY, evidence="Checklist updated")
        clock = deadline(incident, "action:A1")
        assert (clock.status, clock.met_on) == (DeadlineStatus.MET, TODAY)
        assert incident.actions[0].completed_on == TODAY

    def test_extension_moves_the_due_date_and_keeps_the_previous_ones(self, report: Report, ctx: Ctx) -> None:
        incident = report()
        incident.collect_events()
        incident.agree_extension(
            ctx(),
            deadline="commissioner_report",
            new_due=date(2026, 5, 8),
            reason="StEIS down",
            approved_by="ICB",
        )
        extended = deadline(incident, "commissioner_report")
        assert extended.due == date(2026, 5, 8)
        assert extended.previous_dues == (COMMISSIONER_DUE,)
        assert extended.status is DeadlineStatus.PENDING
        assert "StEIS down" in extended.reason
        assert "ICB" in extended.reason
        events = incident.collect_events()
        assert event_names(events) == ["DeadlineExtended"]
        assert (events[0].deadline, events[0].new_due, events[0].approved_by) == (
            "commissioner_report",
            date(2026, 5, 8),
            "ICB",
        )
        incident.agree_extension(
            ctx(),
            deadline="commissioner_report",
            new_due=date(2026, 5, 12),
            reason="Inquest",
            approved_by="ICB",
        )
        again = deadline(incident, "commissioner_report")
        assert again.due == date(2026, 5, 12)
        assert again.previous_dues == (COMMISSIONER_DUE, date(2026, 5, 8))

    def test_extension_survives_reclassification(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report(physical_harm=PhysicalHarm.MODERATE)
        incident.agree_extension(
            ctx(),
            deadline="candour_notification",
            new_due=date(2026, 6, 1),
            reason="Family abroad",
            approved_by="ICB",
        )
        classify(incident, physical_harm=PhysicalHarm.SEVERE)
        assert deadline(incident, "candour_notification").due == date(2026, 6, 1)

    def test_approved_downgrade_waives_pending_clocks(
        self, report: Report, classify: Classify, ctx: Ctx
    ) -> None:
        incident = report(physical_harm=PhysicalHarm.FATAL)
        classify(incident, physical_harm=PhysicalHarm.FATAL)
        incident.report_to_commissioner(ctx(), reference="STEIS-1", reported_on=date(2026, 5, 6))
        incident.request_downgrade(ctx(), rationale="Natural course of illness")
        assert deadline(incident, "initial_review").status is DeadlineStatus.PENDING
        incident.decide_downgrade(ctx(), approved=True, rationale="Agreed at the ICB panel")
        waived = deadline(incident, "initial_review")
        assert waived.status is DeadlineStatus.WAIVED
        assert waived.reason == "downgrade approved by the commissioner"
        assert deadline(incident, "commissioner_report").status is DeadlineStatus.MET
        # The Duty of Candour is statutory and separate from SI status: its clock runs on.
        assert deadline(incident, "candour_notification").status is DeadlineStatus.PENDING

    def test_rejected_downgrade_leaves_clocks_running(
        self, report: Report, classify: Classify, ctx: Ctx
    ) -> None:
        incident = report()
        classify(incident)
        incident.request_downgrade(ctx(), rationale="Natural course of illness")
        incident.decide_downgrade(ctx(), approved=False, rationale="Care problems found")
        assert all(d.status is DeadlineStatus.PENDING for d in incident.deadlines)
        assert incident.downgrade is not None
        assert incident.downgrade.approved is False

    def test_notification_meets_the_candour_clock(self, report: Report, ctx: Ctx) -> None:
        incident = report(physical_harm=PhysicalHarm.MODERATE)
        incident.notify_candour(
            ctx(),
            relevant_person="patient",
            notified_on=date(2026, 5, 12),
            in_person=True,
            apology_given=True,
            account_given=True,
        )
        assert deadline(incident, "candour_notification").met_on == date(2026, 5, 12)

    def test_candour_exception_waives_the_clock_for_good(
        self, report: Report, classify: Classify, ctx: Ctx
    ) -> None:
        incident = report(physical_harm=PhysicalHarm.MODERATE)
        attempts = [
            ContactAttempt(on=date(2026, 5, 8), method="letter", outcome="no reply"),
            ContactAttempt(on=date(2026, 5, 6), method="phone", outcome="declined to meet"),
        ]
        incident.record_candour_exception(ctx(), reason=CandourExceptionReason.DECLINED, attempts=attempts)
        waived = deadline(incident, "candour_notification")
        assert waived.status is DeadlineStatus.WAIVED
        assert waived.reason == "candour exception: declined"
        assert [a.on for a in incident.candour.attempts] == [date(2026, 5, 6), date(2026, 5, 8)]
        # Reclassifying (candour still applies) does not restart a clock waived by an exception.
        classify(incident, physical_harm=PhysicalHarm.SEVERE)
        assert deadline(incident, "candour_notification").status is DeadlineStatus.WAIVED
