"""FastAPI application: thin handlers that parse input, call one service method, render.

No ``from __future__ import annotations`` here: command endpoints are generated per
command model and FastAPI reads their annotations at runtime.
"""

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse

from application.commands import COMMANDS, Command, Instant, ReportIncident
from application.incidents import IncidentService
from infrastructure.api.limits import BodySizeLimit
from infrastructure.api.problems import install_problem_handlers, problem
from infrastructure.api.reads import read_router
from infrastructure.bootstrap import System
from infrastructure.scheduler import background_scheduler
from infrastructure.web.dashboard import dashboard_router

MAX_BODY_BYTES = 1_048_576

ActorHeader = Annotated[
    str,
    Header(
        alias="X-Actor",
        min_length=1,
        max_length=200,
        description="Who is acting (until authentication lands).",
    ),
]


def create_app(
    system_factory: Callable[[], System],
    *,
    run_scheduler: bool = False,
    follow_projections: bool = False,
) -> FastAPI:
    """Build the HTTP app. ``system_factory`` runs at start-up, not at import. With
    ``run_scheduler`` the deadline sweep ticks in the background while it serves; with
    ``follow_projections`` a thread keeps the read models up to date."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        system = system_factory()
        app.state.system = system
        app.state.service = system.service
        scheduler = None
        stop = threading.Event()
        follower = None
        if run_scheduler:
            scheduler = background_scheduler(system, system.settings.tick_seconds)
            scheduler.start()
        if follow_projections:
            follower = threading.Thread(
                target=system.projections.follow, args=(stop,), name="projections", daemon=True
            )
            follower.start()
        try:
            yield
        finally:
            stop.set()
            if scheduler is not None:
                scheduler.shutdown(wait=True)
            if follower is not None:
                follower.join(timeout=30)
            system.close()

    app = FastAPI(
        title="Incidentflow",
        version="0.1.0",
        summary="Event-sourced NHS patient-safety incident lifecycles",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    app.include_router(read_router())
    app.include_router(_incident_router())
    app.include_router(dashboard_router())

    app.add_middleware(BodySizeLimit, limit=MAX_BODY_BYTES)

    @app.get("/health", tags=["operations"])
    def health(request: Request) -> dict[str, Any]:
        service: IncidentService = request.app.state.service
        return {"status": "ok", "events": service.event_count()}

    return app


def _service(request: Request) -> IncidentService:
    service: IncidentService = request.app.state.service
    return service


def _incident_router() -> APIRouter:
    router = APIRouter(prefix="/incidents", tags=["incidents"])

    @router.post("", status_code=201)
    def report_incident(
        request: Request, body: ReportIncident, actor: ActorHeader = "anonymous"
    ) -> dict[str, Any]:
        """Report a new incident; returns its id, reference and version."""
        return _service(request).report(body, actor=actor)

    @router.get("/{incident}")
    def get_incident(request: Request, incident: str) -> dict[str, Any]:
        """Current state: status, classification, candour, investigation, actions, deadlines."""
        service = _service(request)
        return service.get(service.resolve(incident))

    @router.get("/{incident}/history")
    def get_history(
        request: Request,
        incident: str,
        as_of: Annotated[Instant | None, Query(description="Only events recorded by then.")] = None,
    ) -> dict[str, Any]:
        """Every event in order: version, type, recorded_at, actor, data."""
        service = _service(request)
        return service.history(service.resolve(incident), as_of=as_of)

    @router.get("/{incident}/state", response_model=None)
    def get_state(
        request: Request,
        incident: str,
        version: Annotated[int | None, Query(ge=1)] = None,
        as_of: Annotated[Instant | None, Query()] = None,
    ) -> dict[str, Any] | JSONResponse:
        """The state as it was at a version, or as recorded at an instant."""
        service = _service(request)
        incident_id = service.resolve(incident)
        if (version is None) == (as_of is None):
            return problem(422, "give exactly one of the query parameters version or as_of")
        if version is not None:
            return service.state_at_version(incident_id, version)
        assert isinstance(as_of, datetime)
        return service.state_as_of(incident_id, as_of)

    for name, model in COMMANDS.items():
        router.add_api_route(
            f"/{{incident}}/{name}",
            _command_endpoint(name, model),
            methods=["POST"],
            name=name,
            summary=name.replace("-", " ").capitalize(),
        )

    @router.post("/{incident}/{command}", include_in_schema=False)
    def unknown_command(command: str) -> JSONResponse:
        known = ", ".join(COMMANDS)
        return problem(422, f"unknown command {command!r}; the commands are: {known}")

    return router


def _command_endpoint(name: str, model: type[Command]) -> Callable[..., dict[str, Any]]:
    def endpoint(
        request: Request,
        incident: str,
        body: Annotated[model, Body()],  # type: ignore[valid-type]
        actor: ActorHeader = "anonymous",
    ) -> dict[str, Any]:
        service = _service(request)
        return service.dispatch(name, service.resolve(incident), body, actor=actor)

    endpoint.__name__ = name.replace("-", "_")
    endpoint.__doc__ = (model.__doc__ or "").strip() or f"Record {name} on the incident."
    return endpoint
