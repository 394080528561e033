"""APScheduler as a tick only: each tick runs one deadline sweep at the current time.

APScheduler's job store cannot be shared between processes, so nothing here is persisted:
the sweep reads the due-deadlines read model and the aggregate refuses duplicates, which
is what makes any number of schedulers (and restarts) safe.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from infrastructure.bootstrap import System

log = logging.getLogger("incidentflow.scheduler")


def tick(system: System) -> None:
    summary = system.sweeper.sweep(system.service.clock.now())
    if summary.breached or summary.approaching or summary.refused:
        log.info(
            "sweep at %s: %d breached, %d approaching, %d refused",
            summary.at,
            summary.breached,
            summary.approaching,
            len(summary.refused),
        )


def _configure(scheduler: BaseScheduler, system: System, interval_seconds: float) -> BaseScheduler:
    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=interval_seconds),
        args=[system],
        id="deadline-sweep",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),  # catch up at once after downtime
    )
    return scheduler


def background_scheduler(system: System, interval_seconds: float) -> BackgroundScheduler:
    """For ``incidentflow serve``: ticks in a thread beside the HTTP server."""
    scheduler = BackgroundScheduler(timezone="UTC")
    _configure(scheduler, system, interval_seconds)
    return scheduler


def blocking_scheduler(system: System, interval_seconds: float) -> BlockingScheduler:
    """For ``incidentflow scheduler``: a process that only ticks."""
    scheduler = BlockingScheduler(timezone="UTC")
    _configure(scheduler, system, interval_seconds)
    return scheduler
