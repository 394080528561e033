"""Errors the application raises besides the domain's own refusals."""

from __future__ import annotations

from uuid import UUID


class ApplicationError(Exception):
    """Base class for application errors; ``str(error)`` is meant for a person."""


class IncidentNotFound(ApplicationError):
    def __init__(self, incident: UUID | str, detail: str | None = None) -> None:
        self.incident = incident
        self.default_detail = detail is None
        super().__init__(detail or f"no incident {incident}")


class VersionConflict(ApplicationError):
    """The incident changed since the caller read it (optimistic concurrency)."""
