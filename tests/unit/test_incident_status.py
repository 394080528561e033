"""Lifecycle status transitions and the events that drive them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from domain.enums import PhysicalHarm, Profile, ResponseType, Status
from domain.incident import CommandContext, Incident, incident_id_for

from .helpers import REFERENCE, TODAY, event_names

Report = Callable[..., Incident]
Classify = Callable[..., None]
Ctx = Callable[..., CommandContext]


def _status_after(incident: Incident, step: Callable[[], None]) -> tuple[Status, list[str]]:
    incident.collect_events()
    step()
    return incident.status, event_names(incident.collect_events())


def test_reported_incident(report: Report) -> None:
    incident = report()
    assert incident.status is Status.REPORTED
    assert incident.version == 1
    assert incident.id == incident_id_for(REFERENCE)
    assert incident.reference == REFERENCE
    assert incident.profile is Profile.SIF_2015
    [event] = incident.collect_events()
    assert type(event).__name__ == "Reported"
    assert event.actor == "patient.safety@rxa.nhs.uk"


def test_incident_ids_are_derived_from_the_reference() -> None:
    assert incident_id_for("INC-2026-000001") == incident_id_for("INC-2026-000001")
    assert incident_id_for("INC-2026-000001") != incident_id_for("INC-2026-000002")


def test_serious_incident_full_lifecycle(report: Report, classify: Classify, ctx: Ctx) -> None:
    incident = report(physical_harm=PhysicalHarm.MODERATE)
    c = ctx()
    steps: list[tuple[Callable[[], None], Status, str]] = [
        (lambda: classify(incident, physical_harm=PhysicalHarm.MODERATE), Status.CLASSIFIED, "Classified"),
        (
            lambda: incident.report_to_commissioner(c, reference="STEIS-1", reported_on=date(2026, 5, 6)),
            Status.CLASSIFIED,
            "ReportedToCommissioner",
        ),
        (
            lambda: incident.submit_initial_review(
                c, submitted_on=date(2026, 5, 7), summary="72-hour report"
            ),
            Status.CLASSIFIED,
            "InitialReviewSubmitted",
        ),
        (
            lambda: incident.notify_candour(
                c,
                relevant_person="patient",
                notified_on=date(2026, 5, 7),
                in_person=True,
                apology_given=True,
                account_given=True,
            ),
            Status.CLASSIFIED,
            "CandourNotified",
        ),
        (
            lambda: incident.send_candour_letter(c, sent_on=date(2026, 5, 8), summary="Letter"),
            Status.CLASSIFIED,
            "CandourLetterSent",
        ),
        (
            lambda: incident.start_investigation(
                c,
                response_type=ResponseType.LEVEL2,
                lead="Dr Lead",
                started_on=date(2026, 5, 8),
                coroner_initiated=True,
            ),
            Status.UNDER_INVESTIGATION,
            "InvestigationStarted",
        ),
        (
            lambda: incident.submit_investigation_report(
                c,
                submitted_on=date(2026, 5, 19),
                findings="Findings",
                contributing_factors=[],
                root_causes=[],
            ),
            Status.INVESTIGATED,
            "Investigated",
        ),
        (
            lambda: incident.agree_action(
                c, action_id="A1", description="d", owner="Matron", due=date(2026, 6, 30)
            ),
            Status.ACTIONS_IN_PROGRESS,
            "SafetyActionAgreed",
        ),
        (
            lambda: incident.agree_action(
                c, action_id="A2", description="d", owner="Matron", due=date(2026, 7, 30)
            ),
            Status.ACTIONS_IN_PROGRESS,
            "SafetyActionAgreed",
        ),
        (
            lambda: incident.complete_action(c, action_id="A1", completed_on=TODAY, evidence="Audit"),
            Status.ACTIONS_IN_PROGRESS,
            "SafetyActionCompleted",
        ),
        (
            lambda: incident.complete_action(c, action_id="A2", completed_on=TODAY, evidence="Audit"),
            Status.INVESTIGATED,
            "SafetyActionCompleted",
        ),
        (
            lambda: incident.review_action(c, action_id="A1", effective=True, notes="Re-audit clean"),
            Status.INVESTIGATED,
            "SafetyActionReviewed",
        ),
        (lambda: incident.close(c, closed_on=TODAY), Status.CLOSED, "ActionsClosed"),
    ]
    for version, (step, status, event) in enumerate(steps, start=2):
        assert _status_after(incident, step) == (status, [event])
        assert incident.version == version
    assert incident.closed_on == TODAY
    assert incident.missing_for_closure() == []
    investigation = incident.investigation
    assert investigation is not None
    assert investigation.coroner_initiated is True
    [reviewed] = [a for a in incident.actions if a.action_id == "A1"]
    assert reviewed.reviews[0].effective is True
    assert reviewed.reviews[0].actor == "patient.safety@rxa.nhs.uk"


def test_actions_agreed_during_investigation_keep_it_under_investigation(
    report: Report, classify: Classify, ctx: Ctx
) -> None:
    incident = report(Profile.PSIRF_2022)
    classify(incident)
    incident.start_investigation(
        ctx(),
        response_type=ResponseType.AAR,
        lead="Lead",
        started_on=date(2026, 5, 11),
        coroner_initiated=False,
    )
    incident.agree_action(ctx(), action_id="A1", description="d", owner="Matron", due=date(2026, 6, 30))
    assert incident.status is Status.UNDER_INVESTIGATION
    incident.submit_investigation_report(
        ctx(), submitted_on=TODAY, findings="Findings", contributing_factors=[], root_causes=[]
    )
    assert incident.status is Status.ACTIONS_IN_PROGRESS


def test_psirf_incident_without_required_response_closes_after_classification(
    report: Report, classify: Classify, ctx: Ctx
) -> None:
    incident = report(Profile.PSIRF_2022)
    classify(incident)
    assert incident.status is Status.CLASSIFIED
    assert incident.missing_for_closure() == []
    incident.close(ctx(), closed_on=TODAY)
    assert incident.status is Status.CLOSED


def test_reclassification_keeps_status_and_records_each_classification(
    report: Report, classify: Classify
) -> None:
    incident = report()
    classify(incident, physical_harm=PhysicalHarm.LOW)
    classify(incident, physical_harm=PhysicalHarm.SEVERE, rationale="Worse at review")
    assert incident.status is Status.CLASSIFIED
    assert event_names(incident.collect_events()) == ["Reported", "Classified", "Classified"]
    assert incident.classification is not None
    assert incident.classification.physical_harm is PhysicalHarm.SEVERE
    assert incident.physical_harm is PhysicalHarm.SEVERE
    assert incident.classification.rationale == "Worse at review"


@pytest.mark.parametrize("investigating", [False, True])
def test_approved_downgrade_ends_the_lifecycle(
    report: Report, classify: Classify, ctx: Ctx, investigating: bool
) -> None:
    incident = report()
    classify(incident)
    if investigating:
        incident.start_investigation(
            ctx(),
            response_type=ResponseType.LEVEL1,
            lead="Dr A",
            started_on=incident.identified_on,
            coroner_initiated=False,
        )
    before = incident.status
    incident.request_downgrade(ctx(), rationale="Natural course of illness managed to best practice")
    incident.decide_downgrade(ctx(), approved=True, rationale="Agreed at the ICB panel")
    assert before is not Status.DOWNGRADED
    assert incident.status is Status.DOWNGRADED
    assert incident.downgrade is not None
    assert incident.downgrade.approved is True
    assert incident.downgrade.decision_rationale == "Agreed at the ICB panel"


def test_rejected_downgrade_returns_to_the_lifecycle(report: Report, classify: Classify, ctx: Ctx) -> None:
    incident = report()
    classify(incident)
    incident.request_downgrade(ctx(), rationale="Natural course of illness")
    incident.decide_downgrade(ctx(), approved=False, rationale="Problems in care found")
    assert incident.status is Status.CLASSIFIED
