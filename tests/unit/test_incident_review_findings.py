"""Rules tightened after review: candour in person, business dates of safety actions,
candour after a downgrade, and clocks of an escalated learning response."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from domain.enums import DeadlineStatus, PhysicalHarm, Profile, ResponseType
from domain.errors import CloseRefused, CommandNotAllowed, InvalidCommand
from domain.incident import CommandContext, Incident

from .helpers import IDENTIFIED_ON, TODAY, assert_refused, deadline

Report = Callable[..., Incident]
Classify = Callable[..., None]
Ctx = Callable[..., CommandContext]


def test_candour_notification_must_be_in_person(report: Report, classify: Classify, ctx: Ctx) -> None:
    incident = report(Profile.PSIRF_2022, physical_harm=PhysicalHarm.MODERATE)
    classify(incident, physical_harm=PhysicalHarm.MODERATE)
    error = assert_refused(
        incident,
        InvalidCommand,
        incident.notify_candour,
        ctx(),
        relevant_person="patient",
        notified_on=TODAY,
        in_person=False,
        apology_given=True,
        account_given=True,
    )
    assert "in person" in str(error) and "record-candour-exception" in str(error)


class TestSafetyActionBusinessDates:
    def _agree(self, incident: Incident, ctx: CommandContext, **overrides: Any) -> None:
        fields: dict[str, Any] = {
            "action_id": "A1",
            "description": "Two-person check",
            "owner": "Ward manager",
            "due": date(2026, 5, 15),
            "agreed_on": date(2026, 5, 8),
        }
        fields.update(overrides)
        incident.agree_action(ctx, **fields)

    def test_history_can_be_entered_with_its_own_dates(
        self, report: Report, classify: Classify, ctx: Ctx
    ) -> None:
        incident = report(Profile.PSIRF_2022)
        classify(incident)
        self._agree(incident, ctx())  # due 15 May, before today (20 May): it is history
        incident.complete_action(ctx(), action_id="A1", completed_on=date(2026, 5, 14), evidence="Audit")
        assert deadline(incident, "action:A1").status is DeadlineStatus.MET
        assert incident.actions[0].agreed_on == date(2026, 5, 8)

    def test_agreed_on_defaults_to_today(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report(Profile.PSIRF_2022)
        classify(incident)
        self._agree(incident, ctx(), agreed_on=None, due=date(2026, 6, 30))
        assert incident.actions[0].agreed_on == TODAY

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"agreed_on": date(2026, 5, 1)}, "before the date the incident was identified"),
            ({"agreed_on": date(2026, 5, 21)}, "in the future"),
            ({"due": date(2026, 5, 7)}, "before the action was agreed"),
        ],
    )
    def test_dates_out_of_order_are_refused(
        self, report: Report, classify: Classify, ctx: Ctx, overrides: dict[str, Any], message: str
    ) -> None:
        incident = report(Profile.PSIRF_2022)
        classify(incident)
        error = assert_refused(incident, InvalidCommand, self._agree, incident, ctx(), **overrides)
        assert message in str(error)

    def test_completion_before_agreement_is_refused(
        self, report: Report, classify: Classify, ctx: Ctx
    ) -> None:
        incident = report(Profile.PSIRF_2022)
        classify(incident)
        self._agree(incident, ctx())
        error = assert_refused(
            incident,
            InvalidCommand,
            incident.complete_action,
            ctx(),
            action_id="A1",
            completed_on=date(2026, 5, 7),
            evidence="Audit",
        )
        assert "is before the date the action was agreed (2026-05-08)" in str(error)


def test_an_escalated_learning_response_gets_its_own_clock(
    report: Report, classify: Classify, ctx: Ctx
) -> None:
    incident = report(Profile.PSIRF_2022)
    classify(incident)
    incident.start_investigation(
        ctx(),
        response_type=ResponseType.AAR,
        lead="Ward lead",
        started_on=IDENTIFIED_ON,
        coroner_initiated=False,
    )
    classify(incident, never_event="wrong_route")  # now a PSII is required
    incident.start_investigation(
        ctx(),
        response_type=ResponseType.PSII,
        lead="PSII lead",
        started_on=date(2026, 5, 18),
        coroner_initiated=False,
    )
    assert incident.investigation is not None
    assert incident.investigation.response_type is ResponseType.PSII
    assert deadline(incident, "learning_response").due == date(2026, 8, 18)
    assert deadline(incident, "learning_response").previous_dues == ()  # the AAR had no clock
    assert incident.status.value == "under_investigation"


def test_a_downgraded_incident_can_waive_its_candour_clock_with_a_reason(
    report: Report, classify: Classify, ctx: Ctx
) -> None:
    """A death found to be from the natural course of illness is not a notifiable safety
    incident: after the downgrade the candour clock is waived, with the reason kept."""
    incident = report(Profile.SIF_2015, physical_harm=PhysicalHarm.FATAL)
    classify(incident, physical_harm=PhysicalHarm.FATAL)
    incident.request_downgrade(ctx(), rationale="Natural course of illness")
    incident.decide_downgrade(ctx(), approved=True, rationale="Agreed at the ICB panel")
    assert deadline(incident, "candour_notification").status is DeadlineStatus.PENDING
    incident.waive_deadline(
        ctx(), deadline="candour_notification", reason="death from the natural course of illness"
    )
    waived = deadline(incident, "candour_notification")
    assert waived.status is DeadlineStatus.WAIVED and "natural course" in waived.reason
    with pytest.raises(CommandNotAllowed):
        incident.waive_deadline(ctx(), deadline="initial_review", reason="not candour")


def test_a_serious_incident_stops_being_one_only_through_a_downgrade(
    report: Report, classify: Classify, ctx: Ctx
) -> None:
    incident = report(Profile.SIF_2015)
    classify(incident, serious_incident=True)
    error = assert_refused(
        incident,
        CommandNotAllowed,
        incident.classify,
        ctx(),
        physical_harm=PhysicalHarm.NONE,
        psychological_harm=incident.psychological_harm,
        prolonged_psychological_harm=False,
        never_event=None,
        national_priority=None,
        local_priority=None,
        serious_incident=False,
        rationale="not serious after all",
    )
    assert "request-downgrade" in str(error)


def test_a_waived_initial_review_is_not_required_for_closure(
    report: Report, classify: Classify, ctx: Ctx
) -> None:
    incident = report(Profile.SIF_2015)
    classify(incident, serious_incident=True)
    assert "the initial review (72-hour report) has not been submitted" in incident.missing_for_closure()
    incident.waive_deadline(ctx(), deadline="initial_review", reason="agreed with the ICB: joint review")
    assert "the initial review (72-hour report) has not been submitted" not in incident.missing_for_closure()


def test_a_recorded_waiver_survives_reclassification(report: Report, classify: Classify, ctx: Ctx) -> None:
    incident = report(Profile.PSIRF_2022, physical_harm=PhysicalHarm.MODERATE)
    classify(incident, physical_harm=PhysicalHarm.MODERATE)
    incident.waive_deadline(ctx(), deadline="candour_notification", reason="agreed at the panel")
    classify(incident, physical_harm=PhysicalHarm.LOW)  # candour no longer applies
    classify(incident, physical_harm=PhysicalHarm.SEVERE)  # and applies again
    waived = deadline(incident, "candour_notification")
    assert waived.status is DeadlineStatus.WAIVED and waived.reason == "agreed at the panel"


def test_a_clock_waived_by_the_rules_comes_back_when_they_apply_again(
    report: Report, classify: Classify, ctx: Ctx
) -> None:
    incident = report(Profile.PSIRF_2022, physical_harm=PhysicalHarm.MODERATE)
    classify(incident, physical_harm=PhysicalHarm.LOW)
    assert deadline(incident, "candour_notification").status is DeadlineStatus.WAIVED
    classify(incident, physical_harm=PhysicalHarm.SEVERE)
    assert deadline(incident, "candour_notification").status is DeadlineStatus.PENDING


def test_effectiveness_reviews_continue_after_closure(report: Report, classify: Classify, ctx: Ctx) -> None:
    incident = report(Profile.PSIRF_2022)
    classify(incident)
    incident.agree_action(
        ctx(), action_id="A1", description="Checklist", owner="Matron", due=TODAY, agreed_on=TODAY
    )
    incident.complete_action(ctx(), action_id="A1", completed_on=TODAY, evidence="Audit")
    incident.close(ctx(), closed_on=TODAY)
    incident.review_action(ctx(), action_id="A1", effective=True, notes="Re-audit three months on")
    assert incident.actions[0].reviews[-1].effective is True
    with pytest.raises(CommandNotAllowed):
        incident.agree_action(ctx(), action_id="A2", description="x", owner="y", due=TODAY)


def test_a_restarted_clock_keeps_its_history(report: Report, classify: Classify, ctx: Ctx) -> None:
    incident = report(Profile.PSIRF_2022, physical_harm=PhysicalHarm.MODERATE)
    classify(incident, physical_harm=PhysicalHarm.MODERATE)
    first_due = deadline(incident, "candour_notification").due
    classify(incident, physical_harm=PhysicalHarm.LOW)  # waived by the rule
    classify(incident, physical_harm=PhysicalHarm.SEVERE)  # set again
    again = deadline(incident, "candour_notification")
    assert again.status is DeadlineStatus.PENDING
    assert again.previous_dues == (first_due,)


def test_a_death_from_the_natural_course_of_illness_is_not_notifiable(
    report: Report, classify: Classify, ctx: Ctx
) -> None:
    incident = report(Profile.SIF_2015, physical_harm=PhysicalHarm.FATAL)
    assert incident.candour_applies  # a death, graded at report: candour is presumed
    classify(incident, physical_harm=PhysicalHarm.FATAL, natural_course_death=True)
    assert not incident.candour_applies
    assert deadline(incident, "candour_notification").status is DeadlineStatus.WAIVED
    error = assert_refused(
        incident,
        InvalidCommand,
        incident.classify,
        ctx(),
        physical_harm=PhysicalHarm.SEVERE,
        psychological_harm=incident.psychological_harm,
        prolonged_psychological_harm=False,
        never_event=None,
        national_priority=None,
        local_priority=None,
        serious_incident=True,
        rationale="r",
        natural_course_death=True,
    )
    assert "physical_harm fatal" in str(error)


def test_a_referral_the_priority_names_must_be_recorded_before_closure(
    report: Report, classify: Classify, ctx: Ctx
) -> None:
    incident = report(Profile.PSIRF_2022)
    classify(incident, national_priority="mental_health_homicide")
    incident.start_investigation(
        ctx(),
        response_type=ResponseType.AAR,
        lead="Ward lead",
        started_on=IDENTIFIED_ON,
        coroner_initiated=False,
    )
    incident.submit_investigation_report(
        ctx(), submitted_on=TODAY, findings="Learning", contributing_factors=(), root_causes=()
    )
    referral = (
        "the referral to NHS England Regional Independent Investigation Team (RIIT) has not been recorded"
    )
    assert any(item.startswith(referral) for item in incident.missing_for_closure())
    with pytest.raises(CloseRefused):
        incident.close(ctx(), closed_on=TODAY)
    incident.record_referral(
        ctx(),
        referred_to="NHS England Regional Independent Investigation Team",
        referred_on=TODAY,
        reference="RIIT/2026/17",
    )
    assert not any(item.startswith(referral) for item in incident.missing_for_closure())
    incident.close(ctx(), closed_on=TODAY)
    assert incident.referrals[0].reference == "RIIT/2026/17"


def test_a_referral_needs_a_classification_and_a_real_date(report: Report, ctx: Ctx) -> None:
    incident = report(Profile.PSIRF_2022)
    assert_refused(
        incident, CommandNotAllowed, incident.record_referral, ctx(), referred_to="LeDeR", referred_on=TODAY
    )
