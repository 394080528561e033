"""Plain (JSON-ready) views of incidents and their events."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from domain.enums import TERMINAL_STATUSES
from domain.incident import Incident
from domain.values import Deadline

EVENT_ENVELOPE_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}
)


def plain(value: Any) -> Any:
    """Convert domain values to JSON-ready Python values."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def event_view(event: Incident.Event) -> dict[str, Any]:
    data = {name: plain(value) for name, value in vars(event).items() if name not in EVENT_ENVELOPE_FIELDS}
    return {
        "version": event.originator_version,
        "type": type(event).__name__,
        "recorded_at": event.timestamp.isoformat(),
        "actor": event.actor,
        "data": data,
    }


def deadline_view(deadline: Deadline, today: date) -> dict[str, Any]:
    return {
        "kind": deadline.kind,
        "due": deadline.due.isoformat(),
        "status": deadline.state.value,
        "met_on": plain(deadline.met_on),
        "days_overdue": deadline.days_overdue(today),
        "reason": deadline.reason,
        "history": [p.isoformat() for p in deadline.previous_dues],
        "breached_dues": [p.isoformat() for p in deadline.breached_dues],
    }


def incident_view(incident: Incident, today: date) -> dict[str, Any]:
    """The incident's current state; ``today`` (Europe/London) dates the overdue counts."""
    classification = incident.classification
    external_reference, commissioner_reported_on = incident.commissioner_report
    return {
        "id": str(incident.id),
        "reference": incident.reference,
        "status": incident.status.value,
        "profile": incident.profile.value,
        "version": incident.version,
        "organisation": incident.organisation,
        "commissioner": incident.commissioner,
        "occurred_at": incident.occurred_at.isoformat(),
        "identified_at": incident.identified_at.isoformat(),
        "reported_at": incident.reported_at.isoformat(),
        **incident.details,
        "patient": plain(incident.patient),
        "harm": {
            "physical": incident.physical_harm.value,
            "psychological": incident.psychological_harm.value,
        },
        "classification": plain(classification),
        "candour": {"applies": incident.candour_applies, **plain(incident.candour)},
        "commissioner_report": {
            "reference": external_reference,
            "reported_on": plain(commissioner_reported_on),
        },
        "initial_review_on": plain(incident.initial_review_on),
        "investigation": plain(incident.investigation),
        "actions": plain(incident.actions),
        "downgrade": plain(incident.downgrade),
        "referrals": plain(incident.referrals),
        "closed_on": plain(incident.closed_on),
        "missing_for_closure": [] if incident.status in TERMINAL_STATUSES else incident.missing_for_closure(),
        "deadlines": [deadline_view(d, today) for d in incident.deadlines],
        "created_at": incident.created_on.isoformat(),
        "modified_at": incident.modified_on.isoformat(),
    }
