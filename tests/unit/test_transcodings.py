"""JSON transcoding of the domain's values, events and snapshots (in memory, no store)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, Mapper, UUIDAsHex

from application.transcodings import ENUM_TYPES, register_domain_transcodings
from domain.enums import (
    CandourExceptionReason,
    DeadlineStatus,
    PhysicalHarm,
    PsychologicalHarm,
    ResponseType,
)
from domain.incident import CommandContext, Incident
from domain.values import (
    ActionReview,
    CandourRecord,
    Classification,
    ClockChange,
    ContactAttempt,
    Deadline,
    Investigation,
    Patient,
    RequiredResponse,
    SafetyAction,
)

from .helpers import TODAY

Report = Callable[..., Incident]
Classify = Callable[..., None]
Ctx = Callable[..., CommandContext]


@pytest.fixture
def transcoder() -> JSONTranscoder:
    """Like the store's: eventsourcing's defaults plus the domain transcodings."""
    t = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DatetimeAsISO(), DecimalAsStr()):
        t.register(transcoding)
    register_domain_transcodings(t)
    return t


def _round_trip(transcoder: JSONTranscoder, value: Any) -> Any:
    encoded = transcoder.encode(value)
    assert isinstance(encoded, bytes)
    return transcoder.decode(encoded)


CLASSIFICATION = Classification(
    physical_harm=PhysicalHarm.MODERATE,
    psychological_harm=PsychologicalHarm.SEVERE,
    prolonged_psychological_harm=True,
    never_event="wrong_route",
    national_priority="mental_health_homicide",
    local_priority=None,
    serious_incident=None,
    rationale="Graded at the safety huddle",
    candour_applies=True,
    required_response=RequiredResponse(
        allowed=(ResponseType.EXTERNAL_REFERRAL, ResponseType.PSII),
        required=True,
        reason="national priority mental_health_homicide",
        refer_to="NHS England Regional Independent Investigation Team (RIIT)",
    ),
)


def test_classification_round_trips(transcoder: JSONTranscoder) -> None:
    decoded = _round_trip(transcoder, CLASSIFICATION)
    assert decoded == CLASSIFICATION
    assert isinstance(decoded.required_response, RequiredResponse)
    assert isinstance(decoded.required_response.allowed, tuple)
    assert decoded.physical_harm is PhysicalHarm.MODERATE


def test_classification_without_required_response_round_trips(transcoder: JSONTranscoder) -> None:
    value = Classification(
        physical_harm=PhysicalHarm.NONE,
        psychological_harm=PsychologicalHarm.NONE,
        prolonged_psychological_harm=False,
        never_event=None,
        national_priority=None,
        local_priority=None,
        serious_incident=False,
        rationale="Not an SI",
        candour_applies=False,
        required_response=None,
    )
    assert _round_trip(transcoder, value) == value


def test_deadline_with_previous_dues_round_trips(transcoder: JSONTranscoder) -> None:
    value = Deadline(
        kind="investigation_report",
        due=date(2026, 9, 30),
        status=DeadlineStatus.MET,
        met_on=date(2026, 9, 29),
        reason="Inquest (approved by ICB)",
        previous_dues=(date(2026, 7, 31), date(2026, 8, 28)),
    )
    decoded = _round_trip(transcoder, value)
    assert decoded == value
    assert isinstance(decoded.previous_dues, tuple)
    assert all(type(d) is date for d in decoded.previous_dues)
    assert decoded.status is DeadlineStatus.MET


@pytest.mark.parametrize("member", [m for enum in ENUM_TYPES for m in enum], ids=str)
def test_every_enum_member_round_trips_as_itself(transcoder: JSONTranscoder, member: Enum) -> None:
    assert _round_trip(transcoder, member) is member


def test_dates_and_datetimes_keep_their_types(transcoder: JSONTranscoder) -> None:
    day = date(2026, 5, 2)
    instant = datetime(2026, 5, 2, 9, 30, tzinfo=UTC)
    decoded = _round_trip(transcoder, {"day": day, "instant": instant})
    assert type(decoded["day"]) is date
    assert decoded["day"] == day
    assert type(decoded["instant"]) is datetime
    assert decoded["instant"] == instant


@pytest.mark.parametrize(
    "value",
    [
        Patient(nhs_number="9434765919", name="A Patient", date_of_birth=date(1950, 1, 1)),
        ClockChange(kind="candour_notification", change="set", due=date(2026, 5, 19)),
        CandourRecord(
            relevant_person="next of kin",
            exception_reason=CandourExceptionReason.NOT_CONTACTABLE,
            attempts=(
                ContactAttempt(on=date(2026, 5, 6), method="phone", outcome="no answer"),
                ContactAttempt(on=date(2026, 5, 8), method="letter", outcome="returned"),
            ),
        ),
        Investigation(
            response_type=ResponseType.LEVEL2,
            lead="Dr Lead",
            started_on=date(2026, 5, 8),
            coroner_initiated=True,
            submitted_on=date(2026, 5, 19),
            findings="Findings",
            contributing_factors=("staffing", "handover"),
            root_causes=("no independent check",),
        ),
        SafetyAction(
            action_id="A1",
            description="Two-person check",
            owner="Matron",
            due=date(2026, 6, 30),
            agreed_on=date(2026, 5, 20),
            agreed_at=datetime(2026, 5, 20, 11, 0, tzinfo=UTC),
            completed_on=date(2026, 6, 1),
            evidence="Audit",
            reviews=(
                ActionReview(
                    effective=True, notes="Clean", reviewed_at=datetime(2026, 7, 1, tzinfo=UTC), actor="qa"
                ),
            ),
        ),
    ],
    ids=lambda v: type(v).__name__,
)
def test_other_values_round_trip(transcoder: JSONTranscoder, value: Any) -> None:
    assert _round_trip(transcoder, value) == value


def _busy_incident(report: Report, classify: Classify, ctx: Ctx) -> Incident:
    incident = report(physical_harm=PhysicalHarm.MODERATE)
    classify(incident, physical_harm=PhysicalHarm.MODERATE, never_event="wrong_route")
    c = ctx()
    incident.report_to_commissioner(c, reference="STEIS-1", reported_on=date(2026, 5, 6))
    incident.agree_extension(
        c, deadline="initial_review", new_due=date(2026, 5, 12), reason="Lead on leave", approved_by="ICB"
    )
    incident.record_candour_exception(
        c,
        reason=CandourExceptionReason.DECLINED,
        attempts=[ContactAttempt(on=date(2026, 5, 6), method="phone", outcome="declined")],
    )
    incident.start_investigation(
        c,
        response_type=ResponseType.LEVEL1,
        lead="Dr Lead",
        started_on=date(2026, 5, 11),
        coroner_initiated=False,
    )
    incident.submit_investigation_report(
        c, submitted_on=TODAY, findings="Findings", contributing_factors=["staffing"], root_causes=["rc"]
    )
    incident.agree_action(c, action_id="A1", description="d", owner="Matron", due=date(2026, 6, 30))
    incident.complete_action(c, action_id="A1", completed_on=TODAY, evidence="Audit")
    incident.review_action(c, action_id="A1", effective=True, notes="Clean")
    return incident


def _state(incident: Incident) -> dict[str, Any]:
    return {
        "status": incident.status,
        "version": incident.version,
        "profile": incident.profile,
        "occurred_at": incident.occurred_at,
        "deadlines": sorted(incident.deadlines, key=lambda d: d.kind),
        "classification": incident.classification,
        "candour": incident.candour,
        "actions": incident.actions,
        "commissioner_report": incident.commissioner_report,
        "investigation": incident.investigation,
    }


def test_snapshot_round_trips(
    transcoder: JSONTranscoder, report: Report, classify: Classify, ctx: Ctx
) -> None:
    incident = _busy_incident(report, classify, ctx)
    extended = next(d for d in incident.deadlines if d.kind == "initial_review")
    assert extended.previous_dues == (date(2026, 5, 7),)
    mapper = Mapper(transcoder=transcoder)
    snapshot = Snapshot.take(incident)
    restored = mapper.to_domain_event(mapper.to_stored_event(snapshot)).mutate(None)
    assert isinstance(restored, Incident)
    assert _state(restored) == _state(incident)


def test_replayed_events_rebuild_the_deadlines_and_classification(
    transcoder: JSONTranscoder, report: Report, classify: Classify, ctx: Ctx
) -> None:
    incident = _busy_incident(report, classify, ctx)
    mapper = Mapper(transcoder=transcoder)
    replayed: Any = None
    for event in incident.collect_events():
        replayed = mapper.to_domain_event(mapper.to_stored_event(event)).mutate(replayed)
    assert isinstance(replayed, Incident)
    live, again = _state(incident), _state(replayed)
    live.pop("investigation")
    again.pop("investigation")
    assert again == live


def test_replayed_events_rebuild_the_investigation(
    transcoder: JSONTranscoder, report: Report, classify: Classify, ctx: Ctx
) -> None:
    incident = _busy_incident(report, classify, ctx)
    mapper = Mapper(transcoder=transcoder)
    replayed: Any = None
    for event in incident.collect_events():
        replayed = mapper.to_domain_event(mapper.to_stored_event(event)).mutate(replayed)
    assert replayed.investigation == incident.investigation
