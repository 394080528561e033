"""Errors as RFC 9457 problem details (``application/problem+json``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from application.errors import IncidentNotFound, VersionConflict
from domain.errors import CloseRefused, CommandNotAllowed, InvalidCommand

PROBLEM_JSON = "application/problem+json"
TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    422: "Invalid input",
    500: "Internal error",
}


def problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


def describe_validation_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    described = []
    for error in errors:
        if error.get("type") == "json_invalid":
            where = error.get("loc", ("body", "?"))[-1]
            reason = (error.get("ctx") or {}).get("error", "JSON decode error")
            message = f"the request body is not valid JSON ({reason}, at character {where})"
            described.append({"field": "body", "message": message})
        else:
            described.append({"field": _location(error.get("loc", ())), "message": str(error.get("msg", ""))})
    return described


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        issues = describe_validation_errors(list(error.errors()))
        detail = "; ".join(f"{i['field']}: {i['message']}" for i in issues)
        return problem(422, detail or "the request body is not valid", errors=issues)

    @app.exception_handler(InvalidCommand)
    async def invalid_command(_: Request, error: InvalidCommand) -> JSONResponse:
        return problem(422, str(error))

    @app.exception_handler(CloseRefused)
    async def close_refused(_: Request, error: CloseRefused) -> JSONResponse:
        return problem(409, str(error), missing=error.missing)

    @app.exception_handler(CommandNotAllowed)
    async def not_allowed(_: Request, error: CommandNotAllowed) -> JSONResponse:
        return problem(409, str(error))

    @app.exception_handler(VersionConflict)
    async def conflict(_: Request, error: VersionConflict) -> JSONResponse:
        return problem(409, str(error))

    @app.exception_handler(IncidentNotFound)
    async def not_found(request: Request, error: IncidentNotFound) -> JSONResponse:
        asked = request.path_params.get("incident")
        if error.default_detail and asked:
            return problem(404, f"no incident {asked}")
        return problem(404, str(error))

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        return problem(error.status_code, str(error.detail))
