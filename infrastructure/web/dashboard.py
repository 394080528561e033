"""The web dashboard: server-rendered pages over the read models.

``GET /dashboard`` (overview), ``/dashboard/incidents`` (filterable list),
``/dashboard/incidents/{id or reference}`` (one incident and its timeline),
``/dashboard/deadlines`` (overdue and due this week) and ``/dashboard/board`` (the board
report). Query values are read and checked here so that a bad one gets a 422 HTML page
naming it (the API's JSON problem handler stays for the API); an unknown incident or
page gets a 404 HTML page.

No ``from __future__ import annotations``: FastAPI reads these signatures at runtime.
"""

import hashlib
import heapq
import itertools
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, timedelta
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined

from application.errors import IncidentNotFound
from domain.enums import PhysicalHarm, Profile, ResponseType
from domain.working_days import business_date
from infrastructure.bootstrap import System
from infrastructure.web import charts, labels
from infrastructure.web.timeline import classification_phrases, london_time, response_phrase, timeline
from projections.incidents import SORTS, IncidentFilters
from projections.reports import BOARD_LABELS, BOARD_ROWS, parse_year_start, reporting_years

PREFIX = "/dashboard"
PAGE_SIZES = (10, 25, 50, 100)
DEADLINES_PAGE = 50
MAX_OFFSET = 10_000
MAX_BOARD_YEARS = 15
EARLIEST_BOARD_DATE = date(1948, 7, 5)  # the NHS began
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100  # as for dates in commands
ORG_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]{0,19}$")
CLOCK_KIND = re.compile(r"^[a-z][a-z0-9_]*(:[A-Za-z0-9_.\-]+)?$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CLOCK_ORDER = (
    "commissioner_report",
    "initial_review",
    "candour_notification",
    "investigation_report",
    "learning_response",
    "closure_review",
    "action",
)
SORT_LABELS = {
    "reported": "Date reported",
    "occurred": "Date occurred",
    "identified": "Date identified",
    "next_due": "Next due date",
    "updated": "Last updated",
    "reference": "Reference",
    "status": "Status",
}
NAV = (
    ("overview", "Overview", PREFIX),
    ("incidents", "Incidents", f"{PREFIX}/incidents"),
    ("deadlines", "Deadlines", f"{PREFIX}/deadlines"),
    ("board", "Board report", f"{PREFIX}/board"),
)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
STATIC_FILES = {"dashboard.css": "text/css; charset=utf-8", "favicon.svg": "image/svg+xml"}
COMPLIANCE_SERIES = (
    charts.Series("met_on_time", "Met on time", "series-met"),
    charts.Series("met_late", "Met late", "series-late"),
    charts.Series("breached", "Breached", "series-breached", hatched=True),
    charts.Series("open", "Not yet due", "series-open"),
)


