"""Incident status list: one row per incident with what operations staff filter on.

Also the source of the board report and the themes (see ``projections.reports``).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    func,
    or_,
    select,
)

from domain.incident import Incident, derive_status
from domain.working_days import business_date
from projections.batch import RowBatch
from projections.deadlines import owner_columns

SORTS = {
    "reported": "reported_on",
    "occurred": "occurred_on",
    "identified": "identified_on",
    "reference": "reference",
    "status": "status",
    "next_due": "next_due",
    "updated": "last_event_at",
}
FAR_FUTURE = date(9999, 12, 31)


class IncidentsView:
    name = "incidents"
    version = "incidents-4"

    def tables(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        suffix = f"g{generation}"
        incidents = Table(
            f"iv_incidents_{suffix}",
            metadata,
            *owner_columns(),
            Column("status", String(24), nullable=False),
            Column("occurred_on", Date, nullable=False),
            Column("identified_on", Date, nullable=False),
            Column("reported_on", Date, nullable=False),
            Column("reported_month", String(7), nullable=False),
            Column("location", String(200), nullable=False),
            Column("care_setting", String(200), nullable=False),
            Column("category", String(200), nullable=False),
            Column("physical_harm", String(12), nullable=False),
            Column("psychological_harm", String(12), nullable=False),
            Column("classified", Boolean, nullable=False),
            Column("never_event", String(64)),
            Column("national_priority", String(64)),
            Column("local_priority", String(64)),
            Column("serious_incident", Boolean),
            Column("candour_applies", Boolean, nullable=False),
            Column("candour_status", String(16), nullable=False),
            Column("response_type", String(24)),
            Column("response_types", String(200), nullable=False),  # ",aar,psii," ever started
            Column("coroner_initiated", Boolean, nullable=False),
            Column("investigation_started_on", Date),
            Column("investigation_submitted_on", Date),
            Column("actions_total", Integer, nullable=False),
            Column("actions_open", Integer, nullable=False),
            Column("downgraded", Boolean, nullable=False),
            Column("closed_on", Date),
            Column("next_due", Date, nullable=False),  # earliest pending due; FAR_FUTURE if none
            Column("open_breaches", Integer, nullable=False),
            Column("clocks", Text, nullable=False),  # JSON: kind -> [due, lifecycle, [breached dues]]
            Column("version", Integer, nullable=False),
            Column("last_event_at", String(32), nullable=False),  # UTC, fixed-width ISO 8601
            Index(f"ix_iv_{suffix}_status", "status", "reported_on"),
            Index(f"ix_iv_{suffix}_org", "organisation", "reported_on"),
            Index(f"ix_iv_{suffix}_comm", "commissioner", "reported_on"),
            Index(f"ix_iv_{suffix}_reported", "reported_on", "incident_id"),
            Index(f"ix_iv_{suffix}_next_due", "next_due", "incident_id"),
            Index(f"ix_iv_{suffix}_month", "reported_month", "category"),
            Index(f"ix_iv_{suffix}_reference", "reference"),
            Index(f"ix_iv_{suffix}_never_event", "never_event", "reported_on"),
        )
        return {"incidents": incidents}

    def apply(self, batch: RowBatch, event: Incident.Event) -> None:
        incident_id = str(event.originator_id)
        rows = batch.rows("incidents", incident_id)
        if isinstance(event, Incident.Reported):
            rows[""] = new_row(incident_id, event)
        row = rows.get("")
        if row is None:
            return
        handler = HANDLERS.get(type(event).__name__)
        if handler is not None:
            handler(row, event)
        _apply_clocks(row, event)
        row["version"] = event.originator_version
        row["last_event_at"] = utc_text(event.timestamp)
        row["status"] = derive_status(
            closed=row["closed_on"] is not None,
            downgraded=row["downgraded"],
            investigation_started=row["investigation_started_on"] is not None,
            investigation_submitted=row["investigation_submitted_on"] is not None,
            open_actions=row["actions_open"] > 0,
            classified=row["classified"],
        ).value


def new_row(incident_id: str, event: Incident.Reported) -> dict[str, Any]:
    reported_on = business_date(event.reported_at)
    return {
        "incident_id": incident_id,
        "reference": event.reference,
        "status": "reported",
        "profile": event.profile.value,
        "organisation": event.organisation,
        "commissioner": event.commissioner,
        "occurred_on": business_date(event.occurred_at),
        "identified_on": business_date(event.identified_at),
        "reported_on": reported_on,
        "reported_month": reported_on.isoformat()[:7],
        "location": _sql_text(event.location),
        "care_setting": _sql_text(event.care_setting),
        "category": _sql_text(event.category),
        "physical_harm": event.physical_harm.value,
        "psychological_harm": event.psychological_harm.value,
        "classified": False,
        "never_event": None,
        "national_priority": None,
        "local_priority": None,
        "serious_incident": None,
        "candour_applies": event.candour_applies,
        "candour_status": "pending" if event.candour_applies else "not_applicable",
        "response_type": None,
        "response_types": ",",
        "coroner_initiated": False,
        "investigation_started_on": None,
        "investigation_submitted_on": None,
        "actions_total": 0,
        "actions_open": 0,
        "downgraded": False,
        "closed_on": None,
        "next_due": FAR_FUTURE,
        "open_breaches": 0,
        "clocks": "{}",
        "version": 0,
        "last_event_at": utc_text(event.timestamp),
    }


def _sql_text(value: str) -> str:
    """PostgreSQL text cannot hold NUL; commands refuse it, but old events are kept as they are."""
    return value.replace("\x00", "")


def _classified(row: dict[str, Any], event: Any) -> None:
    c = event.classification
    row.update(
        classified=True,
        physical_harm=c.physical_harm.value,
        psychological_harm=c.psychological_harm.value,
        never_event=c.never_event,
        national_priority=c.national_priority,
        local_priority=c.local_priority,
        serious_incident=c.serious_incident,
        candour_applies=c.candour_applies,
    )
    if row["candour_status"] in ("pending", "not_applicable"):
        row["candour_status"] = "pending" if c.candour_applies else "not_applicable"


def _investigation_started(row: dict[str, Any], event: Any) -> None:
    kind = event.response_type.value
    row.update(
        response_type=kind,
        investigation_started_on=event.started_on,
        investigation_submitted_on=None,
        coroner_initiated=row["coroner_initiated"] or event.coroner_initiated,
    )
    if f",{kind}," not in row["response_types"]:
        row["response_types"] += f"{kind},"


HANDLERS: dict[str, Any] = {
    "Classified": _classified,
    "CandourNotified": lambda row, e: row.update(candour_status="notified"),
    "CandourLetterSent": lambda row, e: row.update(candour_status="done"),
    "CandourExceptionRecorded": lambda row, e: row.update(candour_status="excepted"),
    "InvestigationStarted": _investigation_started,
    "Investigated": lambda row, e: row.update(investigation_submitted_on=e.submitted_on),
    "SafetyActionAgreed": lambda row, e: row.update(
        actions_total=row["actions_total"] + 1, actions_open=row["actions_open"] + 1
    ),
    "SafetyActionCompleted": lambda row, e: row.update(actions_open=row["actions_open"] - 1),
    "DowngradeDecided": lambda row, e: row.update(downgraded=bool(e.approved)),
    "ActionsClosed": lambda row, e: row.update(closed_on=e.closed_on),
}


def _apply_clocks(row: dict[str, Any], event: Incident.Event) -> None:
    if not event.clocks:
        return
    clocks: dict[str, list[Any]] = json.loads(row["clocks"])
    for change in event.clocks:
        if change.change == "set" and change.due is not None:
            history = clocks[change.kind][2] if change.kind in clocks else []  # kept, as in the aggregate
            clocks[change.kind] = [change.due.isoformat(), "pending", history]
        elif change.kind not in clocks:
            continue
        elif change.change == "met":
            clocks[change.kind][1] = "met"
        elif change.change == "waived":
            clocks[change.kind][1] = "waived"
        elif change.change == "extended" and change.due is not None:
            clocks[change.kind][0] = change.due.isoformat()
        elif change.change == "breached" and change.due is not None:
            clocks[change.kind][2] = sorted({*clocks[change.kind][2], change.due.isoformat()})
    row["clocks"] = json.dumps(clocks, sort_keys=True)
    pending = [(due, breached) for due, state, breached in clocks.values() if state == "pending"]
    row["next_due"] = min((date.fromisoformat(d) for d, _ in pending), default=FAR_FUTURE)
    row["open_breaches"] = sum(1 for d, breached in pending if d in breached)


# ------------------------------------------------------------------ queries


@dataclass
class IncidentFilters:
    status: list[str] = field(default_factory=list)
    organisation: str | None = None
    commissioner: str | None = None
    profile: str | None = None
    physical_harm: list[str] = field(default_factory=list)
    never_event: str | None = None  # a code, "any" or "none"
    national_priority: str | None = None
    local_priority: str | None = None
    response_type: str | None = None
    overdue: bool | None = None
    occurred_from: date | None = None
    occurred_to: date | None = None
    identified_from: date | None = None
    identified_to: date | None = None
    reported_from: date | None = None
    reported_to: date | None = None
    category: str | None = None
    text: str | None = None


def conditions(table: Table, f: IncidentFilters, today: date) -> list[Any]:
    c = table.c
    where: list[Any] = []
    if f.status:
        where.append(c.status.in_(f.status))
    for column, value in (
        (c.organisation, f.organisation),
        (c.commissioner, f.commissioner),
    ):
        if value:
            where.append(column == value.upper())
    if f.profile:
        where.append(c.profile == f.profile)
    if f.physical_harm:
        where.append(c.physical_harm.in_(f.physical_harm))
    if f.never_event == "any":
        where.append(c.never_event.is_not(None))
    elif f.never_event == "none":
        where.append(c.never_event.is_(None))
    elif f.never_event:
        where.append(c.never_event == f.never_event)
    if f.national_priority:
        where.append(c.national_priority == f.national_priority)
    if f.local_priority:
        where.append(c.local_priority == f.local_priority)
    if f.response_type:
        where.append(c.response_types.like(f"%,{f.response_type},%"))
    if f.overdue is True:
        where.append(c.next_due < today)
    elif f.overdue is False:
        where.append(c.next_due >= today)
    for column, low, high in (
        (c.occurred_on, f.occurred_from, f.occurred_to),
        (c.identified_on, f.identified_from, f.identified_to),
        (c.reported_on, f.reported_from, f.reported_to),
    ):
        if low:
            where.append(column >= low)
        if high:
            where.append(column <= high)
    if f.category:
        where.append(c.category == f.category)
    if f.text:
        escaped = f.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        where.append(
            or_(
                func.lower(c.reference).like(pattern, escape="\\"),
                func.lower(c.location).like(pattern, escape="\\"),
            )
        )
    return where


def encode_cursor(value: Any, incident_id: str) -> str:
    raw = json.dumps([value.isoformat() if hasattr(value, "isoformat") else value, incident_id])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[Any, str]:
    try:
        value, incident_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        raise ValueError("cursor is not one this service issued; start again without it") from None
    return value, str(incident_id)


def list_incidents(
    conn: Connection,
    table: Table,
    filters: IncidentFilters,
    today: date,
    *,
    sort: str = "reported",
    descending: bool = True,
    limit: int = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    """A page of incidents matching the filters, with the total and the next cursor."""
    column = table.c[SORTS[sort]]
    where = conditions(table, filters, today)
    total = conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    page_where = list(where)
    if cursor:
        raw, after_id = decode_cursor(cursor)
        value = _cursor_value(column, raw)
        if descending:
            page_where.append(or_(column < value, and_(column == value, table.c.incident_id < after_id)))
        else:
            page_where.append(or_(column > value, and_(column == value, table.c.incident_id > after_id)))
    order = [column.desc(), table.c.incident_id.desc()] if descending else [column, table.c.incident_id]
    rows = list(conn.execute(select(table).where(*page_where).order_by(*order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(getattr(rows[-1], column.name), rows[-1].incident_id) if more else None
    return {
        "total": int(total),
        "items": [incident_item(r, today) for r in rows],
        "next_cursor": next_cursor,
    }


def utc_text(instant: datetime) -> str:
    """Fixed-width UTC ISO 8601, so text order is time order."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _cursor_value(column: Any, raw: Any) -> Any:
    if not isinstance(raw, str | int):
        raise ValueError("cursor is not one this service issued; start again without it")
    if isinstance(column.type, Date):
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            raise ValueError("cursor is not one this service issued; start again without it") from None
    return raw


