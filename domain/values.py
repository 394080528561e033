"""Value objects carried by incident events and held in the aggregate's state."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from domain.enums import (
    CandourExceptionReason,
    ClockState,
    DeadlineStatus,
    PhysicalHarm,
    PsychologicalHarm,
    ResponseType,
)


@dataclass(frozen=True)
class Patient:
    nhs_number: str | None = None
    name: str | None = None
    date_of_birth: date | None = None


@dataclass(frozen=True)
class ContactAttempt:
    """One dated attempt to contact the relevant person (Duty of Candour)."""

    on: date
    method: str
    outcome: str


@dataclass(frozen=True)
class RequiredResponse:
    """What the classification asks for: which learning responses are acceptable,
    whether one is required before closure, and any body to refer to."""

    allowed: tuple[ResponseType, ...]
    required: bool
    reason: str
    refer_to: str | None = None


@dataclass(frozen=True)
class Classification:
    physical_harm: PhysicalHarm
    psychological_harm: PsychologicalHarm
    prolonged_psychological_harm: bool
    never_event: str | None
    national_priority: str | None
    local_priority: str | None
    serious_incident: bool | None
    rationale: str
    candour_applies: bool
    required_response: RequiredResponse | None
    natural_course_death: bool = False


@dataclass(frozen=True)
class ClockChange:
    """A change to one deadline, recorded in the event that caused it.

    ``change`` is ``set`` (with ``due``), ``met`` (with ``on``), ``waived`` (with
    ``reason``), ``extended`` (with the new ``due`` and ``reason``), ``reminded`` or
    ``breached`` (with the ``due`` date the reminder or breach was for).
    """

    kind: str
    change: str
    due: date | None = None
    on: date | None = None
    reason: str = ""
    by_rule: bool = False  # a waiver by the clock rules (not one someone recorded)


@dataclass(frozen=True)
class Deadline:
    kind: str
    due: date
    status: DeadlineStatus = DeadlineStatus.PENDING
    met_on: date | None = None
    reason: str = ""
    previous_dues: tuple[date, ...] = ()
    reminded_dues: tuple[date, ...] = ()
    breached_dues: tuple[date, ...] = ()
    waived_by_rule: bool = False

    @property
    def state(self) -> ClockState:
        """What a person sees: pending, approaching, breached, met, met late or waived."""
        if self.status is DeadlineStatus.WAIVED:
            return ClockState.WAIVED
        if self.status is DeadlineStatus.MET:
            late = self.met_on is not None and self.met_on > self.due
            return ClockState.MET_LATE if late else ClockState.MET
        if self.due in self.breached_dues:
            return ClockState.BREACHED
        if self.due in self.reminded_dues:
            return ClockState.APPROACHING
        return ClockState.PENDING

    def days_overdue(self, today: date) -> int:
        """Calendar days past due: until met (if met late) or until today (if open)."""
        if self.status is DeadlineStatus.WAIVED:
            return 0
        end = self.met_on if self.status is DeadlineStatus.MET and self.met_on else today
        return max(0, (end - self.due).days)

    def apply(self, change: ClockChange) -> Deadline:
        assert change.due is not None or change.change not in ("reminded", "breached")
        if change.change == "reminded" and change.due is not None:
            return replace(self, reminded_dues=(*self.reminded_dues, change.due))
        if change.change == "breached" and change.due is not None:
            return replace(self, breached_dues=(*self.breached_dues, change.due))
        if change.change == "met":
            return replace(self, status=DeadlineStatus.MET, met_on=change.on)
        if change.change == "waived":
            return replace(
                self, status=DeadlineStatus.WAIVED, reason=change.reason, waived_by_rule=change.by_rule
            )
        if change.change == "extended":
            assert change.due is not None
            return replace(
                self,
                due=change.due,
                reason=change.reason,
                previous_dues=(*self.previous_dues, self.due),
            )
        raise ValueError(f"unknown clock change {change.change!r}")


@dataclass(frozen=True)
class ActionReview:
    effective: bool
    notes: str
    reviewed_at: datetime
    actor: str


@dataclass(frozen=True)
class SafetyAction:
    action_id: str
    description: str
    owner: str
    due: date
    agreed_on: date
    agreed_at: datetime
    completed_on: date | None = None
    evidence: str | None = None
    reviews: tuple[ActionReview, ...] = ()

    @property
    def is_completed(self) -> bool:
        return self.completed_on is not None


@dataclass(frozen=True)
class CandourRecord:
    relevant_person: str | None = None
    notified_on: date | None = None
    in_person: bool | None = None
    apology_given: bool | None = None
    account_given: bool | None = None
    letter_sent_on: date | None = None
    letter_summary: str | None = None
    exception_reason: CandourExceptionReason | None = None
    attempts: tuple[ContactAttempt, ...] = ()

    @property
    def is_done(self) -> bool:
        """Letter sent after notification, or an exception recorded with attempts."""
        return self.letter_sent_on is not None or self.exception_reason is not None


@dataclass(frozen=True)
class Investigation:
    response_type: ResponseType
    lead: str
    started_on: date
    coroner_initiated: bool
    submitted_on: date | None = None
    findings: str | None = None
    contributing_factors: tuple[str, ...] = ()
    root_causes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Referral:
    """A referral of the incident to another body."""

    referred_to: str
    referred_on: date
    reference: str = ""


@dataclass(frozen=True)
class Downgrade:
    requested_at: datetime
    rationale: str
    approved: bool | None = None
    decision_rationale: str | None = None
    decided_at: datetime | None = None
