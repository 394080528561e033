"""Shared constants and helpers for the domain unit tests (no I/O)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.enums import PhysicalHarm, Profile, PsychologicalHarm
from domain.errors import DomainError
from domain.incident import Incident

# The worked example of the domain reference: identified on Saturday 2 May 2026; Monday
# 4 May 2026 is the Early May bank holiday.
OCCURRED = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)  # Fri 1 May 2026, 09:00 BST
IDENTIFIED = datetime(2026, 5, 2, 9, 0, tzinfo=UTC)  # Sat 2 May 2026, 10:00 BST
REPORTED = datetime(2026, 5, 5, 8, 30, tzinfo=UTC)  # Tue 5 May 2026, 09:30 BST
NOW = datetime(2026, 5, 20, 11, 0, tzinfo=UTC)  # Wed 20 May 2026, 12:00 BST

OCCURRED_ON = date(2026, 5, 1)
IDENTIFIED_ON = date(2026, 5, 2)
REPORTED_ON = date(2026, 5, 5)
TODAY = date(2026, 5, 20)

# Hand-counted from the gov.uk list of England & Wales bank holidays.
COMMISSIONER_DUE = date(2026, 5, 6)  # identified Sat 2 May + 2 WD (Mon 4 May is a holiday)
INITIAL_REVIEW_DUE = date(2026, 5, 7)  # identified + 3 WD
CANDOUR_DUE = date(2026, 5, 19)  # reported Tue 5 May + 10 WD

REFERENCE = "INC-2026-000001"


def report_fields(profile: Profile = Profile.SIF_2015, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "reference": REFERENCE,
        "profile": profile,
        "organisation": "RXA",
        "commissioner": "QHM",
        "occurred_at": OCCURRED,
        "identified_at": IDENTIFIED,
        "reported_at": REPORTED,
        "location": "Ward 7",
        "care_setting": "acute inpatient",
        "category": "medication",
        "description": "Oral medicine given intravenously",
        "immediate_actions": "Patient reviewed by the medical team",
        "physical_harm": PhysicalHarm.NONE,
        "psychological_harm": PsychologicalHarm.NONE,
        "patient": None,
    }
    fields.update(overrides)
    return fields


def classify_fields(profile: Profile, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "physical_harm": PhysicalHarm.NONE,
        "psychological_harm": PsychologicalHarm.NONE,
        "prolonged_psychological_harm": False,
        "never_event": None,
        "national_priority": None,
        "local_priority": None,
        "serious_incident": True if profile is Profile.SIF_2015 else None,
        "rationale": "Graded at the daily safety huddle",
    }
    fields.update(overrides)
    return fields


def deadline(incident: Incident, kind: str) -> Any:
    """The incident's deadline of ``kind`` (fails the test if there is none)."""
    found = {d.kind: d for d in incident.deadlines}
    assert kind in found, f"no {kind} deadline; deadlines: {sorted(found)}"
    return found[kind]


def deadline_kinds(incident: Incident) -> set[str]:
    return {d.kind for d in incident.deadlines}


def event_names(events: list[Any]) -> list[str]:
    return [type(e).__name__ for e in events]


def assert_refused(
    incident: Incident,
    error: type[DomainError],
    command: Callable[..., Any],
    *args: Any,
    match: str | None = None,
    **kwargs: Any,
) -> DomainError:
    """Run ``command``; it must raise exactly ``error`` and record nothing."""
    incident.collect_events()  # drain what earlier commands recorded
    version = incident.version
    status = incident.status
    deadlines = incident.deadlines
    with pytest.raises(error, match=match) as info:
        command(*args, **kwargs)
    assert type(info.value) is error, f"expected {error.__name__}, got {type(info.value).__name__}"
    assert incident.collect_events() == [], "a refused command must record no event"
    assert incident.version == version
    assert incident.status is status
    assert incident.deadlines == deadlines
    return info.value
