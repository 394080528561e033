"""The read side as the API, CLI and dashboard use it. Each query first applies any
events not yet projected, so answers agree with what has just been written."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Table

from projections import reports
from projections.deadlines import list_deadlines
from projections.incidents import IncidentFilters, list_incidents
from projections.runner import Projections


class ReadModels:
    def __init__(self, projections: Projections) -> None:
        self.projections = projections

    def _tables(self, conn: Any) -> tuple[Table, Table]:
        incidents = self.projections.tables(conn, "incidents")["incidents"]
        deadlines = self.projections.tables(conn, "deadlines")["deadlines"]
        return incidents, deadlines

    def refresh(self) -> None:
        self.projections.catch_up()

    def incidents(self, filters: IncidentFilters, today: date, **page: Any) -> dict[str, Any]:
        self.refresh()
        with self.projections.reader.connect() as conn:
            incidents, _ = self._tables(conn)
            return list_incidents(conn, incidents, filters, today, **page)

    def deadlines(self, today: date, **filters: Any) -> tuple[int, list[dict[str, Any]]]:
        self.refresh()
        with self.projections.reader.connect() as conn:
            _, deadlines = self._tables(conn)
            return list_deadlines(conn, deadlines, today, **filters)

    def compliance(self, today: date, **filters: Any) -> list[dict[str, Any]]:
        self.refresh()
        with self.projections.reader.connect() as conn:
            _, deadlines = self._tables(conn)
            return reports.compliance(conn, deadlines, today, **filters)

    def board(self, start: date, end: date, year_start: tuple[int, int]) -> dict[str, Any]:
        self.refresh()
        with self.projections.reader.connect() as conn:
            incidents, _ = self._tables(conn)
            return reports.board_report(conn, incidents, start, end, year_start)

    def themes(self, start: date, end: date, top: int = 10) -> dict[str, Any]:
        self.refresh()
        with self.projections.reader.connect() as conn:
            incidents, _ = self._tables(conn)
            return reports.themes(conn, incidents, start, end, top)

    def overview(self, today: date) -> dict[str, Any]:
        self.refresh()
        with self.projections.reader.connect() as conn:
            incidents, deadlines = self._tables(conn)
            return reports.overview(conn, incidents, deadlines, today)

    def status(self) -> list[dict[str, Any]]:
        return self.projections.status()