def incident_item(r: Any, today: date) -> dict[str, Any]:
    next_due = None if r.next_due == FAR_FUTURE else r.next_due
    return {
        "id": r.incident_id,
        "reference": r.reference,
        "status": r.status,
        "profile": r.profile,
        "organisation": r.organisation,
        "commissioner": r.commissioner,
        "occurred_on": r.occurred_on.isoformat(),
        "identified_on": r.identified_on.isoformat(),
        "reported_on": r.reported_on.isoformat(),
        "location": r.location,
        "care_setting": r.care_setting,
        "category": r.category,
        "physical_harm": r.physical_harm,
        "psychological_harm": r.psychological_harm,
        "never_event": r.never_event,
        "national_priority": r.national_priority,
        "local_priority": r.local_priority,
        "serious_incident": r.serious_incident,
        "candour_applies": r.candour_applies,
        "candour_status": r.candour_status,
        "response_type": r.response_type,
        "coroner_initiated": r.coroner_initiated,
        "actions_open": r.actions_open,
        "actions_total": r.actions_total,
        "closed_on": r.closed_on.isoformat() if r.closed_on else None,
        "next_due": next_due.isoformat() if next_due else None,
        "overdue": next_due is not None and next_due < today,
        "days_overdue": max(0, (today - next_due).days) if next_due else 0,
        "open_breaches": r.open_breaches,
        "version": r.version,
        "updated_at": r.last_event_at,
    }
