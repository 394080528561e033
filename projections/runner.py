"""Keeps the read models up to date with the event store's notification log.

Each view is a set of SQL tables in the event store's database. Batches of events are
applied with the view's position in one transaction (exactly once, on SQLite and on
PostgreSQL, with any number of workers). A rebuild fills a fresh generation of tables
beside the live one and swaps it in when caught up, so queries keep answering.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from eventsourcing.application import Application
from eventsourcing.persistence import Notification
from sqlalchemy import Connection, Engine, MetaData, Table

from domain.incident import Incident
from projections import tracking
from projections.batch import RowBatch

Progress = Callable[[int, int], None]
RETRY_SECONDS = 5.0
log = logging.getLogger("incidentflow.projections")
REBUILD_BATCH = 5000


class View(Protocol):
    """A read model: its tables (per generation) and how events change their rows."""

    name: str

    @property
    def version(self) -> str:
        """Changes whenever the rows it would build change; a new version is rebuilt."""
        ...

    def tables(self, metadata: MetaData, generation: int) -> dict[str, Table]: ...

    def apply(self, batch: RowBatch, event: Incident.Event) -> None: ...


class Projections:
    def __init__(
        self,
        store: Application[Any],
        engine: Engine,
        views: list[Any],
        batch_size: int = 1000,
        listen_env: dict[str, str] | None = None,
        reader: Engine | None = None,
    ) -> None:
        """``listen_env``: the PostgreSQL connection settings (eventsourcing POSTGRES_*),
        for LISTEN/NOTIFY; without it, ``follow`` polls."""
        self.store = store
        self.listen_env = listen_env
        self.reader = reader or engine  # for queries: no write lock on SQLite
        self.engine = engine
        self.views: dict[str, View] = {v.name: v for v in views}
        self.batch_size = batch_size
        self.rebuild_batch_size = REBUILD_BATCH
        self._tables: dict[tuple[str, int], dict[str, Table]] = {}
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- set-up

    def setup(self, progress: Callable[[str], Progress | None] | None = None) -> None:
        """Create what is missing; rebuild any view whose version changed in code or policy."""
        tracking.tracking_metadata.create_all(self.engine)
        for name, view in self.views.items():
            with self.engine.connect() as conn:
                current = tracking.active(conn, name)
            if current is None:
                created = tracking.create_generation(self.engine, name, view.version, tracking.ACTIVE)
                if created is not None:
                    self._create_tables(name, created)
            elif current.version != view.version:
                self.rebuild(name, progress(name) if progress else None)
            else:
                self._create_tables(name, current.generation)

    def _create_tables(self, name: str, generation: int) -> dict[str, Table]:
        tables = self._generation_tables(name, generation)
        for table in tables.values():
            table.create(self.engine, checkfirst=True)
        return tables

    def _generation_tables(self, name: str, generation: int) -> dict[str, Table]:
        with self._lock:
            key = (name, generation)
            if key not in self._tables:
                self._tables[key] = self.views[name].tables(MetaData(), generation)
            return self._tables[key]

    def tables(self, conn: Connection, name: str) -> dict[str, Table]:
        """The live tables of a view, for queries."""
        current = tracking.active(conn, name)
        if current is None:
            raise LookupError(f"read model {name!r} is not set up")
        return self._generation_tables(name, current.generation)

    # -------------------------------------------------------------- catch-up

    def head(self) -> int:
        return self.store.recorder.max_notification_id() or 0

    def catch_up(self, name: str | None = None) -> int:
        """Apply every event not yet applied to the live generation of one or all views."""
        total = 0
        head = self.head()
        with self.reader.connect() as conn:
            behind = [
                view
                for view in ([name] if name else list(self.views))
                if (current := tracking.active(conn, view)) is None or current.position < head
            ]
        for view_name in behind:  # nothing to lock or write for views already at the head
            while True:
                with self.engine.begin() as conn:
                    current = tracking.active(conn, view_name)
                    if current is None:
                        break
                    applied = self._step(conn, view_name, current.generation)
                if not applied:
                    break
                total += applied
        return total

    def _step(self, conn: Connection, name: str, generation: int, limit: int | None = None) -> int:
        """One batch for one generation, inside the caller's transaction."""
        return self._step_together(conn, [(name, generation)], limit)

    def _step_together(
        self, conn: Connection, targets: list[tuple[str, int]], limit: int | None = None
    ) -> int:
        """One batch for generations at the same position (a rebuild of several views):
        the log is read and decoded once and applied to each."""
        positions = {tracking.lock(conn, name, generation) for name, generation in targets}
        assert len(positions) == 1, f"generations at different positions: {targets}"
        notifications = self.store.recorder.select_notifications(
            start=positions.pop(), limit=limit or self.batch_size, inclusive_of_start=False
        )
        if not notifications:
            return 0
        events = [e for e in (self._decode(n) for n in notifications) if isinstance(e, Incident.Event)]
        for name, generation in targets:
            if events:
                self._apply(conn, self.views[name], self._generation_tables(name, generation), events)
            tracking.save(conn, name, generation, notifications[-1].id)
        return len(notifications)

    def _apply(
        self, conn: Connection, view: View, tables: dict[str, Table], events: list[Incident.Event]
    ) -> None:
        batch = RowBatch(conn, tables)
        reported = (str(e.originator_id) for e in events if isinstance(e, Incident.Reported))
        batch.load((str(e.originator_id) for e in events), new=reported)
        for event in events:
            view.apply(batch, event)
        batch.flush()

    def _decode(self, notification: Notification) -> Any:
        return self.store.mapper.to_domain_event(notification)

    # --------------------------------------------------------------- rebuild

    def rebuild(self, names: str | list[str], progress: Progress | None = None) -> dict[str, int]:
        """Build views afresh from position 0 beside the live ones (one pass over the log
        for all of them), then swap them in together. Returns each new generation."""
        names = [names] if isinstance(names, str) else list(names)
        targets: list[tuple[str, int]] = []
        for name in names:
            generation = None
            while generation is None:
                generation = tracking.create_generation(
                    self.engine, name, self.views[name].version, tracking.BUILDING
                )
            for table in self._generation_tables(name, generation).values():
                table.drop(self.engine, checkfirst=True)
                table.create(self.engine)
            targets.append((name, generation))
        head = self.head()
        done = 0
        batch = self.rebuild_batch_size
        while True:
            with self.engine.begin() as conn:
                applied = self._step_together(conn, targets, batch)
            done += applied
            if progress:
                progress(done, max(head, done))
            if applied < batch:
                break
        with self.engine.begin() as conn:
            for name in names:  # pause live workers, and any other rebuild's swap, of these views
                tracking.lock_view(conn, name)
            while self._step_together(conn, targets):
                pass
            for name, generation in targets:
                for other in tracking.generations(conn, name):
                    if other.state == tracking.ACTIVE and other.generation != generation:
                        tracking.set_state(conn, name, other.generation, tracking.RETIRED)
                tracking.set_state(conn, name, generation, tracking.ACTIVE)
        for name in names:
            self._drop_retired(name)
        return dict(targets)

    def _drop_retired(self, name: str) -> None:
        with self.reader.connect() as conn:
            retired = [g for g in tracking.generations(conn, name) if g.state == tracking.RETIRED]
        for old in retired:
            try:
                for table in self._generation_tables(name, old.generation).values():
                    table.drop(self.engine, checkfirst=True)
                with self.engine.begin() as conn:
                    conn.execute(
                        tracking.positions.delete().where(
                            (tracking.positions.c.name == name)
                            & (tracking.positions.c.generation == old.generation)
                        )
                    )
            except Exception:
                continue

    # ---------------------------------------------------------------- status

    def status(self) -> list[dict[str, Any]]:
        """Each view's generation, position, the log head and the lag in events and seconds."""
        head = self.head()
        report = []
        with self.reader.connect() as conn:  # no write lock: status never waits on workers
            for name, view in self.views.items():
                current = tracking.active(conn, name)
                position = current.position if current else 0
                lag_seconds = 0.0
                if position < head:
                    waiting = self.store.recorder.select_notifications(
                        start=position, limit=1, inclusive_of_start=False
                    )
                    if waiting:
                        recorded = self._decode(waiting[0]).timestamp
                        lag_seconds = max(0.0, (datetime.now(UTC) - recorded).total_seconds())
                report.append(
                    {
                        "name": name,
                        "generation": current.generation if current else None,
                        "version": current.version if current else None,
                        "current_version": view.version,
                        "position": position,
                        "head": head,
                        "lag_events": head - position,
                        "lag_seconds": round(lag_seconds, 3),
                        "building": [
                            g.generation
                            for g in tracking.generations(conn, name)
                            if g.state == tracking.BUILDING
                        ],
                    }
                )
        return report

    # ------------------------------------------------------------ following

    def follow(self, stop: threading.Event, poll_seconds: float = 1.0) -> None:
        """Catch up, then wait for new events (LISTEN/NOTIFY on PostgreSQL, polling on
        SQLite), until ``stop`` is set."""
        waiter: Callable[[float, threading.Event], None] | None = None
        try:
            while not stop.is_set():
                try:
                    self.catch_up()
                    if waiter is None:
                        waiter = _notification_waiter(self.store, self.listen_env)
                    waiter(poll_seconds, stop)
                except Exception:  # a database hiccup must not stop the follower for good
                    log.exception("read models could not catch up; retrying in %s s", RETRY_SECONDS)
                    _close(waiter)
                    waiter = None  # a dropped LISTEN connection is opened again
                    stop.wait(RETRY_SECONDS)
        finally:
            _close(waiter)


def _close(waiter: object) -> None:
    close = getattr(waiter, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            log.debug("closing the notification listener failed", exc_info=True)


def _notification_waiter(
    store: Application[Any], env: dict[str, str] | None
) -> Callable[[float, threading.Event], None]:
    channel = getattr(store.recorder, "channel_name", None)
    if channel is None or not env:
        return _sleep
    return _PostgresWaiter(env, channel)


def _sleep(seconds: float, stop: threading.Event) -> None:
    stop.wait(seconds)


class _PostgresWaiter:
    """Blocks until the event store NOTIFYs its channel (or the timeout passes)."""

    def __init__(self, env: dict[str, str], channel: str) -> None:
        import psycopg
        from psycopg import sql

        self._conn = psycopg.connect(
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=int(env["POSTGRES_PORT"]),
            user=env["POSTGRES_USER"],
            password=env.get("POSTGRES_PASSWORD") or None,
            autocommit=True,
        )
        self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))

    def __call__(self, seconds: float, stop: threading.Event) -> None:
        for _ in self._conn.notifies(timeout=seconds, stop_after=1):
            return

    def close(self) -> None:
        self._conn.close()
