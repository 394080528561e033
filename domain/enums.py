"""Closed vocabularies of the incident lifecycle.

Plain ``Enum`` (not ``StrEnum``) on purpose: the event store's JSON transcoder then
round-trips them as enums instead of silently turning them into strings.
"""

from __future__ import annotations

from enum import Enum


class Profile(Enum):
    """The national framework an incident is run under."""

    PSIRF_2022 = "psirf-2022"
    SIF_2015 = "sif-2015"


class PhysicalHarm(Enum):
    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    SEVERE = "severe"
    FATAL = "fatal"


class PsychologicalHarm(Enum):
    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    SEVERE = "severe"


class ResponseType(Enum):
    PSII = "psii"
    AAR = "aar"
    MIR = "mir"
    SWARM_HUDDLE = "swarm_huddle"
    THEMATIC = "thematic"
    LOCAL_REVIEW = "local_review"
    LEVEL1 = "level1"
    LEVEL2 = "level2"
    LEVEL3 = "level3"
    EXTERNAL_REFERRAL = "external_referral"


class Status(Enum):
    """Lifecycle states; see docs/domain.md for the state diagram."""

    REPORTED = "reported"
    CLASSIFIED = "classified"
    UNDER_INVESTIGATION = "under_investigation"
    INVESTIGATED = "investigated"
    ACTIONS_IN_PROGRESS = "actions_in_progress"
    DOWNGRADED = "downgraded"
    CLOSED = "closed"


class DeadlineStatus(Enum):
    PENDING = "pending"
    MET = "met"
    WAIVED = "waived"


class ClockState(Enum):
    """A deadline as people see it, derived from its recorded history."""

    PENDING = "pending"
    APPROACHING = "approaching"
    BREACHED = "breached"
    MET = "met"
    MET_LATE = "met_late"
    WAIVED = "waived"


class CandourExceptionReason(Enum):
    DECLINED = "declined"
    NOT_CONTACTABLE = "not_contactable"


class ClockAnchor(Enum):
    """The business date a clock counts from."""

    IDENTIFIED = "identified"
    REPORTED = "reported"
    COMMISSIONER_REPORTED = "commissioner_reported"
    INVESTIGATION_STARTED = "investigation_started"
    INVESTIGATION_SUBMITTED = "investigation_submitted"


class ClockCondition(Enum):
    """When a clock applies at all."""

    ALWAYS = "always"
    CANDOUR_APPLIES = "candour_applies"


TERMINAL_STATUSES = frozenset({Status.CLOSED, Status.DOWNGRADED})
