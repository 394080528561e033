"""SQLAlchemy engines for read models, in the same database as the event store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def read_model_engine(database_url: str, *, writer: bool = True) -> Engine:
    """An engine on the event store's database.

    SQLite: a ``writer`` engine starts every transaction with ``BEGIN IMMEDIATE`` so that
    concurrent projection workers serialise on the write lock; a reader engine runs its
    queries in autocommit mode, so WAL lets them run beside a writer. PostgreSQL: a
    ``?schema=`` in the URL becomes the search path, so read models live beside the events
    of that schema (row locks serialise writers there).
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _: Any) -> None:
            dbapi_connection.isolation_level = None  # SQLAlchemy (or nothing) emits BEGIN
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA busy_timeout=30000")

        if writer:

            @event.listens_for(engine, "begin")
            def _begin(connection: Any) -> None:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    schema = url.query.get("schema")
    url = url.difference_update_query(["schema"])
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    connect_args = {"options": f"-csearch_path={schema}"} if isinstance(schema, str) and schema else {}
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)
