"""Human-readable incident references, unique per reporting year (INC-2026-000042)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

NUMBERING_NAMESPACE = UUID("0c3e5f7a-91b2-5d4e-8a6f-2b7c9d1e3f40")


def numbering_id(year: int) -> UUID:
    return uuid5(NUMBERING_NAMESPACE, f"incident-numbering:{year}")


class IncidentNumbering(Aggregate):
    """Allocates the next reference of one year. Saved in the same transaction as the
    incident it numbers, so optimistic concurrency makes every reference unique."""

    class Started(Aggregate.Created):
        year: int

    class Allocated(Aggregate.Event):
        reference: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, IncidentNumbering)
            aggregate._count += 1

    def __init__(self, year: int) -> None:
        self._year = year
        self._count = 0

    @classmethod
    def start(cls, year: int, now: datetime) -> IncidentNumbering:
        return cls._create(cls.Started, id=numbering_id(year), timestamp=now, year=year)

    def allocate(self, now: datetime) -> str:
        reference = f"INC-{self._year}-{self._count + 1:06d}"
        self.trigger_event(self.Allocated, timestamp=now, reference=reference)
        return reference
