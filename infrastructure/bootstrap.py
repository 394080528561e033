"""The one place that wires the parts together. Nothing is built at import time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from application.clock import Clock
from application.incidents import IncidentService, IncidentStore
from application.sweep import DeadlineSweeper
from domain.policy import load_policy
from domain.working_days import WorkingDayCalendar
from infrastructure.persistence import eventsourcing_env, prepare_database
from infrastructure.settings import Settings
from projections.database import read_model_engine
from projections.deadlines import DeadlinesProjection, DeadlinesReadModel
from projections.runner import ProjectionRunner


@dataclass
class System:
    """The running parts: the write service, the read models and the deadline sweep."""

    settings: Settings
    service: IncidentService
    engine: Engine
    deadlines: DeadlinesReadModel
    sweeper: DeadlineSweeper

    def close(self) -> None:
        self.service.close()
        self.engine.dispose()


def bootstrap(settings: Settings | None = None, clock: Clock | None = None) -> System:
    """Load policy (failing fast on a bad file), open the event store and read models."""
    settings = settings or Settings()
    policy = load_policy(settings.policy_dir)
    calendar = WorkingDayCalendar(policy.calendar.extra_holidays)
    prepare_database(settings.database_url)
    store = IncidentStore(env=eventsourcing_env(settings.database_url))
    service = IncidentService(store, policy, calendar=calendar, clock=clock)
    engine = read_model_engine(settings.database_url)
    runner = ProjectionRunner(store, engine, DeadlinesProjection(calendar, policy.calendar))
    runner.setup()
    deadlines = DeadlinesReadModel(runner)
    return System(
        settings=settings,
        service=service,
        engine=engine,
        deadlines=deadlines,
        sweeper=DeadlineSweeper(service, deadlines),
    )
