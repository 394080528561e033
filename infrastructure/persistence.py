"""Maps ``INCIDENTFLOW_DATABASE_URL`` to the eventsourcing persistence module and settings.

SQLite uses the library's core ``eventsourcing.sqlite`` module (embedded file, WAL);
PostgreSQL uses ``eventsourcing.postgres`` (psycopg 3). See docs/architecture.md for why
the core modules rather than the SQLAlchemy extension.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError


class DatabaseUrlError(ValueError):
    pass


def eventsourcing_env(database_url: str) -> dict[str, str]:
    """Environment for ``eventsourcing.Application`` from a database URL."""
    try:
        url: URL = make_url(database_url)
    except ArgumentError:
        raise DatabaseUrlError(
            f"INCIDENTFLOW_DATABASE_URL {database_url!r} is not a database URL; use "
            "sqlite:///var/incidentflow.sqlite or postgresql+psycopg://user@host:5432/dbname"
        ) from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"}
        path = Path(url.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    if backend == "postgresql":
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.database or "postgres",
            "POSTGRES_HOST": url.host or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": url.username or "postgres",
            "POSTGRES_PASSWORD": url.password or "",
            "POSTGRES_CONNECT_TIMEOUT": "10",
            "POSTGRES_LOCK_TIMEOUT": "10",
        }
        schema = url.query.get("schema")
        if isinstance(schema, str) and schema:
            env["POSTGRES_SCHEMA"] = schema
        return env
    raise DatabaseUrlError(f"INCIDENTFLOW_DATABASE_URL uses {backend!r}; supported: sqlite, postgresql")


def prepare_database(database_url: str) -> None:
    """Create what the event store needs before first use (a PostgreSQL schema if named)."""
    env = eventsourcing_env(database_url)
    schema = env.get("POSTGRES_SCHEMA")
    if not schema:
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        autocommit=True,
    ) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


STARTUP_LOCK = 0x1C1DE7F10  # pg_advisory_lock key: one start-up at a time per database


@contextmanager
def startup_lock(database_url: str) -> Iterator[None]:
    """PostgreSQL: hold an advisory lock while a process creates or upgrades tables (the
    event store's, the read models', a rebuild of a changed view), so processes starting
    together do not race on the catalog or rebuild the same view twice. SQLite: nothing."""
    env = eventsourcing_env(database_url)
    if env["PERSISTENCE_MODULE"] != "eventsourcing.postgres":
        yield
        return
    import psycopg

    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        autocommit=True,
    ) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (STARTUP_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (STARTUP_LOCK,))
