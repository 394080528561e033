"""Benchmark: rebuilding every read model, the memory a large rebuild holds, and list
query latency.

    .venv/bin/python -m benchmarks.read_models_benchmark --incidents 250000
    .venv/bin/python -m benchmarks.read_models_benchmark --incidents 250000 \
        --database-url 'postgresql+psycopg://postgres@127.0.0.1:5432/test?schema=bench'

About four events an incident: 250,000 incidents is about a million events. The rebuild
runs in a child process so its peak memory (max RSS) is its own; the reference in the
same run is the rate at which the store's notification log alone can be read and
decoded, which bounds any projection.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from application.clock import FixedClock
from benchmarks.population import populate
from infrastructure.bootstrap import bootstrap
from infrastructure.settings import Settings
from projections.incidents import IncidentFilters

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 6, 15, 9, tzinfo=LONDON)


def median_ms(action: Any, repeat: int = 15) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return round(1000 * statistics.median(timings), 2)


def build(database_url: str, incidents: int) -> dict[str, Any]:
    clock = FixedClock(NOW)
    system = bootstrap(Settings(database_url=database_url), clock=clock)
    try:
        seconds = populate(
            system,
            clock,
            incidents,
            first_identified=NOW - timedelta(days=800),
            spread=timedelta(days=790),
            lifecycle=True,
        )
        return {
            "incidents": incidents,
            "events": system.service.event_count(),
            "populate_seconds": round(seconds, 1),
        }
    finally:
        system.close()


def rebuild_child(database_url: str) -> None:
    """Runs in a child process: read the log (reference), then rebuild every view."""
    system = bootstrap(Settings(database_url=database_url), clock=FixedClock(NOW))
    try:
        store = system.service.store
        head = system.service.event_count()
        started = time.perf_counter()
        position = 0
        while True:
            batch = store.recorder.select_notifications(start=position, limit=1000, inclusive_of_start=False)
            if not batch:
                break
            for notification in batch:
                store.mapper.to_domain_event(notification)
            position = batch[-1].id
        read_seconds = time.perf_counter() - started
        result: dict[str, Any] = {"log_read_and_decode_events_per_second": round(head / read_seconds)}
        for name in system.projections.views:
            started = time.perf_counter()
            system.projections.rebuild(name)
            result[f"rebuild_{name}_alone_events_per_second"] = round(head / (time.perf_counter() - started))
        started = time.perf_counter()
        system.projections.rebuild(list(system.projections.views))
        seconds = time.perf_counter() - started
        result["rebuild_all_views_one_pass_events_per_second"] = round(head / seconds)
        result["rebuild_all_views_one_pass_seconds"] = round(seconds, 1)
        result["max_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(result))
    finally:
        system.close()


def list_latency(database_url: str) -> dict[str, Any]:
    system = bootstrap(Settings(database_url=database_url), clock=FixedClock(NOW))
    try:
        system.projections.catch_up()
        if not database_url.startswith("sqlite"):
            with system.engine.begin() as conn:  # what autovacuum does after a bulk load
                conn.execute(text("ANALYZE"))
        read = system.read_models
        today = NOW.date()
        first = read.incidents(IncidentFilters(), today, limit=50)
        queries = {
            "default_page": lambda: read.incidents(IncidentFilters(), today, limit=50),
            "second_page_by_cursor": lambda: read.incidents(
                IncidentFilters(), today, limit=50, cursor=first["next_cursor"]
            ),
            "one_organisation": lambda: read.incidents(IncidentFilters(organisation="R07"), today),
            "open_under_investigation": lambda: read.incidents(
                IncidentFilters(status=["under_investigation"]), today
            ),
            "overdue": lambda: read.incidents(IncidentFilters(overdue=True), today),
            "never_events": lambda: read.incidents(IncidentFilters(never_event="any"), today),
            "text_search": lambda: read.incidents(IncidentFilters(text="ward 7"), today),
            "reported_this_quarter": lambda: read.incidents(
                IncidentFilters(reported_from=date(2026, 4, 1), reported_to=date(2026, 6, 30)), today
            ),
            "board_report_two_years": lambda: read.board(date(2024, 4, 1), date(2026, 3, 31), (4, 1)),
            "overview": lambda: read.overview(today),
        }
        return {
            "list_total": first["total"],
            **{f"{name}_median_ms": median_ms(query) for name, query in queries.items()},
        }
    finally:
        system.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rebuild-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rebuild_child:
        rebuild_child(args.database_url)
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
        result: dict[str, Any] = {"database": url.split("://")[0], **build(url, args.incidents)}
        child = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.read_models_benchmark",
                "--rebuild-child",
                "--database-url",
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        result.update(json.loads(child.stdout.strip().splitlines()[-1]))
        result.update(list_latency(url))
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
