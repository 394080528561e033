"""Fixtures for the domain unit tests: shipped policy, calendar, command contexts and a
helper that reports an incident in memory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from domain.enums import Profile
from domain.incident import CommandContext, Incident
from domain.policy import Policy, load_policy
from domain.working_days import WorkingDayCalendar

from .helpers import NOW, classify_fields, report_fields


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="session")
def calendar(policy: Policy) -> WorkingDayCalendar:
    return WorkingDayCalendar(policy.calendar.extra_holidays)


@pytest.fixture
def ctx(policy: Policy, calendar: WorkingDayCalendar) -> Callable[..., CommandContext]:
    """Factory: ``ctx()`` acts at NOW; ``ctx(now=..., actor=...)`` otherwise."""

    def make(now: datetime = NOW, actor: str = "patient.safety@rxa.nhs.uk") -> CommandContext:
        return CommandContext(actor=actor, now=now, policy=policy, calendar=calendar)

    return make


@pytest.fixture
def report(ctx: Callable[..., CommandContext]) -> Callable[..., Incident]:
    """Factory: report an incident (SIF 2015 by default) with the worked-example dates."""

    def make(profile: Profile = Profile.SIF_2015, *, now: datetime = NOW, **overrides: Any) -> Incident:
        return Incident.report(ctx(now=now), **report_fields(profile, **overrides))

    return make


@pytest.fixture
def classify(ctx: Callable[..., CommandContext]) -> Callable[..., None]:
    """Factory: classify an incident with defaults suited to its profile."""

    def run(incident: Incident, *, now: datetime = NOW, **overrides: Any) -> None:
        incident.classify(ctx(now=now), **classify_fields(incident.profile, **overrides))

    return run
