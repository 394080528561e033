"""Due-deadlines read model: one row per incident deadline, indexed for the sweep and for
the "due this week / overdue" screens.

Kept from the ``clocks`` changes every incident event carries, so a sweep finds what is
due with an indexed query instead of loading aggregates.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    or_,
    select,
    tuple_,
)

from domain.incident import Incident
from domain.policy import CalendarPolicy
from domain.values import ClockChange
from domain.working_days import WorkingDayCalendar
from projections.batch import RowBatch

OWNER_FIELDS = ("reference", "organisation", "commissioner", "profile")


@dataclass(frozen=True)
class DueDeadline:
    incident_id: str
    reference: str
    kind: str
    due: date


def owner_columns() -> list[Column[Any]]:
    """Who an incident belongs to: the columns every per-incident table starts with."""
    return [
        Column("incident_id", String(36), primary_key=True),
        Column("reference", String(32), nullable=False),
        Column("organisation", String(20), nullable=False),
        Column("commissioner", String(20), nullable=False),
        Column("profile", String(16), nullable=False),
    ]


class DeadlinesView:
    """Rows of ``deadlines`` (one per clock) and ``owners`` (one per incident)."""

    name = "deadlines"
    code_version = "deadlines-4"

    def __init__(self, calendar: WorkingDayCalendar, policy: CalendarPolicy) -> None:
        self.calendar = calendar
        self.reminder_working_days = policy.reminder_working_days
        # Reminder dates depend on the calendar policy: a change to it rebuilds the view.
        holidays = ",".join(sorted(d.isoformat() for d in policy.extra_holidays))
        digest = hashlib.sha256(f"{policy.reminder_working_days}|{holidays}".encode()).hexdigest()
        self.version = f"{self.code_version}:{digest[:12]}"

    def tables(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        suffix = f"g{generation}"
        owners = Table(f"dl_owners_{suffix}", metadata, *owner_columns())
        deadlines = Table(
            f"dl_deadlines_{suffix}",
            metadata,
            *owner_columns(),
            Column("kind", String(80), primary_key=True),
            Column("due", Date, nullable=False),
            Column("due_month", String(7), nullable=False),
            Column("remind_on", Date, nullable=False),
            Column("lifecycle", String(8), nullable=False),  # pending | met | waived
            Column("status", String(12), nullable=False),  # what people see (ClockState)
            Column("met_on", Date),
            Column("reminded_due", Date),
            Column("breached_due", Date),
            Column("ever_breached", Integer, nullable=False),
            Column("breach_history", Text, nullable=False),  # every due date breached, "," separated
            Column("reminder_history", Text, nullable=False),
            Column("extensions", Integer, nullable=False),
            Index(f"ix_dl_{suffix}_breach", "lifecycle", "due", "incident_id", "kind"),
            Index(f"ix_dl_{suffix}_reminder", "lifecycle", "remind_on"),
            Index(f"ix_dl_{suffix}_org_due", "organisation", "due"),
            Index(f"ix_dl_{suffix}_month", "due_month", "kind"),
        )
        return {"owners": owners, "deadlines": deadlines}

    def apply(self, batch: RowBatch, event: Incident.Event) -> None:
        incident_id = str(event.originator_id)
        if isinstance(event, Incident.Reported):
            owner = {
                "incident_id": incident_id,
                "reference": event.reference,
                "organisation": event.organisation,
                "commissioner": event.commissioner,
                "profile": event.profile.value,
            }
            batch.rows("owners", incident_id)[""] = owner
        rows = batch.rows("deadlines", incident_id)
        for change in event.clocks:
            self._apply(batch, incident_id, rows, change)

    def _remind_on(self, due: date) -> date:
        return self.calendar.subtract_working_days(due, self.reminder_working_days)

    def _apply(
        self, batch: RowBatch, incident_id: str, rows: dict[str, dict[str, Any]], change: ClockChange
    ) -> None:
        row = rows.get(change.kind)
        if change.change == "set":
            assert change.due is not None
            owner = batch.one("owners", incident_id)
            assert owner is not None, f"no Reported event seen for {incident_id}"
            # A clock set again keeps its history, as the aggregate's deadline does.
            rows[change.kind] = row = {
                **{k: owner[k] for k in OWNER_FIELDS},
                "incident_id": incident_id,
                "kind": change.kind,
                "lifecycle": "pending",
                "met_on": None,
                "ever_breached": row["ever_breached"] if row else 0,
                "extensions": row["extensions"] if row else 0,
                "breach_history": row["breach_history"] if row else "",
                "reminder_history": row["reminder_history"] if row else "",
            }
            self._move_due(row, change.due)
            return
        if row is None:
            return
        if change.change == "met":
            assert change.on is not None
            row.update(lifecycle="met", met_on=change.on)
            row["status"] = "met_late" if change.on > row["due"] else "met"
        elif change.change == "waived":
            row.update(lifecycle="waived", status="waived")
        elif change.change == "extended":
            assert change.due is not None
            row["extensions"] += 1
            self._move_due(row, change.due)
        elif change.change in ("reminded", "breached") and change.due is not None:
            history = "breach_history" if change.change == "breached" else "reminder_history"
            row[history] = _add(row[history], change.due)
            if change.change == "breached":
                row["ever_breached"] = 1
            if row["lifecycle"] == "pending":
                self._move_due(row, row["due"])

    def _move_due(self, row: dict[str, Any], due: date) -> None:
        """Set the current due date and what follows from it and the recorded history."""
        breached = due.isoformat() in row["breach_history"].split(",")
        reminded = due.isoformat() in row["reminder_history"].split(",")
        row.update(
            due=due,
            due_month=due.isoformat()[:7],
            remind_on=self._remind_on(due),
            breached_due=due if breached else None,
            reminded_due=due if reminded else None,
            status="breached" if breached else "approaching" if reminded else "pending",
        )


def _add(history: str, day: date) -> str:
    days = [d for d in history.split(",") if d]
    return ",".join(sorted({*days, day.isoformat()}))


Key = tuple[date, str, str]


def _page(
    conn: Connection, table: Table, where: list[Any], limit: int, after: Key | None
) -> list[DueDeadline]:
    """A page in (due, incident, kind) order after ``after``: a sweep walks every match
    once, even when rows ahead of it cannot be recorded yet."""
    order = (table.c.due, table.c.incident_id, table.c.kind)
    if after is not None:
        where = [*where, tuple_(*order) > tuple_(*after)]
    query = (
        select(table.c.incident_id, table.c.reference, table.c.kind, table.c.due)
        .where(*where)
        .order_by(*order)  # the index order, so the limit stops the scan early
        .limit(limit)
    )
    return [DueDeadline(r.incident_id, r.reference, r.kind, r.due) for r in conn.execute(query)]


def due_for_breach(
    conn: Connection, table: Table, today: date, limit: int, after: Key | None = None
) -> list[DueDeadline]:
    """Pending deadlines due before ``today`` (Europe/London) with no breach recorded for
    their current due date: their breach moment, 00:00 the day after due, has passed."""
    where = [
        table.c.lifecycle == "pending",
        table.c.due < today,
        or_(table.c.breached_due.is_(None), table.c.breached_due != table.c.due),
    ]
    return _page(conn, table, where, limit, after)


def due_for_reminder(
    conn: Connection, table: Table, today: date, limit: int, after: Key | None = None
) -> list[DueDeadline]:
    """Pending deadlines inside the reminder horizon, not yet due, not yet reminded."""
    where = [
        table.c.lifecycle == "pending",
        table.c.remind_on <= today,
        table.c.due >= today,
        or_(table.c.reminded_due.is_(None), table.c.reminded_due != table.c.due),
    ]
    return _page(conn, table, where, limit, after)


def days_overdue(row: Any, today: date) -> int:
    if row.lifecycle == "waived":
        return 0
    end: date = row.met_on if row.lifecycle == "met" else today
    due: date = row.due
    return max(0, (end - due).days)


def list_deadlines(
    conn: Connection,
    table: Table,
    today: date,
    *,
    status: str | list[str] | None = None,
    open_only: bool = False,
    kind: str | None = None,
    due_before: date | None = None,
    due_week: date | None = None,
    organisation: str | None = None,
    commissioner: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """Deadlines across incidents, soonest due first, with the total that match.
    ``due_week`` is any date of the Monday-to-Sunday week wanted."""
    conditions: list[ColumnElement[bool]] = []
    statuses = [status] if isinstance(status, str) else list(status or [])
    if statuses:
        conditions.append(table.c.status.in_(statuses))
    if open_only:
        conditions.append(table.c.lifecycle == "pending")
    if kind is not None:
        conditions.append(table.c.kind.like("action:%") if kind == "action" else table.c.kind == kind)
    if due_before is not None:
        conditions.append(table.c.due < due_before)
    if due_week is not None:
        monday = due_week - timedelta(days=due_week.weekday())
        conditions.extend([table.c.due >= monday, table.c.due < monday + timedelta(days=7)])
    if organisation is not None:
        conditions.append(table.c.organisation == organisation.upper())
    if commissioner is not None:
        conditions.append(table.c.commissioner == commissioner.upper())
    total = conn.execute(select(func.count()).select_from(table).where(*conditions)).scalar_one()
    rows = conn.execute(
        select(table)
        .where(*conditions)
        .order_by(table.c.due, table.c.reference, table.c.kind)
        .limit(limit)
        .offset(offset)
    )
    items = [
        {
            "incident_id": r.incident_id,
            "reference": r.reference,
            "organisation": r.organisation,
            "commissioner": r.commissioner,
            "profile": r.profile,
            "kind": r.kind,
            "due": r.due.isoformat(),
            "status": r.status,
            "met_on": r.met_on.isoformat() if r.met_on else None,
            "days_overdue": days_overdue(r, today),
            "extensions": r.extensions,
        }
        for r in rows
    ]
    return int(total), items


class DeadlinesReadModel:
    """The due-deadlines view as the sweep uses it (lists go through ReadModels)."""

    def __init__(self, projections: Any) -> None:
        self.projections = projections

    def refresh(self) -> None:
        self.projections.catch_up("deadlines")

    def _table(self, conn: Connection) -> Table:
        table: Table = self.projections.tables(conn, "deadlines")["deadlines"]
        return table

    def due_for_breach(self, today: date, limit: int, after: Key | None = None) -> list[DueDeadline]:
        with self.projections.reader.connect() as conn:
            return due_for_breach(conn, self._table(conn), today, limit, after)

    def due_for_reminder(self, today: date, limit: int, after: Key | None = None) -> list[DueDeadline]:
        with self.projections.reader.connect() as conn:
            return due_for_reminder(conn, self._table(conn), today, limit, after)
