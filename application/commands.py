"""Validated command inputs, shared by the HTTP API and the CLI.

Shape checks live here (types, enums, lengths, NHS number); rules that depend on the
incident or on policy live in the domain.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from domain.enums import (
    CandourExceptionReason,
    PhysicalHarm,
    Profile,
    PsychologicalHarm,
    ResponseType,
)
from domain.nhs_number import normalise_nhs_number

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100


def printable(value: str) -> str:
    """Refuse control characters (NUL and the like); tabs and line breaks are fine."""
    if CONTROL_CHARACTERS.search(value):
        raise ValueError("contains a control character; remove it (tabs and line breaks are fine)")
    return value


def plausible_year(value: Any) -> Any:
    """Refuse dates and instants outside 1900-2100: a typo, not a record."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"the year must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


ShortText = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(printable)]
LongText = Annotated[str, Field(min_length=1, max_length=20_000), AfterValidator(printable)]
OptionalText = Annotated[str, Field(max_length=20_000), AfterValidator(printable)]
Instant = Annotated[AwareDatetime, AfterValidator(plausible_year)]
Day = Annotated[date, AfterValidator(plausible_year)]
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
OrgCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9\-]{0,19}$")]
ActionId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
NhsNumber = Annotated[str, AfterValidator(normalise_nhs_number)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Command(Input):
    """A command on an existing incident; it may carry the version the caller last saw."""

    expected_version: int | None = Field(
        default=None, ge=1, description="Refuse the command unless the incident is at this version."
    )


class PatientDetails(Input):
    nhs_number: NhsNumber | None = None
    name: Annotated[str, Field(max_length=200)] | None = None
    date_of_birth: Day | None = None


class ReportIncident(Input):
    """Report a new incident (records Reported and starts its clocks)."""

    organisation: OrgCode = Field(description="Provider organisation code (ODS).")
    commissioner: OrgCode = Field(description="Commissioner (ICB) code.")
    profile: Profile = Profile.PSIRF_2022
    occurred_at: Instant
    identified_at: Instant
    reported_at: Instant | None = Field(
        default=None, description="When it entered the local reporting system; defaults to now."
    )
    location: ShortText
    care_setting: ShortText
    category: ShortText
    description: LongText
    immediate_actions: OptionalText = ""
    physical_harm: PhysicalHarm
    psychological_harm: PsychologicalHarm = PsychologicalHarm.NONE
    patient: PatientDetails | None = None


class Classify(Command):
    """Grade harm and classify; derives candour and the required response (Classified)."""

    physical_harm: PhysicalHarm
    psychological_harm: PsychologicalHarm
    prolonged_psychological_harm: bool = False
    never_event: Code | None = None
    national_priority: Code | None = None
    local_priority: Code | None = None
    serious_incident: bool | None = None
    natural_course_death: bool = Field(
        default=False,
        description="The death (physical_harm fatal) was from the natural course of the illness, "
        "not the incident: not a notifiable safety incident (Regulation 20).",
    )
    rationale: LongText


class ReportToCommissioner(Command):
    """The incident was reported to the commissioner (StEIS/LFPSE) (ReportedToCommissioner)."""

    reference: ShortText = Field(description="External reference (StEIS or LFPSE id).")
    reported_on: Day


class SubmitInitialReview(Command):
    """SIF 2015 initial review, the '72-hour report' (InitialReviewSubmitted)."""

    submitted_on: Day
    summary: LongText


class NotifyCandour(Command):
    """Duty of Candour notification in person, with account and apology (CandourNotified)."""

    relevant_person: ShortText = Field(description="Role, e.g. 'patient' or 'next of kin'.")
    notified_on: Day
    in_person: bool
    apology_given: bool
    account_given: bool


class SendCandourLetter(Command):
    """The written Duty of Candour follow-up (CandourLetterSent)."""

    sent_on: Day
    summary: LongText


class Attempt(Input):
    on: Day
    method: ShortText
    outcome: ShortText


class RecordCandourException(Command):
    """The relevant person declined or could not be contacted (CandourExceptionRecorded)."""

    reason: CandourExceptionReason
    attempts: list[Attempt] = Field(min_length=1, max_length=100)


class StartInvestigation(Command):
    """Start the learning response or investigation (InvestigationStarted)."""

    response_type: ResponseType
    lead: ShortText
    started_on: Day
    coroner_initiated: bool = False


class SubmitInvestigationReport(Command):
    """Submit the investigation report (Investigated)."""

    submitted_on: Day
    findings: LongText
    contributing_factors: list[ShortText] = Field(default_factory=list, max_length=100)
    root_causes: list[ShortText] = Field(default_factory=list, max_length=100)


class AgreeAction(Command):
    """Agree a safety action with a named owner and due date (SafetyActionAgreed)."""

    action_id: ActionId
    description: LongText
    owner: ShortText
    due: Day
    agreed_on: Day | None = Field(default=None, description="When it was agreed; default today.")


class CompleteAction(Command):
    """A safety action was implemented (SafetyActionCompleted)."""

    action_id: ActionId
    completed_on: Day
    evidence: LongText


class ReviewAction(Command):
    """Whether a completed safety action was effective (SafetyActionReviewed)."""

    action_id: ActionId
    effective: bool
    notes: LongText


class RequestDowngrade(Command):
    """Ask the commissioner to downgrade the incident (DowngradeRequested)."""

    rationale: LongText


class DecideDowngrade(Command):
    """The commissioner approves or rejects a downgrade (DowngradeDecided)."""

    approved: bool
    rationale: LongText


DeadlineKind = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(:[A-Za-z0-9_.\-]+)?$", max_length=80)]


class AgreeExtension(Command):
    """A deadline extension agreed with the commissioner (DeadlineExtended)."""

    deadline: DeadlineKind
    new_due: Day
    reason: LongText
    approved_by: ShortText


class WaiveDeadline(Command):
    """A deadline no longer applies; records why (DeadlineWaived)."""

    deadline: DeadlineKind
    reason: LongText


class RecordReferral(Command):
    """The incident was referred to another body (ReferralRecorded)."""

    referred_to: ShortText = Field(description="The body, e.g. the Regional Independent Investigation Team.")
    referred_on: Day
    reference: Annotated[str, Field(max_length=200), AfterValidator(printable)] = ""


class Close(Command):
    """Close the incident once everything required is done (ActionsClosed)."""

    closed_on: Day


COMMANDS: dict[str, type[Command]] = {
    "classify": Classify,
    "report-to-commissioner": ReportToCommissioner,
    "submit-initial-review": SubmitInitialReview,
    "notify-candour": NotifyCandour,
    "send-candour-letter": SendCandourLetter,
    "record-candour-exception": RecordCandourException,
    "start-investigation": StartInvestigation,
    "submit-investigation-report": SubmitInvestigationReport,
    "agree-action": AgreeAction,
    "complete-action": CompleteAction,
    "review-action": ReviewAction,
    "request-downgrade": RequestDowngrade,
    "decide-downgrade": DecideDowngrade,
    "agree-extension": AgreeExtension,
    "waive-deadline": WaiveDeadline,
    "record-referral": RecordReferral,
    "close": Close,
}
"""Command name (kebab-case, as in the HTTP path and the CLI) → input model."""
