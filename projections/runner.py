"""Follows the event store's notification log and keeps read models up to date."""

from __future__ import annotations

from typing import Any, Protocol

from eventsourcing.application import Application
from sqlalchemy import Connection, Engine, MetaData

from projections.tracking import (
    ensure_position,
    lock_position,
    read_position,
    save_position,
    stored_version,
    tracking_metadata,
)


class Projection(Protocol):
    """A read model: its tables, and how one event changes them."""

    name: str
    version: str
    metadata: MetaData

    def process(self, conn: Connection, event: Any) -> None:
        """Apply one domain event (ignore those it does not use)."""

    def clear(self, conn: Connection) -> None:
        """Delete every row (before a rebuild)."""


class ProjectionRunner:
    """Polls the notification log and applies new events in batches, each batch with its
    position in one transaction (works on SQLite, where subscriptions are unavailable,
    and on PostgreSQL, where several runners may share a store)."""

    def __init__(
        self, store: Application[Any], engine: Engine, projection: Projection, batch_size: int = 500
    ) -> None:
        self.store = store
        self.engine = engine
        self.projection = projection
        self.batch_size = batch_size

    def setup(self) -> None:
        """Create tables; reset the view if its code version changed since it was built."""
        tracking_metadata.create_all(self.engine)
        self.projection.metadata.create_all(self.engine)
        name, version = self.projection.name, self.projection.version
        ensure_position(self.engine, name, version)
        with self.engine.begin() as conn:
            lock_position(conn, name)
            if stored_version(conn, name) != version:
                self.projection.clear(conn)
                save_position(conn, name, 0, version)

    def position(self) -> int:
        with self.engine.connect() as conn:
            return read_position(conn, self.projection.name)

    def catch_up(self) -> int:
        """Apply every event not yet applied; returns how many notifications were read."""
        total = 0
        while True:
            with self.engine.begin() as conn:
                position = lock_position(conn, self.projection.name)
                notifications = self.store.recorder.select_notifications(
                    start=position, limit=self.batch_size, inclusive_of_start=False
                )
                if not notifications:
                    return total
                for notification in notifications:
                    self.projection.process(conn, self.store.mapper.to_domain_event(notification))
                save_position(conn, self.projection.name, notifications[-1].id, self.projection.version)
            total += len(notifications)
