"""Every guard of the Incident aggregate: a refused command raises the right error and
records nothing (no pending event, same version, same status and deadlines)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.enums import CandourExceptionReason, PhysicalHarm, Profile, ResponseType, Status
from domain.errors import CloseRefused, CommandNotAllowed, InvalidCommand
from domain.incident import CommandContext, Incident
from domain.values import ContactAttempt, Patient

from .helpers import NOW, OCCURRED_ON, TODAY, assert_refused, classify_fields, report_fields

Report = Callable[..., Incident]
Classify = Callable[..., None]
Ctx = Callable[..., CommandContext]

TOMORROW = TODAY + timedelta(days=1)
ATTEMPT = ContactAttempt(on=date(2026, 5, 6), method="phone", outcome="declined to meet")


def _notify(incident: Incident, ctx: CommandContext, **overrides: Any) -> None:
    fields: dict[str, Any] = {
        "relevant_person": "patient",
        "notified_on": date(2026, 5, 6),
        "in_person": True,
        "apology_given": True,
        "account_given": True,
    }
    fields.update(overrides)
    incident.notify_candour(ctx, **fields)


def _start(incident: Incident, ctx: CommandContext, response_type: ResponseType, **overrides: Any) -> None:
    fields: dict[str, Any] = {
        "response_type": response_type,
        "lead": "Dr A Lead",
        "started_on": date(2026, 5, 11),
        "coroner_initiated": False,
    }
    fields.update(overrides)
    incident.start_investigation(ctx, **fields)


def _submit(incident: Incident, ctx: CommandContext, **overrides: Any) -> None:
    fields: dict[str, Any] = {
        "submitted_on": TODAY,
        "findings": "Two-person check not done",
        "contributing_factors": [],
        "root_causes": [],
    }
    fields.update(overrides)
    incident.submit_investigation_report(ctx, **fields)


def _agree(incident: Incident, ctx: CommandContext, **overrides: Any) -> None:
    fields: dict[str, Any] = {
        "action_id": "A1",
        "description": "Add a two-person check",
        "owner": "Ward manager",
        "due": date(2026, 6, 30),
    }
    fields.update(overrides)
    incident.agree_action(ctx, **fields)


class TestReport:
    def _refused(self, ctx: Ctx, **overrides: Any) -> InvalidCommand:
        with pytest.raises(InvalidCommand) as info:
            Incident.report(ctx(), **report_fields(**overrides))
        assert type(info.value) is InvalidCommand
        return info.value

    def test_identified_before_occurred(self, ctx: Ctx) -> None:
        error = self._refused(ctx, identified_at=datetime(2026, 4, 30, 9, 0, tzinfo=UTC))
        assert "identified_at" in str(error)
        assert "before occurred_at" in str(error)

    def test_reported_before_identified(self, ctx: Ctx) -> None:
        error = self._refused(ctx, reported_at=datetime(2026, 5, 2, 8, 0, tzinfo=UTC))
        assert "reported_at" in str(error)
        assert "before identified_at" in str(error)

    @pytest.mark.parametrize("field", ["occurred_at", "identified_at", "reported_at"])
    def test_instants_in_the_future(self, ctx: Ctx, field: str) -> None:
        future = NOW + timedelta(minutes=1)
        overrides = {"occurred_at": NOW, "identified_at": NOW, "reported_at": NOW, field: future}
        error = self._refused(ctx, **overrides)
        assert f"{field} {future.isoformat()} is in the future" in str(error)

    def test_instants_equal_to_now_are_accepted(self, ctx: Ctx) -> None:
        incident = Incident.report(
            ctx(), **report_fields(occurred_at=NOW, identified_at=NOW, reported_at=NOW)
        )
        assert incident.reported_on == TODAY

    @pytest.mark.parametrize("field", ["occurred_at", "identified_at", "reported_at"])
    def test_naive_instants(self, ctx: Ctx, field: str) -> None:
        naive = datetime(2026, 5, 5, 9, 0)
        error = self._refused(ctx, **{field: naive})
        assert "UTC offset" in str(error)

    def test_patient_born_after_the_incident(self, ctx: Ctx) -> None:
        error = self._refused(ctx, patient=Patient(date_of_birth=date(2026, 5, 2)))
        assert "date_of_birth" in str(error)

    def test_newborn_on_the_day_is_accepted(self, ctx: Ctx) -> None:
        incident = Incident.report(ctx(), **report_fields(patient=Patient(date_of_birth=OCCURRED_ON)))
        assert incident.patient == Patient(date_of_birth=OCCURRED_ON)


class TestClassify:
    def _refuse(self, incident: Incident, ctx: Ctx, **overrides: Any) -> str:
        fields = classify_fields(incident.profile, **overrides)
        return str(assert_refused(incident, InvalidCommand, incident.classify, ctx(), **fields))

    def test_sif_requires_serious_incident(self, report: Report, ctx: Ctx) -> None:
        message = self._refuse(report(), ctx, serious_incident=None)
        assert "serious_incident (true or false) is required" in message

    def test_sif_never_event_must_be_serious(self, report: Report, ctx: Ctx) -> None:
        message = self._refuse(report(), ctx, never_event="wrong_route", serious_incident=False)
        assert "Never Events are Serious Incidents" in message

    def test_psirf_has_no_serious_incident_label(self, report: Report, ctx: Ctx) -> None:
        message = self._refuse(report(Profile.PSIRF_2022), ctx, serious_incident=True)
        assert "no Serious Incident label" in message

    def test_psirf_serious_false_is_stored_as_unset(self, report: Report, classify: Classify) -> None:
        incident = report(Profile.PSIRF_2022)
        classify(incident, serious_incident=False)
        assert incident.classification is not None
        assert incident.classification.serious_incident is None

    @pytest.mark.parametrize(
        ("field", "value"), [("national_priority", "child_death"), ("local_priority", "insulin_errors")]
    )
    def test_priorities_are_a_psirf_concept(self, report: Report, ctx: Ctx, field: str, value: str) -> None:
        message = self._refuse(report(), ctx, **{field: value})
        assert f"{field} is a PSIRF concept" in message

    @pytest.mark.parametrize("profile", list(Profile))
    @pytest.mark.parametrize("code", ["wrong_tooth_extraction", "oesophageal_intubation"])
    def test_never_event_not_in_force_on_the_occurrence_date(
        self, report: Report, ctx: Ctx, profile: Profile, code: str
    ) -> None:
        message = self._refuse(report(profile), ctx, never_event=code)
        assert "2026-05-01" in message
        assert "was not on the Never Events list in force" in message

    def test_never_event_judged_on_occurrence_not_identification(
        self, report: Report, classify: Classify
    ) -> None:
        # Occurred in March 2021 (wrong tooth extraction still listed), found in 2026.
        incident = report(Profile.PSIRF_2022, occurred_at=datetime(2021, 3, 15, 10, 0, tzinfo=UTC))
        classify(incident, never_event="wrong_tooth_extraction")
        assert incident.classification is not None
        assert incident.classification.never_event == "wrong_tooth_extraction"

    def test_unknown_never_event(self, report: Report, ctx: Ctx) -> None:
        assert "not a known code" in self._refuse(report(), ctx, never_event="wrong_patient")

    def test_unknown_national_priority(self, report: Report, ctx: Ctx) -> None:
        assert "not a known code" in self._refuse(report(Profile.PSIRF_2022), ctx, national_priority="falls")

    def test_local_priority_outside_the_plan_period(self, report: Report, ctx: Ctx) -> None:
        # The example plan runs 2024-12-01 to 2026-04-30; the incident occurred 2026-05-01.
        message = self._refuse(report(Profile.PSIRF_2022), ctx, local_priority="insulin_errors")
        assert "not defined by a response plan in force" in message
        assert "2026-05-01" in message

    def test_local_priority_inside_the_plan_period(self, report: Report, classify: Classify) -> None:
        incident = report(Profile.PSIRF_2022, occurred_at=datetime(2026, 4, 30, 10, 0, tzinfo=UTC))
        classify(incident, local_priority="insulin_errors")
        assert incident.classification is not None
        assert incident.classification.local_priority == "insulin_errors"

    def test_rationale_required(self, report: Report, ctx: Ctx) -> None:
        assert "rationale is required" in self._refuse(report(), ctx, rationale="   ")


class TestCommissionerAndInitialReview:
    def test_report_to_commissioner_twice(self, report: Report, ctx: Ctx) -> None:
        incident = report()
        incident.report_to_commissioner(ctx(), reference="STEIS-1", reported_on=date(2026, 5, 6))
        error = assert_refused(
            incident,
            CommandNotAllowed,
            incident.report_to_commissioner,
            ctx(),
            reference="STEIS-2",
            reported_on=date(2026, 5, 7),
        )
        assert "already reported" in str(error)

    @pytest.mark.parametrize("reported_on", [date(2026, 5, 1), TOMORROW])
    def test_reported_on_outside_identified_to_today(
        self, report: Report, ctx: Ctx, reported_on: date
    ) -> None:
        incident = report()
        assert_refused(
            incident,
            InvalidCommand,
            incident.report_to_commissioner,
            ctx(),
            reference="STEIS-1",
            reported_on=reported_on,
            match="reported_on",
        )

    def test_today_is_the_london_date(self, report: Report, ctx: Ctx) -> None:
        # 23:30 UTC on 20 May is 00:30 BST on 21 May: 21 May is not in the future.
        late = ctx(now=datetime(2026, 5, 20, 23, 30, tzinfo=UTC))
        incident = report()
        incident.report_to_commissioner(late, reference="STEIS-1", reported_on=date(2026, 5, 21))
        assert incident.commissioner_report == ("STEIS-1", date(2026, 5, 21))

    def test_initial_review_on_psirf(self, report: Report, ctx: Ctx) -> None:
        incident = report(Profile.PSIRF_2022)
        error = assert_refused(
            incident,
            CommandNotAllowed,
            incident.submit_initial_review,
            ctx(),
            submitted_on=date(2026, 5, 6),
            summary="72-hour report",
        )
        assert "no initial review" in str(error)

    def test_initial_review_twice(self, report: Report, ctx: Ctx) -> None:
        incident = report()
        incident.submit_initial_review(ctx(), submitted_on=date(2026, 5, 6), summary="72-hour report")
        assert_refused(
            incident,
            CommandNotAllowed,
            incident.submit_initial_review,
            ctx(),
            submitted_on=date(2026, 5, 7),
            summary="again",
        )

    @pytest.mark.parametrize("submitted_on", [date(2026, 5, 1), TOMORROW])
    def test_initial_review_date(self, report: Report, ctx: Ctx, submitted_on: date) -> None:
        incident = report()
        assert_refused(
            incident,
            InvalidCommand,
            incident.submit_initial_review,
            ctx(),
            submitted_on=submitted_on,
            summary="72-hour report",
        )


class TestCandour:
    def test_notify_when_candour_does_not_apply(self, report: Report, ctx: Ctx) -> None:
        incident = report(physical_harm=PhysicalHarm.LOW)
        error = assert_refused(incident, CommandNotAllowed, _notify, incident, ctx())
        assert "does not apply" in str(error)

    def test_notify_twice(self, report: Report, ctx: Ctx) -> None:
        incident = report(physical_harm=PhysicalHarm.MODERATE)
        _notify(incident, ctx())
        error = assert_refused(incident, CommandNotAllowed, _notify, incident, ctx())
        assert "already notified" in str(error)

    @pytest.mark.parametrize("missing", ["apology_given", "account_given"])
    def test_notify_without_apology_or_account(self, report: Report, ctx: Ctx, missing: str) -> None:
        incident = report(physical_harm=PhysicalHarm.MODERATE)
        error = assert_refused(incident, InvalidCommand, _notify, incident, ctx(), **{missing: False})
        assert "apology" in str(error)

    @pytest.mark.parametrize("notified_on", [date(2026, 4, 30), TOMORROW])
    def test_notified_on_outside_occurred_to_today(self, report: Report, ctx: Ctx, notified_on: date) -> None:
        incident = report(physical_harm=PhysicalHarm.MODERATE)
        assert_refused(incident, InvalidCommand, _notify, incident, ctx(), notified_on=notified_on)

    def test_notify_after_exception(self, report: Report, ctx: Ctx) -> None:
        incident = report(physical_harm=PhysicalHarm.MODERATE)
        incident.record_candour_exception(ctx(), reason=CandourExceptionReason.DECLINED, attempts=[ATTEMPT])
        assert_refused(incident, CommandNotAllowed, _notify, incident, ctx())

    def test_letter_before_notification(self, report: Report, ctx: Ctx) -> None:
        incident = report(physical_harm=PhysicalHarm.MODERATE)
        error = assert_refused(
            incident, CommandNotAllowed, incident.send_candour_letter, ctx(), sent_on=TODAY, summary="Letter"
        )
        assert "notify-candour first" in str(error)

    def test_letter_twice(self, report: Report, ctx: Ctx) -> None:
        incident = report(physical_harm=PhysicalHarm.MODERATE)
        _notify(incident, ctx())
        incident.send_candour_letter(ctx(), sent_on=date(2026, 5, 8), summary="Letter")
        assert_refused(
            incident, CommandNotAllowed, incident.send_candour_letter, ctx(), sent_on=TODAY, summary="Again"
        )

    def test_letter_before_the_notification_date(self, report: Report, ctx: Ctx) -> None:
        incident = report(physical_harm=PhysicalHarm.MODERATE)
        _notify(incident, ctx(), notified_on=date(2026, 5, 8))
        assert_refused(
            incident,
            InvalidCommand,
            incident.send_candour_letter,
            ctx(),
            sent_on=date(2026, 5, 7),
            summary="Letter",
            match="before the date the relevant person was notified",
        )

    def test_exception_without_attempts(self, report: Report, ctx: Ctx) -> None:
        incident = report(physical_harm=PhysicalHarm.MODERATE)
        assert_refused(
            incident,
            InvalidCommand,
            incident.record_candour_exception,
            ctx(),
            reason=CandourExceptionReason.NOT_CONTACTABLE,
            attempts=[],
            match="at least one dated attempt",
        )

    def test_exception_when_candour_does_not_apply(self, report: Report, ctx: Ctx) -> None:
        incident = report()
        assert_refused(
            incident,
            CommandNotAllowed,
            incident.record_candour_exception,
            ctx(),
            reason=CandourExceptionReason.DECLINED,
            attempts=[ATTEMPT],
        )

    def test_exception_twice(self, report: Report, ctx: Ctx) -> None:
        incident = report(physical_harm=PhysicalHarm.MODERATE)
        incident.record_candour_exception(ctx(), reason=CandourExceptionReason.DECLINED, attempts=[ATTEMPT])
        assert_refused(
            incident,
            CommandNotAllowed,
            incident.record_candour_exception,
            ctx(),
            reason=CandourExceptionReason.DECLINED,
            attempts=[ATTEMPT],
        )

    def test_exception_after_letter(self, report: Report, ctx: Ctx) -> None:
        incident = report(physical_harm=PhysicalHarm.MODERATE)
        _notify(incident, ctx())
        incident.send_candour_letter(ctx(), sent_on=date(2026, 5, 8), summary="Letter")
        assert_refused(
            incident,
            CommandNotAllowed,
            incident.record_candour_exception,
            ctx(),
            reason=CandourExceptionReason.DECLINED,
            attempts=[ATTEMPT],
        )

    @pytest.mark.parametrize("on", [date(2026, 4, 30), TOMORROW])
    def test_exception_attempt_dates(self, report: Report, ctx: Ctx, on: date) -> None:
        incident = report(physical_harm=PhysicalHarm.MODERATE)
        assert_refused(
            incident,
            InvalidCommand,
            incident.record_candour_exception,
            ctx(),
            reason=CandourExceptionReason.DECLINED,
            attempts=[ATTEMPT, ContactAttempt(on=on, method="phone", outcome="no answer")],
            match=r"attempts\[\]\.on",
        )


class TestInvestigation:
    def test_start_before_classify(self, report: Report, ctx: Ctx) -> None:
        incident = report()
        error = assert_refused(incident, CommandNotAllowed, _start, incident, ctx(), ResponseType.LEVEL1)
        assert "classify the incident first" in str(error)

    def test_start_twice(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        _start(incident, ctx(), ResponseType.LEVEL1)
        error = assert_refused(incident, CommandNotAllowed, _start, incident, ctx(), ResponseType.LEVEL2)
        assert "already started" in str(error)

    @pytest.mark.parametrize(
        ("profile", "response_type"),
        [
            (Profile.SIF_2015, ResponseType.PSII),
            (Profile.SIF_2015, ResponseType.AAR),
            (Profile.PSIRF_2022, ResponseType.LEVEL1),
        ],
    )
    def test_response_type_not_used_by_the_profile(
        self, report: Report, classify: Classify, ctx: Ctx, profile: Profile, response_type: ResponseType
    ) -> None:
        incident = report(profile)
        classify(incident, serious_incident=False if profile is Profile.SIF_2015 else None)
        error = assert_refused(incident, InvalidCommand, _start, incident, ctx(), response_type)
        assert f"not used under {profile.value}" in str(error)

    def test_aar_for_a_never_event(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report(Profile.PSIRF_2022)
        classify(incident, never_event="wrong_site_surgery")
        error = assert_refused(incident, InvalidCommand, _start, incident, ctx(), ResponseType.AAR)
        assert "the classification calls for one of: psii" in str(error)

    def test_local_review_for_a_serious_incident(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident, serious_incident=True)
        assert_refused(incident, InvalidCommand, _start, incident, ctx(), ResponseType.LOCAL_REVIEW)

    @pytest.mark.parametrize("started_on", [date(2026, 5, 1), TOMORROW])
    def test_started_on_outside_identified_to_today(
        self, report: Report, classify: Classify, ctx: Ctx, started_on: date
    ) -> None:
        incident = report()
        classify(incident)
        assert_refused(
            incident, InvalidCommand, _start, incident, ctx(), ResponseType.LEVEL1, started_on=started_on
        )

    def test_report_before_investigation(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        assert_refused(
            incident, CommandNotAllowed, _submit, incident, ctx(), match="start-investigation first"
        )

    def test_report_twice(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        _start(incident, ctx(), ResponseType.LEVEL1)
        _submit(incident, ctx())
        assert_refused(incident, CommandNotAllowed, _submit, incident, ctx(), match="already submitted")

    @pytest.mark.parametrize("submitted_on", [date(2026, 5, 10), TOMORROW])
    def test_report_date_outside_start_to_today(
        self, report: Report, classify: Classify, ctx: Ctx, submitted_on: date
    ) -> None:
        incident = report()
        classify(incident)
        _start(incident, ctx(), ResponseType.LEVEL1, started_on=date(2026, 5, 11))
        assert_refused(incident, InvalidCommand, _submit, incident, ctx(), submitted_on=submitted_on)

    def test_report_without_findings(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        _start(incident, ctx(), ResponseType.LEVEL1)
        assert_refused(incident, InvalidCommand, _submit, incident, ctx(), findings=" ", match="findings")


class TestSafetyActions:
    def test_agree_before_classify(self, report: Report, ctx: Ctx) -> None:
        incident = report()
        assert_refused(incident, CommandNotAllowed, _agree, incident, ctx())

    def test_duplicate_action_id(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        _agree(incident, ctx())
        error = assert_refused(incident, CommandNotAllowed, _agree, incident, ctx(), description="Other")
        assert "'A1' already exists" in str(error)

    def test_owner_required(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        assert_refused(incident, InvalidCommand, _agree, incident, ctx(), owner="  ", match="named owner")

    def test_due_in_the_past(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        assert_refused(incident, InvalidCommand, _agree, incident, ctx(), due=TODAY - timedelta(days=1))

    def test_due_today_is_accepted(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        _agree(incident, ctx(), due=TODAY)
        assert incident.actions[0].due == TODAY

    def test_complete_unknown_action(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        _agree(incident, ctx())
        error = assert_refused(
            incident,
            InvalidCommand,
            incident.complete_action,
            ctx(),
            action_id="B9",
            completed_on=TODAY,
            evidence="e",
        )
        assert "no safety action 'B9'" in str(error)
        assert "A1" in str(error)

    def test_complete_twice(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        _agree(incident, ctx())
        incident.complete_action(ctx(), action_id="A1", completed_on=TODAY, evidence="Checklist")
        assert_refused(
            incident,
            CommandNotAllowed,
            incident.complete_action,
            ctx(),
            action_id="A1",
            completed_on=TODAY,
            evidence="e",
        )

    def test_complete_without_evidence(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        _agree(incident, ctx())
        assert_refused(
            incident,
            InvalidCommand,
            incident.complete_action,
            ctx(),
            action_id="A1",
            completed_on=TODAY,
            evidence="",
        )

    def test_completed_before_agreed(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        _agree(incident, ctx())
        assert_refused(
            incident,
            InvalidCommand,
            incident.complete_action,
            ctx(),
            action_id="A1",
            completed_on=TODAY - timedelta(days=1),
            evidence="Checklist",
        )

    def test_review_before_complete(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        _agree(incident, ctx())
        assert_refused(
            incident,
            CommandNotAllowed,
            incident.review_action,
            ctx(),
            action_id="A1",
            effective=True,
            notes="n",
            match="not completed yet",
        )

    def test_review_unknown_action(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        assert_refused(
            incident, InvalidCommand, incident.review_action, ctx(), action_id="A1", effective=True, notes="n"
        )


class TestDowngradeAndExtension:
    def test_decide_without_request(self, report: Report, ctx: Ctx) -> None:
        incident = report()
        assert_refused(
            incident, CommandNotAllowed, incident.decide_downgrade, ctx(), approved=True, rationale="Agreed"
        )

    def test_decide_twice(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        incident.request_downgrade(ctx(), rationale="Natural course of illness")
        incident.decide_downgrade(ctx(), approved=False, rationale="Care problems found")
        assert_refused(
            incident,
            CommandNotAllowed,
            incident.decide_downgrade,
            ctx(),
            approved=True,
            rationale="Changed mind",
        )

    def test_request_while_one_is_pending(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        incident.request_downgrade(ctx(), rationale="Natural course of illness")
        assert_refused(incident, CommandNotAllowed, incident.request_downgrade, ctx(), rationale="Again")

    def test_request_again_after_rejection(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        incident.request_downgrade(ctx(), rationale="Natural course of illness")
        incident.decide_downgrade(ctx(), approved=False, rationale="Care problems found")
        incident.request_downgrade(ctx(), rationale="New post-mortem evidence")
        assert incident.downgrade is not None
        assert incident.downgrade.approved is None

    def test_rationales_required(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident)
        assert_refused(incident, InvalidCommand, incident.request_downgrade, ctx(), rationale=" ")
        incident.request_downgrade(ctx(), rationale="Natural course of illness")
        assert_refused(
            incident, InvalidCommand, incident.decide_downgrade, ctx(), approved=True, rationale=""
        )

    def test_psirf_has_no_serious_incident_to_downgrade(
        self, report: Report, classify: Classify, ctx: Ctx
    ) -> None:
        incident = report(Profile.PSIRF_2022)
        classify(incident)
        error = assert_refused(
            incident, CommandNotAllowed, incident.request_downgrade, ctx(), rationale="Natural course"
        )
        assert "reclassify" in str(error)

    def test_only_a_serious_incident_can_be_downgraded(
        self, report: Report, classify: Classify, ctx: Ctx
    ) -> None:
        incident = report()
        assert_refused(incident, CommandNotAllowed, incident.request_downgrade, ctx(), rationale="r")
        classify(incident, serious_incident=False)
        error = assert_refused(
            incident, CommandNotAllowed, incident.request_downgrade, ctx(), rationale="Natural course"
        )
        assert "classified as a Serious Incident" in str(error)

    def _extend(self, incident: Incident, ctx: CommandContext, **overrides: Any) -> None:
        fields: dict[str, Any] = {
            "deadline": "commissioner_report",
            "new_due": date(2026, 5, 8),
            "reason": "StEIS unavailable",
            "approved_by": "ICB quality lead",
        }
        fields.update(overrides)
        incident.agree_extension(ctx, **fields)

    def test_extend_unknown_deadline(self, report: Report, ctx: Ctx) -> None:
        incident = report()
        error = assert_refused(
            incident, InvalidCommand, self._extend, incident, ctx(), deadline="closure_review"
        )
        assert "commissioner_report" in str(error)

    @pytest.mark.parametrize("new_due", [date(2026, 5, 6), date(2026, 5, 5)])
    def test_extension_must_move_the_date_later(self, report: Report, ctx: Ctx, new_due: date) -> None:
        incident = report()
        assert_refused(incident, InvalidCommand, self._extend, incident, ctx(), new_due=new_due)

    @pytest.mark.parametrize("field", ["reason", "approved_by"])
    def test_extension_needs_reason_and_approver(self, report: Report, ctx: Ctx, field: str) -> None:
        incident = report()
        assert_refused(incident, InvalidCommand, self._extend, incident, ctx(), **{field: " "})

    def test_extend_a_met_deadline(self, report: Report, ctx: Ctx) -> None:
        incident = report()
        incident.report_to_commissioner(ctx(), reference="STEIS-1", reported_on=date(2026, 5, 6))
        assert_refused(incident, CommandNotAllowed, self._extend, incident, ctx(), match="is met")

    def test_extend_a_waived_deadline(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report()
        classify(incident, serious_incident=False)
        assert_refused(incident, CommandNotAllowed, self._extend, incident, ctx(), match="is waived")


TERMINAL_COMMANDS: dict[str, Callable[[Incident, CommandContext], None]] = {
    "classify": lambda i, c: i.classify(c, **classify_fields(i.profile)),
    "report-to-commissioner": lambda i, c: i.report_to_commissioner(c, reference="X", reported_on=TODAY),
    "notify-candour": lambda i, c: _notify(i, c),
    "start-investigation": lambda i, c: _start(i, c, ResponseType.PSII),
    "agree-action": lambda i, c: _agree(i, c, action_id="A2"),
    "request-downgrade": lambda i, c: i.request_downgrade(c, rationale="r"),
    "agree-extension": lambda i, c: i.agree_extension(
        c, deadline="candour_notification", new_due=date(2026, 7, 1), reason="r", approved_by="ICB"
    ),
    "close": lambda i, c: i.close(c, closed_on=TODAY),
}


class TestFinishedIncidents:
    @pytest.fixture
    def closed(self, report: Report, classify: Classify, ctx: Ctx) -> Incident:
        incident = report(Profile.PSIRF_2022)
        classify(incident)
        incident.close(ctx(), closed_on=TODAY)
        assert incident.status is Status.CLOSED
        return incident

    @pytest.fixture
    def downgraded(self, report: Report, classify: Classify, ctx: Ctx) -> Incident:
        incident = report(Profile.SIF_2015, physical_harm=PhysicalHarm.MODERATE)
        classify(incident, physical_harm=PhysicalHarm.MODERATE)
        incident.request_downgrade(ctx(), rationale="Natural course of illness")
        incident.decide_downgrade(ctx(), approved=True, rationale="Agreed")
        assert incident.status is Status.DOWNGRADED
        return incident

    @pytest.mark.parametrize("command", TERMINAL_COMMANDS.values(), ids=list(TERMINAL_COMMANDS))
    def test_commands_on_a_closed_incident(
        self, closed: Incident, ctx: Ctx, command: Callable[[Incident, CommandContext], None]
    ) -> None:
        error = assert_refused(closed, CommandNotAllowed, command, closed, ctx())
        assert "is closed on 2026-05-20" in str(error)

    @pytest.mark.parametrize(
        "command",
        [v for k, v in TERMINAL_COMMANDS.items() if k != "notify-candour"],
        ids=[k for k in TERMINAL_COMMANDS if k != "notify-candour"],
    )
    def test_commands_on_a_downgraded_incident(
        self, downgraded: Incident, ctx: Ctx, command: Callable[[Incident, CommandContext], None]
    ) -> None:
        error = assert_refused(downgraded, CommandNotAllowed, command, downgraded, ctx())
        assert "is downgraded" in str(error)

    def test_candour_continues_after_a_downgrade(self, downgraded: Incident, ctx: Ctx) -> None:
        """The Duty of Candour is statutory and separate from SI status (Regulation 20)."""
        _notify(downgraded, ctx())
        downgraded.send_candour_letter(ctx(), sent_on=TODAY, summary="Written account and apology")
        assert downgraded.candour.is_done
        assert downgraded.status is Status.DOWNGRADED


class TestClose:
    def _missing(self, incident: Incident, ctx: Ctx) -> list[str]:
        error = assert_refused(incident, CloseRefused, incident.close, ctx(), closed_on=TODAY)
        assert isinstance(error, CloseRefused)
        assert error.missing == incident.missing_for_closure()
        assert all(item in str(error) for item in error.missing)
        return error.missing

    def test_before_classification(self, report: Report, ctx: Ctx) -> None:
        assert self._missing(report(), ctx) == ["the incident has not been classified"]

    def test_serious_incident_with_nothing_done(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report(physical_harm=PhysicalHarm.MODERATE)
        classify(incident, physical_harm=PhysicalHarm.MODERATE)
        _agree(incident, ctx(), action_id="B2")
        _agree(incident, ctx(), action_id="A1")
        missing = self._missing(incident, ctx)
        assert len(missing) == 5
        assert missing[0].startswith("a learning response is required (Serious Incident")
        assert "level1, level2, level3" in missing[0]
        assert "the Serious Incident has not been reported to the commissioner" in missing
        assert "the initial review (72-hour report) has not been submitted" in missing
        assert "Duty of Candour: notify the relevant person, or record an exception" in missing
        assert missing[-1] == "safety actions not completed: A1, B2"

    def test_candour_letter_and_report_outstanding(
        self, report: Report, classify: Classify, ctx: Ctx
    ) -> None:
        incident = report(Profile.PSIRF_2022, physical_harm=PhysicalHarm.MODERATE)
        classify(incident, physical_harm=PhysicalHarm.MODERATE, never_event="wrong_route")
        _notify(incident, ctx())
        _start(incident, ctx(), ResponseType.PSII)
        assert self._missing(incident, ctx) == [
            "the psii investigation report has not been submitted",
            "Duty of Candour: send the written follow-up letter",
        ]

    def test_never_event_without_learning_response(
        self, report: Report, classify: Classify, ctx: Ctx
    ) -> None:
        incident = report(Profile.PSIRF_2022)
        classify(incident, never_event="wrong_site_surgery")
        [missing] = self._missing(incident, ctx)
        assert "national priority never_event" in missing
        assert missing.endswith("start one of psii")

    def test_pending_downgrade_request(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report(Profile.SIF_2015)
        classify(incident)
        incident.request_downgrade(ctx(), rationale="Not a serious incident after all")
        assert "a downgrade request awaits the commissioner's decision" in self._missing(incident, ctx)

    def test_closed_on_in_the_future(self, report: Report, classify: Classify, ctx: Ctx) -> None:
        incident = report(Profile.PSIRF_2022)
        classify(incident)
        assert_refused(incident, InvalidCommand, incident.close, ctx(), closed_on=TOMORROW)

    def test_candour_exception_lets_the_case_close(
        self, report: Report, classify: Classify, ctx: Ctx
    ) -> None:
        incident = report(Profile.PSIRF_2022, physical_harm=PhysicalHarm.MODERATE)
        classify(incident, physical_harm=PhysicalHarm.MODERATE)
        incident.record_candour_exception(ctx(), reason=CandourExceptionReason.DECLINED, attempts=[ATTEMPT])
        assert incident.missing_for_closure() == []
        incident.close(ctx(), closed_on=TODAY)
        assert incident.status is Status.CLOSED

    def test_reclassified_never_event_cannot_close_on_an_aar(
        self, report: Report, classify: Classify, ctx: Ctx
    ) -> None:
        incident = report(Profile.PSIRF_2022)
        classify(incident)
        _start(incident, ctx(), ResponseType.AAR)
        try:
            classify(incident, never_event="wrong_site_surgery")
        except (InvalidCommand, CommandNotAllowed):
            return  # refusing the reclassification is an acceptable fix
        _submit(incident, ctx())
        with pytest.raises(CloseRefused):
            incident.close(ctx(), closed_on=TODAY)
