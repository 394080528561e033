"""Shared fixtures. Every test gets its own store: a fresh SQLite file, or, when
INCIDENTFLOW_TEST_DATABASE_URL names a PostgreSQL database, a fresh schema in it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql

from application.clock import FixedClock
from application.incidents import IncidentService
from infrastructure.api.app import create_app
from infrastructure.bootstrap import System, bootstrap
from infrastructure.persistence import eventsourcing_env
from infrastructure.settings import Settings

PG_URL = os.environ.get("INCIDENTFLOW_TEST_DATABASE_URL", "")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def _drop_schema(url: str, schema: str) -> None:
    env = eventsourcing_env(url)
    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        user=env["POSTGRES_USER"],
        autocommit=True,
    ) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A database URL for one test's own, empty event store."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'incidentflow.sqlite'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{separator}schema={schema}"
    _drop_schema(PG_URL, schema)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture
def system(settings: Settings, clock: FixedClock) -> Iterator[System]:
    """The wired parts (service, read models, sweeper) over this test's store."""
    wired = bootstrap(settings, clock=clock)
    yield wired
    wired.close()


@pytest.fixture
def service(system: System) -> IncidentService:
    return system.service


@pytest.fixture
def client(settings: Settings, clock: FixedClock) -> Iterator[TestClient]:
    """HTTP client over the real app and a real store (the app owns its service)."""
    app = create_app(lambda: bootstrap(settings, clock=clock))
    with TestClient(app) as test_client:
        yield test_client
