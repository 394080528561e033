"""The one place that wires the parts together. Nothing is built at import time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from application.clock import Clock
from application.incidents import IncidentService, IncidentStore
from application.sweep import DeadlineSweeper
from domain.policy import load_policy
from domain.working_days import WorkingDayCalendar
from infrastructure.persistence import eventsourcing_env, prepare_database, startup_lock
from infrastructure.settings import Settings
from projections.database import read_model_engine
from projections.deadlines import DeadlinesReadModel, DeadlinesView
from projections.incidents import IncidentsView
from projections.read_models import ReadModels
from projections.runner import Progress, Projections


@dataclass
class System:
    """The running parts: the write service, the read models and the deadline sweep."""

    settings: Settings
    service: IncidentService
    engine: Engine
    projections: Projections
    read_models: ReadModels
    deadlines: DeadlinesReadModel
    sweeper: DeadlineSweeper

    def close(self) -> None:
        self.service.close()
        self.engine.dispose()
        self.projections.reader.dispose()


def bootstrap(
    settings: Settings | None = None,
    clock: Clock | None = None,
    progress: Callable[[str], Progress | None] | None = None,
) -> System:
    """Load policy (failing fast on a bad file), open the event store and the read models
    (rebuilding any whose version changed; ``progress`` reports that)."""
    settings = settings or Settings()
    policy = load_policy(settings.policy_dir)
    calendar = WorkingDayCalendar(policy.calendar.extra_holidays)
    env = eventsourcing_env(settings.database_url)
    with startup_lock(settings.database_url):
        prepare_database(settings.database_url)
        store = IncidentStore(env=env)
        engine = read_model_engine(settings.database_url)
        reader = read_model_engine(settings.database_url, writer=False)
        views = [IncidentsView(), DeadlinesView(calendar, policy.calendar)]
        listen = env if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres" else None
        projections = Projections(store, engine, views, listen_env=listen, reader=reader)
        projections.setup(progress)
    service = IncidentService(store, policy, calendar=calendar, clock=clock)
    deadlines = DeadlinesReadModel(projections)
    return System(
        settings=settings,
        service=service,
        engine=engine,
        projections=projections,
        read_models=ReadModels(projections),
        deadlines=deadlines,
        sweeper=DeadlineSweeper(service, deadlines),
    )
