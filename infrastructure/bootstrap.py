"""The one place that wires the parts together. Nothing is built at import time."""

from __future__ import annotations

from application.clock import Clock
from application.incidents import IncidentService, IncidentStore
from domain.policy import load_policy
from domain.working_days import WorkingDayCalendar
from infrastructure.persistence import eventsourcing_env, prepare_database
from infrastructure.settings import Settings


def bootstrap(settings: Settings | None = None, clock: Clock | None = None) -> IncidentService:
    """Load policy (failing fast on a bad file), open the event store, build the service."""
    settings = settings or Settings()
    policy = load_policy(settings.policy_dir)
    calendar = WorkingDayCalendar(policy.calendar.extra_holidays)
    prepare_database(settings.database_url)
    store = IncidentStore(env=eventsourcing_env(settings.database_url))
    return IncidentService(store, policy, calendar=calendar, clock=clock)