class BadQuery(Exception):
    """One or more query values a person has to correct."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


class QueryReader:
    """Reads query parameters and collects every problem instead of stopping at the first."""

    def __init__(self, request: Request) -> None:
        self.params = request.query_params
        self.problems: list[str] = []

    def _shown(self, value: str) -> str:
        return value if len(value) <= 60 else value[:57] + "..."

    def raw(self, name: str) -> str | None:
        value = self.params.get(name)
        if value is None:
            return None
        return value.strip() or None

    def text(
        self,
        name: str,
        label: str,
        *,
        max_length: int = 100,
        pattern: re.Pattern[str] | None = None,
        hint: str = "",
    ) -> str | None:
        value = self.raw(name)
        if value is None:
            return None
        if len(value) > max_length:
            self.problems.append(f"{label} ({name}) is limited to {max_length} characters.")
            return None
        if pattern is not None and not pattern.match(value):
            self.problems.append(f"{label} ({name}): {self._shown(value)!r} is not valid. {hint}".strip())
            return None
        return value

    def choice(
        self, name: str, label: str, options: Collection[str], default: str | None = None
    ) -> str | None:
        value = self.raw(name)
        if value is None:
            return default
        if value not in options:
            allowed = ", ".join(options)
            self.problems.append(f"{label} ({name}): {self._shown(value)!r} is not one of: {allowed}.")
            return default
        return value

    def choices(self, name: str, label: str, options: Collection[str]) -> list[str]:
        chosen: list[str] = []
        for raw in self.params.getlist(name):
            value = raw.strip()
            if not value:
                continue
            if value not in options:
                allowed = ", ".join(options)
                self.problems.append(f"{label} ({name}): {self._shown(value)!r} is not one of: {allowed}.")
            elif value not in chosen:
                chosen.append(value)
        return chosen

    def day(self, name: str, label: str) -> date | None:
        value = self.raw(name)
        if value is None:
            return None
        try:
            if not ISO_DATE.match(value):
                raise ValueError(value)
            day = date.fromisoformat(value)
        except ValueError:
            self.problems.append(
                f"{label} ({name}): {self._shown(value)!r} is not a date; use YYYY-MM-DD, "
                "for example 2026-04-01."
            )
            return None
        if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
            self.problems.append(
                f"{label} ({name}): the year must be between {EARLIEST_YEAR} and {LATEST_YEAR}."
            )
            return None
        return day

    def number(self, name: str, label: str, low: int, high: int, default: int) -> int:
        value = self.raw(name)
        if value is None:
            return default
        if not value.isdigit() or not low <= int(value) <= high:
            self.problems.append(
                f"{label} ({name}): {self._shown(value)!r} is not a whole number from {low} to {high}."
            )
            return default
        return int(value)

    def done(self) -> None:
        if self.problems:
            raise BadQuery(self.problems)


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("infrastructure.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        status_label=labels.status_label,
        clock_state_label=labels.clock_state_label,
        clock_label=labels.clock_label,
        profile_label=labels.profile_label,
        harm_label=labels.harm_label,
        response_label=labels.response_label,
        response_name=labels.response_name,
        yes_no=labels.yes_no,
        london=london_time,
        pct=lambda value: "no decided clocks" if value is None else f"{value:g}%",
        sentence=lambda text: text[:1].upper() + text[1:],
        dash=lambda value: "\u2014" if value in (None, "", []) else value,
    )
    env.globals.update(
        nav=NAV, response_phrase=response_phrase, classification_phrases=classification_phrases
    )
    return env


def _system(request: Request) -> System:
    system: System = request.app.state.system
    return system


def _today(system: System) -> date:
    return business_date(system.service.clock.now())


def _query(params: Mapping[str, Any]) -> str:
    """A query string of the non-empty values (lists repeat the name)."""
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        pairs.extend((name, str(v)) for v in values if v not in (None, ""))
    return urlencode(pairs)


def _link(path: str, params: Mapping[str, Any]) -> str:
    query = _query(params)
    return f"{path}?{query}" if query else path


def _months(today: date) -> list[date]:
    """The first day of each of the 12 months ending with today's."""
    first = date(today.year - (1 if today.month < 12 else 0), today.month % 12 + 1, 1)
    months = []
    for n in range(12):
        index = first.month - 1 + n
        months.append(date(first.year + index // 12, index % 12 + 1, 1))
    return months


def _kind_order(kind: str) -> tuple[int, str]:
    return (CLOCK_ORDER.index(kind) if kind in CLOCK_ORDER else len(CLOCK_ORDER), kind)


def _period_label(start: date, end: date, year_start: tuple[int, int]) -> str:
    if year_start == (1, 1):
        return str(start.year)
    return f"{start.year}/{(end.year) % 100:02d}"


def _org_filters(r: QueryReader) -> tuple[str | None, str | None]:
    """The organisation and commissioner code filters shared by the list pages."""
    organisation = r.text(
        "organisation",
        "Organisation",
        max_length=20,
        pattern=ORG_CODE,
        hint="Use an organisation code such as RX1.",
    )
    commissioner = r.text(
        "commissioner",
        "Commissioner",
        max_length=20,
        pattern=ORG_CODE,
        hint="Use a commissioner code such as QT1.",
    )
    return organisation, commissioner


def dashboard_router() -> APIRouter:
    """The dashboard's routes; include it in the app (``app.include_router``)."""
    router = APIRouter(prefix=PREFIX, tags=["dashboard"], include_in_schema=False)
    env = _environment()
    static_files = {
        name: ((resources.files("infrastructure.web") / "static" / name).read_bytes(), media_type)
        for name, media_type in STATIC_FILES.items()
    }

    def versioned(name: str) -> str:
        return f"{PREFIX}/static/{name}?v={hashlib.sha256(static_files[name][0]).hexdigest()[:12]}"

    css_href, icon_href = versioned("dashboard.css"), versioned("favicon.svg")

    def render(
        request: Request, template: str, section: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        system = _system(request)
        html = env.get_template(template).render(
            section=section, css_href=css_href, icon_href=icon_href, today=_today(system), **context
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def error_page(
        request: Request, status: int, title: str, problems: Sequence[str], section: str = ""
    ) -> HTMLResponse:
        return render(
            request, "error.html", section, status=status, title=title, problems=problems, status_code=status
        )

    def guarded(request: Request, section: str, build: Callable[[], HTMLResponse]) -> HTMLResponse:
        try:
            return build()
        except BadQuery as error:
            return error_page(request, 422, "Some values need correcting", error.problems, section)
        except IncidentNotFound as error:
            return error_page(request, 404, "Incident not found", [str(error)], section)

    # ------------------------------------------------------------------ overview

    @router.get("", response_class=HTMLResponse)
    def overview(request: Request) -> HTMLResponse:
        system = _system(request)
        today = _today(system)
        read = system.read_models
        data = read.overview(today)
        by_status = data["open_by_status"]
        open_rows = [(s, by_status.get(s, 0)) for s in labels.OPEN_STATUSES]
        open_rows += [(s, n) for s, n in sorted(by_status.items()) if s not in labels.OPEN_STATUSES]
        overdue_rows = sorted(data["overdue_by_kind"].items(), key=lambda kv: (-kv[1], _kind_order(kv[0])))
        compliance = sorted(data["compliance"], key=lambda row: _kind_order(row["kind"]))
        months = _months(today)
        per_month = {row["month"]: row["incidents"] for row in data["trend"]}
        trend = [(m, per_month.get(m.isoformat()[:7], 0)) for m in months]
        window = f"{months[0].strftime('%b %Y')} to {months[-1].strftime('%b %Y')}"
        overdue_incidents = read.incidents(IncidentFilters(overdue=True), today, limit=1)["total"]
        top_themes = read.themes(months[0], today, 5)["top_categories"]
        open_total = sum(n for _, n in open_rows)
        status_chart = charts.bar_chart(
            "open-by-status",
            "Open incidents by status",
            f"{open_total} open incidents: "
            + ", ".join(f"{labels.status_label(s)} {n}" for s, n in open_rows)
            + ".",
            [charts.Bar(labels.status_label(s), n) for s, n in open_rows],
        )
        overdue_chart = charts.bar_chart(
            "overdue-by-kind",
            "Overdue clocks by kind",
            "Open deadlines past their due date: "
            + (", ".join(f"{labels.clock_label(k)} {n}" for k, n in overdue_rows) or "none")
            + ".",
            [charts.Bar(labels.clock_label(k), n) for k, n in overdue_rows],
        )
        compliance_chart = charts.stacked_bar_chart(
            "compliance",
            "Clock compliance",
            f"For each clock, of the deadlines due from {window}: how many were met on time, met "
            "late, are open past due (breached) or open and not yet due: "
            + "; ".join(
                f"{labels.clock_label(r['kind'])}: {r['met_on_time']} on time, {r['met_late']} late, "
                f"{r['breached']} breached, {r['open']} open"
                for r in compliance
            )
            + ".",
            [(labels.clock_label(r["kind"]), r) for r in compliance],
            COMPLIANCE_SERIES,
        )
        trend_chart = charts.column_chart(
            "trend",
            "Incidents reported per month, last 12 months",
            "Incidents reported per month from "
            f"{months[0].strftime('%B %Y')} to {months[-1].strftime('%B %Y')}: "
            + ", ".join(f"{m.strftime('%b %Y')} {n}" for m, n in trend)
            + ".",
            [charts.Bar(m.strftime("%b %Y"), n) for m, n in trend],
        )
        return render(
            request,
            "overview.html",
            "overview",
            open_rows=open_rows,
            open_total=open_total,
            overdue_rows=overdue_rows,
            overdue_total=sum(n for _, n in overdue_rows),
            overdue_incidents=overdue_incidents,
            compliance=compliance,
            trend=trend,
            trend_total=sum(n for _, n in trend),
            top_themes=top_themes,
            window=window,
            status_chart=status_chart,
            overdue_chart=overdue_chart,
            compliance_chart=compliance_chart,
            trend_chart=trend_chart,
            status_link=lambda s: _link(f"{PREFIX}/incidents", {"status": s}),
            kind_link=lambda k: _link(f"{PREFIX}/deadlines", {"kind": k}),
        )

    # ------------------------------------------------------------ incident list

    @router.get("/incidents", response_class=HTMLResponse)
    def incident_list(request: Request) -> HTMLResponse:
        def build() -> HTMLResponse:
            system = _system(request)
            today = _today(system)
            policy = system.service.policy
            r = QueryReader(request)
            status = r.choices("status", "Status", ["open", *labels.STATUS_LABELS])
            q = r.text("q", "Search", max_length=100)
            organisation, commissioner = _org_filters(r)
            profile = r.choice("profile", "Framework", [p.value for p in Profile])
            harm = r.choices("physical_harm", "Physical harm", [h.value for h in PhysicalHarm])
            never_codes = [n.code for n in policy.never_events]
            never_event = r.choice("never_event", "Never Event", ["any", "none", *never_codes])
            response_type = r.choice("response_type", "Learning response", [t.value for t in ResponseType])
            overdue = r.choice("overdue", "Overdue", ["yes", "no"])
            reported_from = r.day("reported_from", "Reported from")
            reported_to = r.day("reported_to", "Reported to")
            sort = r.choice("sort", "Sort by", list(SORT_LABELS), default="reported") or "reported"
            order = r.choice("order", "Order", ["desc", "asc"], default="desc") or "desc"
            limit = r.number("limit", "Per page", 1, 200, 25)
            cursor = r.text("cursor", "Page link (cursor)", max_length=500)
            page = r.number("page", "Page number", 1, 1_000_000, 1)
            if reported_from and reported_to and reported_to < reported_from:
                r.problems.append(
                    f"Reported to ({reported_to}) is before Reported from ({reported_from}): swap them or "
                    "clear one."
                )
            r.done()
            assert sort in SORTS
            wanted = [s for s in status if s != "open"]
            if "open" in status:
                wanted += [s for s in labels.OPEN_STATUSES if s not in wanted]
            filters = IncidentFilters(
                status=wanted,
                organisation=organisation,
                commissioner=commissioner,
                profile=profile,
                physical_harm=harm,
                never_event=never_event,
                response_type=response_type,
                overdue=None if overdue is None else overdue == "yes",
                reported_from=reported_from,
                reported_to=reported_to,
                text=q,
            )
            try:
                result = system.read_models.incidents(
                    filters, today, sort=sort, descending=order == "desc", limit=limit, cursor=cursor
                )
            except (ValueError, TypeError):
                raise BadQuery(
                    [
                        "Page link (cursor): this page link is not one the dashboard issued, or it was made "
                        "for another sort order. Start again from the first page."
                    ]
                ) from None
            form = {
                "q": q or "",
                "status": status[0] if len(status) == 1 else "",
                "organisation": organisation or "",
                "commissioner": commissioner or "",
                "profile": profile or "",
                "physical_harm": harm[0] if len(harm) == 1 else "",
                "never_event": never_event or "",
                "response_type": response_type or "",
                "overdue": overdue or "",
                "reported_from": reported_from.isoformat() if reported_from else "",
                "reported_to": reported_to.isoformat() if reported_to else "",
                "sort": sort,
                "order": order,
                "limit": str(limit),
            }
            kept = {**form, "status": status, "physical_harm": harm}
            if kept["sort"] == "reported":
                kept.pop("sort")
            if kept["order"] == "desc":
                kept.pop("order")
            if kept["limit"] == "25":
                kept.pop("limit")
            path = f"{PREFIX}/incidents"
            next_link = (
                _link(path, {**kept, "cursor": result["next_cursor"], "page": page + 1})
                if result["next_cursor"]
                else None
            )
            first_index = (page - 1) * limit + 1 if cursor else 1
            return render(
                request,
                "incidents.html",
                "incidents",
                form=form,
                result=result,
                items=result["items"],
                total=result["total"],
                page=page,
                limit=limit,
                first_index=first_index,
                next_link=next_link,
                first_link=_link(path, kept) if cursor else None,
                filtered=any(v for k, v in kept.items() if k not in ("sort", "order", "limit")),
                statuses=labels.STATUS_LABELS,
                profiles=labels.PROFILE_LABELS,
                harms=labels.HARM_LABELS,
                responses={t.value: labels.response_label(t.value) for t in ResponseType},
                sorts=SORT_LABELS,
                page_sizes=PAGE_SIZES,
                never_events={n.code: n.name for n in policy.never_events},
            )

        return guarded(request, "incidents", build)

    # ------------------------------------------------------------ one incident

    @router.get("/incidents/{incident}", response_class=HTMLResponse)
    def incident_page(request: Request, incident: str) -> HTMLResponse:
        def build() -> HTMLResponse:
            system = _system(request)
            service = system.service
            if len(incident) > 100:
                raise IncidentNotFound(incident[:100], "there is no incident with such a long reference")
            incident_id = service.resolve(incident)
            try:
                state = service.get(incident_id)
            except IncidentNotFound:
                raise IncidentNotFound(
                    incident,
                    f"There is no incident {incident.strip()}. Check the reference (INC-YYYY-NNNNNN).",
                ) from None
            events = service.history(incident_id)["events"]
            policy = service.policy
            deadlines = sorted(state["deadlines"], key=lambda d: (d["due"], d["kind"]))
            return render(
                request,
                "incident.html",
                "incidents",
                incident=state,
                deadlines=deadlines,
                entries=timeline(events),
                never_events={n.code: n.name for n in policy.never_events},
                national_priorities={p.code: p.description for p in policy.national_priorities},
                open_clocks=sum(1 for d in deadlines if d["status"] in labels.OPEN_CLOCK_STATES),
                overdue_clocks=sum(
                    1 for d in deadlines if d["status"] in labels.OPEN_CLOCK_STATES and d["days_overdue"] > 0
                ),
            )

        return guarded(request, "incidents", build)

    # --------------------------------------------------------------- deadlines

    @router.get("/deadlines", response_class=HTMLResponse)
    def deadlines_page(request: Request) -> HTMLResponse:
        def build() -> HTMLResponse:
            system = _system(request)
            today = _today(system)
            r = QueryReader(request)
            week = r.day("week", "Week containing") or today
            kind = r.text(
                "kind",
                "Clock",
                max_length=80,
                pattern=CLOCK_KIND,
                hint="Use a clock name such as commissioner_report, or action.",
            )
            organisation, commissioner = _org_filters(r)
            status = (
                r.choice(
                    "status", "Status this week", ["open", "all", *labels.CLOCK_STATE_LABELS], default="open"
                )
                or "open"
            )
            overdue_offset = r.number("overdue_offset", "Overdue list position", 0, MAX_OFFSET, 0)
            week_offset = r.number("week_offset", "Week list position", 0, MAX_OFFSET, 0)
            r.done()
            filters = {"kind": kind, "organisation": organisation, "commissioner": commissioner}
            overdue_total, overdue = _merged(
                system, today, labels.OPEN_CLOCK_STATES, overdue_offset, {**filters, "due_before": today}
            )
            statuses: Sequence[str | None] = (
                labels.OPEN_CLOCK_STATES if status == "open" else (None,) if status == "all" else (status,)
            )
            week_total, week_items = _merged(
                system, today, statuses, week_offset, {**filters, "due_week": week}
            )
            monday = week - timedelta(days=week.weekday())
            kept = {
                **filters,
                "week": week.isoformat() if week != today else None,
                "status": status if status != "open" else None,
            }
            path = f"{PREFIX}/deadlines"

            def pages(name: str, offset: int, total: int) -> dict[str, str | None]:
                return {
                    "previous": _link(path, {**kept, name: max(0, offset - DEADLINES_PAGE) or None})
                    if offset
                    else None,
                    "next": _link(path, {**kept, name: offset + DEADLINES_PAGE})
                    if offset + DEADLINES_PAGE < total
                    else None,
                }

            kinds = sorted(
                {k.kind for p in system.service.policy.profiles for k in p.clocks}
                | {"learning_response", "action"},
                key=_kind_order,
            )
            return render(
                request,
                "deadlines.html",
                "deadlines",
                form={
                    "week": week.isoformat(),
                    "kind": kind or "",
                    "organisation": organisation or "",
                    "commissioner": commissioner or "",
                    "status": status,
                },
                kinds=kinds,
                clock_states=labels.CLOCK_STATE_LABELS,
                overdue=overdue,
                overdue_total=overdue_total,
                overdue_offset=overdue_offset,
                overdue_pages=pages("overdue_offset", overdue_offset, overdue_total),
                week_items=week_items,
                week_total=week_total,
                week_offset=week_offset,
                week_pages=pages("week_offset", week_offset, week_total),
                monday=monday,
                sunday=monday + timedelta(days=6),
                previous_week=_link(path, {**kept, "week": (monday - timedelta(days=7)).isoformat()}),
                next_week=_link(path, {**kept, "week": (monday + timedelta(days=7)).isoformat()}),
                this_week=_link(path, {**kept, "week": None}),
                is_this_week=monday <= today <= monday + timedelta(days=6),
            )

        return guarded(request, "deadlines", build)

    # ------------------------------------------------------------ board report

    @router.get("/board", response_class=HTMLResponse)
    def board_page(request: Request) -> HTMLResponse:
        def build() -> HTMLResponse:
            system = _system(request)
            today = _today(system)
            r = QueryReader(request)
            year_start_text = r.text("year_start", "Reporting year starts", max_length=5) or (
                system.settings.reporting_year_start
            )
            year_start = (4, 1)
            try:
                year_start = parse_year_start(year_start_text)
            except ValueError as error:
                r.problems.append(f"Reporting year starts (year_start): {error}.")
            start = r.day("from", "From")
            end = r.day("to", "To")
            r.done()
            current = reporting_years(today, today, year_start)[0]
            end = end or today
            start = start or date(current.start.year - 2, current.start.month, current.start.day)
            if end < start:
                r.problems.append(f"To ({end}) is before From ({start}): swap them.")
            if start < EARLIEST_BOARD_DATE:
                r.problems.append(f"From ({start}) is before the NHS began ({EARLIEST_BOARD_DATE}).")
            elif end.year - start.year > MAX_BOARD_YEARS:
                r.problems.append(
                    f"From {start} to {end} spans more than {MAX_BOARD_YEARS} reporting years; choose a "
                    "shorter range."
                )
            r.done()
            read = system.read_models
            report = read.board(start, end, year_start)
            periods = []
            themes: list[dict[str, int]] = []
            for period in report["periods"]:
                p_start, p_end = date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
                periods.append(
                    {
                        **period,
                        "label": _period_label(p_start, p_end, year_start),
                        "partial": p_end > today,
                    }
                )
                counts: dict[str, int] = {}
                for row in read.themes(p_start, p_end, 1)["by_category"]:
                    counts[row["category"]] = counts.get(row["category"], 0) + row["incidents"]
                themes.append(counts)
            overall: dict[str, int] = {}
            for counts in themes:
                for category, n in counts.items():
                    overall[category] = overall.get(category, 0) + n
            top = sorted(overall, key=lambda c: (-overall[c], c))[:10]
            query = {"from": start.isoformat(), "to": end.isoformat(), "year_start": year_start_text}
            return render(
                request,
                "board.html",
                "board",
                form={**query, "year_start": year_start_text},
                periods=periods,
                rows=[(name, BOARD_LABELS[name]) for name in BOARD_ROWS],
                theme_rows=[(c, [counts.get(c, 0) for counts in themes], overall[c]) for c in top],
                csv_link=_link("/reports/board", {**query, "format": "csv"}),
                json_link=_link("/reports/board", query),
                default_year_start=system.settings.reporting_year_start,
            )

        return guarded(request, "board", build)

    # ------------------------------------------------------------------ others

    @router.get("/static/{name}", response_model=None)
    def static(request: Request, name: str) -> Response:
        if name not in static_files:
            return error_page(request, 404, "Page not found", [f"There is no file {name!r} here."])
        content, media_type = static_files[name]
        headers = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=86400"}
        return Response(content, media_type=media_type, headers=headers)

    @router.get("/{rest:path}", response_model=None)
    def not_found(request: Request, rest: str) -> Response:
        if not rest.strip("/"):
            return RedirectResponse(PREFIX, status_code=308)
        return error_page(request, 404, "Page not found", [f"There is no dashboard page at {PREFIX}/{rest}."])

    return router


def _merged(
    system: System,
    today: date,
    statuses: Sequence[str | None],
    offset: int,
    filters: Mapping[str, Any],
    limit: int = DEADLINES_PAGE,
) -> tuple[int, list[dict[str, Any]]]:
    """One page of deadlines whose status is any of ``statuses`` (the read model takes one
    status per query), merged in the read model's order: due date, reference, kind."""
    total = 0
    lists = []
    for status in statuses:
        count, items = system.read_models.deadlines(
            today, status=status, limit=offset + limit, offset=0, **filters
        )
        total += count
        lists.append(items)
    merged = heapq.merge(*lists, key=lambda d: (d["due"], d["reference"], d["kind"]))
    return total, list(itertools.islice(merged, offset, offset + limit))
