"""Benchmark: finding due deadlines among many open incidents, and recording breaches.

    .venv/bin/python -m benchmarks.sweep_benchmark --incidents 100000
    .venv/bin/python -m benchmarks.sweep_benchmark --incidents 100000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test?schema=bench

It loads a population through the domain (Incident.report) and the event store, then
measures, in the same run: the read model's catch-up rate, the indexed due-deadline query,
the breach recording rate, and the reference it replaces (loading every aggregate).
Results go to stdout as JSON; docs/performance.md records them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import text

from application.clock import FixedClock
from benchmarks.population import populate
from infrastructure.bootstrap import System, bootstrap
from infrastructure.settings import Settings
from projections.deadlines import due_for_breach

LONDON = ZoneInfo("Europe/London")
SWEEP_AT = datetime(2026, 6, 15, 9, tzinfo=LONDON)
BATCH = 500


def timed_populate(system: System, clock: FixedClock, incidents: int) -> float:
    """Open incidents identified over the 59 days before SWEEP_AT; returns seconds taken."""
    clock.set(SWEEP_AT - timedelta(hours=1))
    return populate(
        system,
        clock,
        incidents,
        first_identified=SWEEP_AT - timedelta(days=60),
        spread=timedelta(days=59),
        lifecycle=False,
        label="report incidents",
    )


def median_seconds(action: Any, repeat: int = 15) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def run(database_url: str, incidents: int, breaches: int, reference_loads: int) -> dict[str, Any]:
    clock = FixedClock(SWEEP_AT)
    system = bootstrap(Settings(database_url=database_url), clock=clock)
    try:
        result: dict[str, Any] = {"database": database_url.split("://")[0], "incidents": incidents}
        result["populate_seconds"] = round(timed_populate(system, clock, incidents), 2)
        events = system.service.event_count()
        result["events"] = events

        started = time.perf_counter()
        system.deadlines.refresh()
        catch_up = time.perf_counter() - started
        result["deadlines_view_catch_up_events_per_second"] = round(events / catch_up)

        today = SWEEP_AT.date()
        if not database_url.startswith("sqlite"):
            with system.engine.begin() as conn:  # what autovacuum does after a bulk load
                conn.execute(text("ANALYZE"))
        with system.engine.connect() as conn:
            table = system.projections.tables(conn, "deadlines")["deadlines"]
            result["open_deadlines"] = conn.execute(
                text(f"SELECT count(*) FROM {table.name} WHERE lifecycle = 'pending'")
            ).scalar_one()
            result["due_query_median_ms"] = round(
                1000 * median_seconds(lambda: due_for_breach(conn, table, today, BATCH)), 2
            )
            result["due_query_plan"] = query_plan(conn, database_url, table.name)
        clock.set(SWEEP_AT)
        result["noop_sweep_median_ms"] = round(
            1000 * median_seconds(lambda: system.sweeper.sweep(SWEEP_AT - timedelta(days=90)), 5), 2
        )

        with system.engine.connect() as conn:
            due = due_for_breach(conn, table, today, breaches)
        started = time.perf_counter()
        for item in due:
            system.service.record_breach(UUID(item.incident_id), kind=item.kind, due=item.due)
        recording = time.perf_counter() - started
        result["breaches_recorded"] = len(due)
        result["breach_events_per_second"] = round(len(due) / recording)

        ids = [UUID(item.incident_id) for item in due[:reference_loads]]
        started = time.perf_counter()
        for incident_id in ids:
            system.service.store.repository.get(incident_id)
        per_load = (time.perf_counter() - started) / max(1, len(ids))
        result["reference_aggregate_loads_per_second"] = round(1 / per_load)
        result["reference_full_scan_seconds_estimate"] = round(per_load * incidents, 1)
        result["speedup_indexed_query_vs_full_scan"] = round(
            per_load * incidents / (result["due_query_median_ms"] / 1000)
        )
        return result
    finally:
        system.close()


def query_plan(conn: Any, database_url: str, table: str) -> str:
    sql = (
        f"SELECT incident_id, kind, due FROM {table} WHERE lifecycle = 'pending' "
        "AND due < '2026-06-15' ORDER BY due, incident_id, kind LIMIT 500"
    )
    if database_url.startswith("sqlite"):
        rows = conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")).fetchall()
        return "; ".join(str(r[-1]) for r in rows)
    rows = conn.execute(text(f"EXPLAIN {sql}")).fetchall()
    return "; ".join(str(r[0]).strip() for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--breaches", type=int, default=2_000)
    parser.add_argument("--reference-loads", type=int, default=1_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
        print(json.dumps(run(url, args.incidents, args.breaches, args.reference_loads), indent=2))


if __name__ == "__main__":
    main()
