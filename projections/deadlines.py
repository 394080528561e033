"""Due-deadlines read model: one row per incident deadline, indexed for the sweep.

Kept from the ``clocks`` changes that every incident event carries, so a sweep finds what
is due with an indexed query instead of loading aggregates.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from domain.incident import Incident
from domain.policy import CalendarPolicy
from domain.values import ClockChange
from domain.working_days import WorkingDayCalendar

metadata = MetaData()

incidents = Table(
    "dl_incidents",
    metadata,
    Column("incident_id", String(36), primary_key=True),
    Column("reference", String(32), nullable=False),
    Column("organisation", String(20), nullable=False),
    Column("commissioner", String(20), nullable=False),
    Column("profile", String(16), nullable=False),
)

deadlines = Table(
    "dl_deadlines",
    metadata,
    Column("incident_id", String(36), primary_key=True),
    Column("kind", String(80), primary_key=True),
    Column("reference", String(32), nullable=False),
    Column("organisation", String(20), nullable=False),
    Column("commissioner", String(20), nullable=False),
    Column("profile", String(16), nullable=False),
    Column("due", Date, nullable=False),
    Column("remind_on", Date, nullable=False),
    Column("lifecycle", String(8), nullable=False),  # pending | met | waived
    Column("status", String(12), nullable=False),  # what people see (ClockState values)
    Column("met_on", Date),
    Column("reminded_due", Date),
    Column("breached_due", Date),
    Column("extensions", Integer, nullable=False, default=0),
    Index("ix_dl_deadlines_breach", "lifecycle", "due"),
    Index("ix_dl_deadlines_reminder", "lifecycle", "remind_on"),
    Index("ix_dl_deadlines_org_due", "organisation", "due"),
)


@dataclass(frozen=True)
class DueDeadline:
    incident_id: str
    reference: str
    kind: str
    due: date


class DeadlinesProjection:
    """Maintains ``dl_deadlines`` from incident events."""

    name = "deadlines"
    code_version = "deadlines-1"
    metadata = metadata

    def __init__(self, calendar: WorkingDayCalendar, policy: CalendarPolicy) -> None:
        self.calendar = calendar
        self.reminder_working_days = policy.reminder_working_days
        # Reminder dates depend on the calendar policy: a change to it rebuilds the view.
        holidays = ",".join(sorted(d.isoformat() for d in policy.extra_holidays))
        digest = hashlib.sha256(f"{policy.reminder_working_days}|{holidays}".encode()).hexdigest()
        self.version = f"{self.code_version}:{digest[:12]}"

    def clear(self, conn: Connection) -> None:
        conn.execute(delete(deadlines))
        conn.execute(delete(incidents))

    def process(self, conn: Connection, event: Any) -> None:
        if not isinstance(event, Incident.Event):
            return
        incident_id = str(event.originator_id)
        owner: dict[str, Any] | None = None
        if isinstance(event, Incident.Reported):
            owner = {
                "reference": event.reference,
                "organisation": event.organisation,
                "commissioner": event.commissioner,
                "profile": event.profile.value,
            }
            conn.execute(insert(incidents).values(incident_id=incident_id, **owner))
        for change in event.clocks:
            if change.change == "set" and owner is None:
                row = conn.execute(select(incidents).where(incidents.c.incident_id == incident_id)).one()
                owner = {k: getattr(row, k) for k in ("reference", "organisation", "commissioner", "profile")}
            self._apply(conn, incident_id, change, owner)

    def _remind_on(self, due: date) -> date:
        return self.calendar.subtract_working_days(due, self.reminder_working_days)

    def _apply(
        self, conn: Connection, incident_id: str, change: ClockChange, owner: dict[str, Any] | None
    ) -> None:
        row = and_(deadlines.c.incident_id == incident_id, deadlines.c.kind == change.kind)
        if change.change == "set":
            assert change.due is not None and owner is not None
            conn.execute(delete(deadlines).where(row))
            conn.execute(
                insert(deadlines).values(
                    incident_id=incident_id,
                    kind=change.kind,
                    **owner,
                    due=change.due,
                    remind_on=self._remind_on(change.due),
                    lifecycle="pending",
                    status="pending",
                    extensions=0,
                )
            )
        elif change.change == "met":
            late = case((deadlines.c.due < change.on, "met_late"), else_="met")
            conn.execute(update(deadlines).where(row).values(lifecycle="met", met_on=change.on, status=late))
        elif change.change == "waived":
            conn.execute(update(deadlines).where(row).values(lifecycle="waived", status="waived"))
        elif change.change == "extended":
            assert change.due is not None
            conn.execute(
                update(deadlines)
                .where(row)
                .values(
                    due=change.due,
                    remind_on=self._remind_on(change.due),
                    status="pending",
                    extensions=deadlines.c.extensions + 1,
                )
            )
        elif change.change == "reminded":
            conn.execute(
                update(deadlines)
                .where(row, deadlines.c.due == change.due)
                .values(reminded_due=change.due, status="approaching")
            )
        elif change.change == "breached":
            conn.execute(
                update(deadlines)
                .where(row, deadlines.c.due == change.due)
                .values(breached_due=change.due, status="breached")
            )


def due_for_breach(conn: Connection, today: date, limit: int) -> list[DueDeadline]:
    """Pending deadlines due before ``today`` (Europe/London) with no breach recorded for
    their current due date: their breach moment, 00:00 the day after due, has passed."""
    query = (
        select(deadlines.c.incident_id, deadlines.c.reference, deadlines.c.kind, deadlines.c.due)
        .where(
            deadlines.c.lifecycle == "pending",
            deadlines.c.due < today,
            or_(deadlines.c.breached_due.is_(None), deadlines.c.breached_due != deadlines.c.due),
        )
        .order_by(deadlines.c.due)  # the index order, so the limit stops the scan early
        .limit(limit)
    )
    return [DueDeadline(r.incident_id, r.reference, r.kind, r.due) for r in conn.execute(query)]


def due_for_reminder(conn: Connection, today: date, limit: int) -> list[DueDeadline]:
    """Pending deadlines inside the reminder horizon, not yet due, not yet reminded."""
    query = (
        select(deadlines.c.incident_id, deadlines.c.reference, deadlines.c.kind, deadlines.c.due)
        .where(
            deadlines.c.lifecycle == "pending",
            deadlines.c.remind_on <= today,
            deadlines.c.due >= today,
            or_(deadlines.c.reminded_due.is_(None), deadlines.c.reminded_due != deadlines.c.due),
        )
        .order_by(deadlines.c.due)  # the index order, so the limit stops the scan early
        .limit(limit)
    )
    return [DueDeadline(r.incident_id, r.reference, r.kind, r.due) for r in conn.execute(query)]


def list_deadlines(
    conn: Connection,
    today: date,
    *,
    status: str | None = None,
    kind: str | None = None,
    due_before: date | None = None,
    organisation: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """Deadlines across incidents, soonest due first, with the total that match."""
    conditions = []
    if status is not None:
        conditions.append(deadlines.c.status == status)
    if kind is not None:
        if kind == "action":
            conditions.append(deadlines.c.kind.like("action:%"))
        else:
            conditions.append(deadlines.c.kind == kind)
    if due_before is not None:
        conditions.append(deadlines.c.due < due_before)
    if organisation is not None:
        conditions.append(deadlines.c.organisation == organisation.upper())
    total = conn.execute(select(func.count()).select_from(deadlines).where(*conditions)).scalar_one()
    rows = conn.execute(
        select(deadlines)
        .where(*conditions)
        .order_by(deadlines.c.due, deadlines.c.reference, deadlines.c.kind)
        .limit(limit)
        .offset(offset)
    )
    items = []
    for r in rows:
        end = r.met_on if r.lifecycle == "met" else today
        overdue = 0 if r.lifecycle == "waived" or end is None else max(0, (end - r.due).days)
        items.append(
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
                "days_overdue": overdue,
                "extensions": r.extensions,
            }
        )
    return int(total), items


class DeadlinesReadModel:
    """The due-deadlines view as the sweep and the API use it."""

    def __init__(self, runner: Any) -> None:
        self.runner = runner

    def refresh(self) -> None:
        self.runner.catch_up()

    def due_for_breach(self, today: date, limit: int) -> list[DueDeadline]:
        with self.runner.engine.connect() as conn:
            return due_for_breach(conn, today, limit)

    def due_for_reminder(self, today: date, limit: int) -> list[DueDeadline]:
        with self.runner.engine.connect() as conn:
            return due_for_reminder(conn, today, limit)

    def list(self, today: date, **filters: Any) -> tuple[int, list[dict[str, Any]]]:
        self.refresh()
        with self.runner.engine.connect() as conn:
            return list_deadlines(conn, today, **filters)
