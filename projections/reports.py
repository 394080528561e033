"""Aggregates over the read models: board report, clock compliance, themes and trends.

The board report reproduces the table in seed 002 §6.2, one column per reporting year;
docs/domain.md states each row's rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Table, and_, case, func, not_, or_, select

BOARD_ROWS = (
    "never_events",
    "si_or_psii_not_death",
    "si_or_psii_death",
    "coroner_initiated",
    "independent_investigation",
    "other_reviews",
    "candour_reviews",
)
BOARD_LABELS = {
    "never_events": "Never Events",
    "si_or_psii_not_death": "SIs / PSIIs not resulting in death",
    "si_or_psii_death": "SIs / PSIIs resulting in death",
    "coroner_initiated": "Coroner-initiated investigations",
    "independent_investigation": "Incidents referred for independent investigation",
    "other_reviews": "Other investigations / reviews (RCA, local review, AAR, MIR)",
    "candour_reviews": "Incident reviews meeting the Duty of Candour, not SI/PSII",
}
OTHER_REVIEW_TYPES = ("aar", "mir", "swarm_huddle", "thematic", "local_review")


@dataclass(frozen=True)
class Period:
    start: date
    end: date


def parse_year_start(text: str) -> tuple[int, int]:
    """``MM-DD`` → (month, day); raises ValueError with a clear message."""
    try:
        month_text, day_text = text.split("-")
        month, day = int(month_text), int(day_text)
        date(2001, month, day)  # a non-leap year: 02-29 is refused
    except ValueError:
        raise ValueError(f"year start {text!r} is not a month and day as MM-DD (for example 04-01)") from None
    return month, day


EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)
MAX_YEARS = 20


def check_report_range(start: date, end: date) -> None:
    """Refuse ranges a board report cannot sensibly cover (ValueError, for a 422)."""
    if end < start:
        raise ValueError(f"to ({end}) is before from ({start})")
    if start < EARLIEST or end > LATEST:
        raise ValueError(f"give dates between {EARLIEST} and {LATEST}")
    if end.year - start.year >= MAX_YEARS:
        raise ValueError(f"a board report covers at most {MAX_YEARS} reporting years")


def reporting_years(start: date, end: date, year_start: tuple[int, int]) -> list[Period]:
    """The reporting years (starting on ``year_start``) that overlap [start, end]."""
    month, day = year_start
    first = date(start.year, month, day)
    if first > start:
        first = date(start.year - 1, month, day)
    periods = []
    while first <= end:
        following = date(first.year + 1, month, day)
        periods.append(Period(first, following - timedelta(days=1)))
        first = following
    return periods


def _predicates(t: Table) -> dict[str, Any]:
    serious = and_(t.c.serious_incident.is_(True), t.c.downgraded.is_(False))
    si_or_psii = or_(serious, t.c.response_types.like("%,psii,%"))
    fatal = t.c.physical_harm == "fatal"
    other = or_(*(t.c.response_types.like(f"%,{kind},%") for kind in OTHER_REVIEW_TYPES))
    return {
        "never_events": t.c.never_event.is_not(None),
        "si_or_psii_not_death": and_(si_or_psii, not_(fatal)),
        "si_or_psii_death": and_(si_or_psii, fatal),
        "coroner_initiated": t.c.coroner_initiated.is_(True),
        "independent_investigation": or_(
            t.c.response_types.like("%,level3,%"), t.c.response_types.like("%,external_referral,%")
        ),
        "other_reviews": and_(not_(si_or_psii), other),
        "candour_reviews": and_(not_(si_or_psii), t.c.candour_applies.is_(True)),
    }


def board_report(
    conn: Connection, incidents: Table, start: date, end: date, year_start: tuple[int, int]
) -> dict[str, Any]:
    """Seed 002 §6.2's table: one period per reporting year overlapping [start, end]; an
    incident counts in the year containing the business date it was reported."""
    predicates = _predicates(incidents)
    columns = [func.sum(case((p, 1), else_=0)).label(name) for name, p in predicates.items()]
    periods = []
    for period in reporting_years(start, end, year_start):
        row = conn.execute(
            select(func.count().label("incidents"), *columns).where(
                incidents.c.reported_on >= period.start, incidents.c.reported_on <= period.end
            )
        ).one()
        periods.append(
            {
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "incidents": int(row.incidents or 0),
                "rows": {name: int(getattr(row, name) or 0) for name in BOARD_ROWS},
            }
        )
    return {
        "year_start": f"{year_start[0]:02d}-{year_start[1]:02d}",
        "labels": BOARD_LABELS,
        "periods": periods,
    }


def board_csv(report: dict[str, Any]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    periods = report["periods"]
    writer.writerow(["row", "label", *(f"{p['start']} to {p['end']}" for p in periods)])
    for name in BOARD_ROWS:
        writer.writerow([name, BOARD_LABELS[name], *(p["rows"][name] for p in periods)])
    return out.getvalue()


def board_table(report: dict[str, Any]) -> str:
    """The board report as a plain-text table for a terminal."""
    periods = report["periods"]
    heads = [f"{p['start'][:7]}..{p['end'][:7]}" for p in periods]
    width = max(len(label) for label in BOARD_LABELS.values())
    lines = [" " * width + "  " + "  ".join(h.rjust(17) for h in heads)]
    for name in BOARD_ROWS:
        values = "  ".join(str(p["rows"][name]).rjust(17) for p in periods)
        lines.append(f"{BOARD_LABELS[name].ljust(width)}  {values}")
    return "\n".join(lines)


def compliance(
    conn: Connection,
    deadlines: Table,
    today: date,
    *,
    from_month: str | None = None,
    to_month: str | None = None,
    organisation: str | None = None,
    kind: str | None = None,
    by_organisation: bool = True,
) -> list[dict[str, Any]]:
    """Per deadline kind (all safety actions as ``action``), per organisation, per month of
    the due date: how many were due, met on time, met late, breached (open past due),
    still open, waived; and the share on time of those decided."""
    t = deadlines.c
    kind_group = case((t.kind.like("action:%"), "action"), else_=t.kind).label("kind")
    counted = t.lifecycle != "waived"
    breached = and_(t.lifecycle == "pending", t.due < today)
    still_open = and_(t.lifecycle == "pending", t.due >= today)
    keys = [kind_group, t.due_month]
    if by_organisation:
        keys.insert(1, t.organisation)
    query = select(
        *keys,
        func.sum(case((counted, 1), else_=0)).label("due"),
        func.sum(case((t.status == "met", 1), else_=0)).label("met_on_time"),
        func.sum(case((t.status == "met_late", 1), else_=0)).label("met_late"),
        func.sum(case((breached, 1), else_=0)).label("breached"),
        func.sum(case((still_open, 1), else_=0)).label("open"),
        func.sum(case((t.lifecycle == "waived", 1), else_=0)).label("waived"),
        func.sum(t.ever_breached).label("breaches_recorded"),
    )
    if from_month:
        query = query.where(t.due_month >= from_month)
    if to_month:
        query = query.where(t.due_month <= to_month)
    if organisation:
        query = query.where(t.organisation == organisation.upper())
    if kind:
        query = query.where(t.kind.like("action:%") if kind == "action" else t.kind == kind)
    query = query.group_by(*keys).order_by(*keys)
    result = []
    for row in conn.execute(query):
        decided = row.met_on_time + row.met_late + row.breached
        item = {
            "kind": row.kind,
            "month": row.due_month,
            "due": int(row.due),
            "met_on_time": int(row.met_on_time),
            "met_late": int(row.met_late),
            "breached": int(row.breached),
            "open": int(row.open),
            "waived": int(row.waived),
            "breaches_recorded": int(row.breaches_recorded or 0),
            "on_time_pct": round(100 * row.met_on_time / decided, 1) if decided else None,
        }
        if by_organisation:
            item["organisation"] = row.organisation
        result.append(item)
    return result


def themes(conn: Connection, incidents: Table, start: date, end: date, top: int = 10) -> dict[str, Any]:
    """Counts by category and by Never Event type per month, and the top categories."""
    t = incidents.c
    window = and_(t.reported_on >= start, t.reported_on <= end)
    by_category = conn.execute(
        select(t.reported_month, t.category, func.count().label("n"))
        .where(window)
        .group_by(t.reported_month, t.category)
        .order_by(t.reported_month, t.category)
    )
    by_never_event = conn.execute(
        select(t.reported_month, t.never_event, func.count().label("n"))
        .where(window, t.never_event.is_not(None))
        .group_by(t.reported_month, t.never_event)
        .order_by(t.reported_month, t.never_event)
    )
    top_rows = conn.execute(
        select(t.category, func.count().label("n"))
        .where(window)
        .group_by(t.category)
        .order_by(func.count().desc(), t.category)
        .limit(top)
    )
    per_month = conn.execute(
        select(t.reported_month, func.count().label("n"))
        .where(window)
        .group_by(t.reported_month)
        .order_by(t.reported_month)
    )
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "top_categories": [{"category": r.category, "incidents": int(r.n)} for r in top_rows],
        "per_month": [{"month": r.reported_month, "incidents": int(r.n)} for r in per_month],
        "by_category": [
            {"month": r.reported_month, "category": r.category, "incidents": int(r.n)} for r in by_category
        ],
        "by_never_event": [
            {"month": r.reported_month, "never_event": r.never_event, "incidents": int(r.n)}
            for r in by_never_event
        ],
    }


def last_months(today: date, count: int) -> list[str]:
    """``count`` months (YYYY-MM) ending with today's, oldest first."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def overview(conn: Connection, incidents: Table, deadlines: Table, today: date) -> dict[str, Any]:
    """The dashboard's first screen: open incidents by status, overdue clocks by kind, and
    for the last 12 months, compliance per clock (by month due) and incidents reported."""
    i, d = incidents.c, deadlines.c
    open_by_status = conn.execute(
        select(i.status, func.count().label("n"))
        .where(i.status.not_in(("closed", "downgraded")))
        .group_by(i.status)
        .order_by(i.status)
    )
    kind_group = case((d.kind.like("action:%"), "action"), else_=d.kind)
    overdue = conn.execute(
        select(kind_group.label("kind"), func.count().label("n"))
        .where(d.lifecycle == "pending", d.due < today)
        .group_by(kind_group)
        .order_by(kind_group)
    )
    months = last_months(today, 12)
    first_month = date.fromisoformat(f"{months[0]}-01")
    counted = {m["month"]: m["incidents"] for m in themes(conn, incidents, first_month, today)["per_month"]}
    trend = [{"month": month, "incidents": counted.get(month, 0)} for month in months]
    clock_compliance = compliance(
        conn, deadlines, today, from_month=months[0], to_month=months[-1], by_organisation=False
    )
    per_kind: dict[str, dict[str, Any]] = {}
    for row in clock_compliance:
        total = per_kind.setdefault(
            row["kind"], {"kind": row["kind"], "met_on_time": 0, "met_late": 0, "breached": 0, "open": 0}
        )
        for key in ("met_on_time", "met_late", "breached", "open"):
            total[key] += row[key]
    for total in per_kind.values():
        decided = total["met_on_time"] + total["met_late"] + total["breached"]
        total["on_time_pct"] = round(100 * total["met_on_time"] / decided, 1) if decided else None
    return {
        "today": today.isoformat(),
        "open_by_status": {r.status: int(r.n) for r in open_by_status},
        "overdue_by_kind": {r.kind: int(r.n) for r in overdue},
        "compliance": sorted(per_kind.values(), key=lambda x: x["kind"]),
        "trend": trend,
    }
