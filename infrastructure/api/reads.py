"""Read endpoints over the projected views: incident list, deadlines, compliance, board
report, themes, projection status. No ``from __future__ import annotations``: FastAPI
reads these signatures at runtime."""

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response

from application.commands import Day
from domain.enums import ClockState, PhysicalHarm, Profile, ResponseType, Status
from domain.working_days import business_date
from infrastructure.api.problems import problem
from infrastructure.bootstrap import System
from projections.incidents import SORTS, IncidentFilters
from projections.reports import board_csv, check_report_range, parse_year_start

Month = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


def _system(request: Request) -> System:
    system: System = request.app.state.system
    return system


def _today(system: System) -> date:
    return business_date(system.service.clock.now())


def read_router() -> APIRouter:
    router = APIRouter()

    @router.get("/incidents", tags=["incidents"])
    def list_incidents(
        request: Request,
        status: Annotated[list[Status], Query()] = [],  # noqa: B006 - FastAPI query list
        organisation: Annotated[str | None, Query(max_length=20)] = None,
        commissioner: Annotated[str | None, Query(max_length=20)] = None,
        profile: Profile | None = None,
        physical_harm: Annotated[list[PhysicalHarm], Query()] = [],  # noqa: B006
        never_event: Annotated[
            str | None, Query(max_length=64, description="A code, 'any' or 'none'.")
        ] = None,
        national_priority: Annotated[str | None, Query(max_length=64)] = None,
        local_priority: Annotated[str | None, Query(max_length=64)] = None,
        response_type: ResponseType | None = None,
        category: Annotated[str | None, Query(max_length=200)] = None,
        overdue: bool | None = None,
        occurred_from: Day | None = None,
        occurred_to: Day | None = None,
        identified_from: Day | None = None,
        identified_to: Day | None = None,
        reported_from: Day | None = None,
        reported_to: Day | None = None,
        q: Annotated[
            str | None, Query(max_length=100, description="Text in the reference or location.")
        ] = None,
        sort: Literal[
            "reported", "occurred", "identified", "reference", "status", "next_due", "updated"
        ] = "reported",
        order: Literal["asc", "desc"] = "desc",
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        cursor: Annotated[str | None, Query(max_length=500)] = None,
    ) -> Any:
        """Incidents from the status-list view, filtered, sorted, a page at a time
        (pass ``next_cursor`` back as ``cursor``), with the total that match."""
        system = _system(request)
        filters = IncidentFilters(
            status=[s.value for s in status],
            organisation=organisation,
            commissioner=commissioner,
            profile=profile.value if profile else None,
            physical_harm=[h.value for h in physical_harm],
            never_event=never_event,
            national_priority=national_priority,
            local_priority=local_priority,
            response_type=response_type.value if response_type else None,
            category=category,
            overdue=overdue,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            identified_from=identified_from,
            identified_to=identified_to,
            reported_from=reported_from,
            reported_to=reported_to,
            text=q,
        )
        assert sort in SORTS
        try:
            return system.read_models.incidents(
                filters, _today(system), sort=sort, descending=order == "desc", limit=limit, cursor=cursor
            )
        except ValueError as error:
            return problem(422, str(error))

    @router.get("/deadlines", tags=["deadlines"])
    def list_deadlines(
        request: Request,
        status: Annotated[
            list[ClockState], Query(description="Deadline statuses (repeat for several).")
        ] = [],  # noqa: B006 - FastAPI query list
        open_only: Annotated[
            bool, Query(alias="open", description="Only pending, approaching or breached.")
        ] = False,
        kind: Annotated[
            str | None,
            Query(max_length=80, description="A deadline kind, or 'action' for every safety action."),
        ] = None,
        due_before: Annotated[Day | None, Query(description="Due strictly before this date.")] = None,
        due_week: Annotated[Day | None, Query(description="Any date in the Monday-Sunday week.")] = None,
        organisation: Annotated[str | None, Query(max_length=20)] = None,
        commissioner: Annotated[str | None, Query(max_length=20)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        """Deadlines across incidents, soonest first (from the due-deadlines view)."""
        system = _system(request)
        total, items = system.read_models.deadlines(
            _today(system),
            status=[s.value for s in status],
            open_only=open_only,
            kind=kind,
            due_before=due_before,
            due_week=due_week,
            organisation=organisation,
            commissioner=commissioner,
            limit=limit,
            offset=offset,
        )
        return {"total": total, "limit": limit, "offset": offset, "items": items}

    @router.get("/reports/compliance", tags=["reports"])
    def clock_compliance(
        request: Request,
        from_month: Annotated[Month, Query(alias="from")] = None,
        to_month: Annotated[Month, Query(alias="to")] = None,
        organisation: Annotated[str | None, Query(max_length=20)] = None,
        kind: Annotated[str | None, Query(max_length=80)] = None,
    ) -> dict[str, Any]:
        """Per deadline kind, organisation and month due: due, met on time, met late,
        breached, still open, waived, and the percentage on time."""
        system = _system(request)
        rows = system.read_models.compliance(
            _today(system), from_month=from_month, to_month=to_month, organisation=organisation, kind=kind
        )
        return {"rows": rows}

    @router.get("/reports/board", tags=["reports"], response_model=None)
    def board_report(
        request: Request,
        from_: Annotated[Day, Query(alias="from")],
        to: Day,
        year_start: Annotated[
            str | None,
            Query(pattern=r"^\d{2}-\d{2}$", description="MM-DD; default INCIDENTFLOW_REPORTING_YEAR_START"),
        ] = None,
        format: Literal["json", "csv"] = "json",
    ) -> Response | dict[str, Any]:
        """Seed 002 §6.2's board table, one column per reporting year overlapping the range."""
        system = _system(request)
        try:
            check_report_range(from_, to)
            start = parse_year_start(year_start or system.settings.reporting_year_start)
        except ValueError as error:
            return problem(422, str(error))
        report = system.read_models.board(from_, to, start)
        if format == "csv":
            return PlainTextResponse(board_csv(report), media_type="text/csv")
        return report

    @router.get("/reports/themes", tags=["reports"], response_model=None)
    def themes(
        request: Request,
        from_: Annotated[Day, Query(alias="from")],
        to: Day,
        top: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> Response | dict[str, Any]:
        """Counts by category and Never Event type per month, and the top categories."""
        try:
            check_report_range(from_, to)
        except ValueError as error:
            return problem(422, str(error))
        return _system(request).read_models.themes(from_, to, top)

    @router.get("/reports/overview", tags=["reports"])
    def overview(request: Request) -> dict[str, Any]:
        """Open incidents by status, overdue clocks by kind, compliance per clock, trend."""
        system = _system(request)
        return system.read_models.overview(_today(system))

    @router.get("/projections", tags=["operations"])
    def projection_status(request: Request) -> dict[str, Any]:
        """Each read model's position, the log head, and the lag in events and seconds."""
        return {"projections": _system(request).read_models.status()}

    return router
