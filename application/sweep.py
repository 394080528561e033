"""The deadline sweep: record every reminder and breach that is due, exactly once.

Correctness does not rest on the scheduler that calls ``sweep``: the aggregate refuses a
second reminder or breach for the same deadline and due date, so concurrent, repeated or
restarted sweeps cannot record one twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from application.incidents import IncidentService
from domain.errors import DomainError
from domain.working_days import business_date

BATCH = 500


class DueDeadline(Protocol):
    @property
    def incident_id(self) -> str: ...
    @property
    def reference(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def due(self) -> date: ...


class DeadlineSource(Protocol):
    """Finds due deadlines without loading aggregates (a read model)."""

    def refresh(self) -> None:
        """Bring the read model up to date with the event log."""

    def due_for_breach(
        self, today: date, limit: int, after: tuple[date, str, str] | None = None
    ) -> Sequence[DueDeadline]:
        """Due for breach, in (due, incident id, kind) order after ``after``."""
        ...

    def due_for_reminder(
        self, today: date, limit: int, after: tuple[date, str, str] | None = None
    ) -> Sequence[DueDeadline]:
        """Due for a reminder, in the same order."""
        ...


@dataclass
class SweepSummary:
    at: str
    today: str
    breached: int = 0
    approaching: int = 0
    already_recorded: int = 0
    refused: list[str] = field(default_factory=list)


class DeadlineSweeper:
    def __init__(self, service: IncidentService, source: DeadlineSource) -> None:
        self.service = service
        self.source = source

    def sweep(self, at: datetime, actor: str = "scheduler") -> SweepSummary:
        """One sweep as at ``at`` (the service's clock must read ``at`` too)."""
        today = business_date(at)
        summary = SweepSummary(at=at.isoformat(), today=today.isoformat())
        self.source.refresh()
        summary.breached = self._drain(
            self.source.due_for_breach,
            today,
            summary,
            lambda d: self.service.record_breach(UUID(d.incident_id), kind=d.kind, due=d.due, actor=actor),
        )
        summary.approaching = self._drain(
            self.source.due_for_reminder,
            today,
            summary,
            lambda d: self.service.record_reminder(UUID(d.incident_id), kind=d.kind, due=d.due, actor=actor),
        )
        return summary

    def _drain(
        self,
        find: Callable[[date, int, tuple[date, str, str] | None], Sequence[DueDeadline]],
        today: date,
        summary: SweepSummary,
        record: Callable[[DueDeadline], bool],
    ) -> int:
        """Walk every match once, a page at a time in key order, so rows that cannot be
        recorded yet never hold back the ones after them."""
        recorded = 0
        after: tuple[date, str, str] | None = None
        while True:
            batch = find(today, BATCH, after)
            if not batch:
                return recorded
            for due in batch:
                try:
                    if record(due):
                        recorded += 1
                    else:
                        summary.already_recorded += 1
                except DomainError as error:
                    summary.refused.append(f"{due.reference} {due.kind}: {error}")
            last = batch[-1]
            after = (last.due, last.incident_id, last.kind)
