"""Scheduler processes against one store: concurrent sweeps, and a sweep killed midway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from application import commands as c
from application.clock import FixedClock
from domain.incident import Incident
from infrastructure.bootstrap import System, bootstrap
from infrastructure.settings import Settings

LONDON = ZoneInfo("Europe/London")
IDENTIFIED = datetime(2026, 3, 2, 9, tzinfo=LONDON)
SWEEP_AT = "2026-04-01T12:00:00+01:00"


def populate(system: System, clock: FixedClock, incidents: int) -> None:
    """SIF incidents whose commissioner_report and initial_review are overdue by April."""
    clock.set(IDENTIFIED + timedelta(hours=2))
    for n in range(incidents):
        system.service.report(
            c.ReportIncident(
                organisation=f"ORG{n % 7}",
                commissioner="QUE",
                profile="sif-2015",
                occurred_at=IDENTIFIED - timedelta(hours=1),
                identified_at=IDENTIFIED,
                reported_at=IDENTIFIED + timedelta(hours=1),
                location="Ward",
                care_setting="acute",
                category="falls",
                description=f"Incident {n}",
                physical_harm="low",
            ),
            actor="loader",
        )


def breach_counts(system: System) -> Counter[tuple[str, str, str]]:
    counts: Counter[tuple[str, str, str]] = Counter()
    store = system.service.store
    start = 0
    while True:
        batch = store.recorder.select_notifications(start=start, limit=1000, inclusive_of_start=False)
        if not batch:
            return counts
        for notification in batch:
            event = store.mapper.to_domain_event(notification)
            if isinstance(event, Incident.DeadlineBreached):
                counts[(str(event.originator_id), event.kind, event.due.isoformat())] += 1
        start = batch[-1].id


def tick_process(database_url: str, cwd: Path, log_name: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "INCIDENTFLOW_DATABASE_URL": database_url}
    with (cwd / log_name).open("w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "infrastructure.cli", "tick", "--at", SWEEP_AT],
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def test_two_schedulers_sweeping_at_once_record_each_breach_exactly_once(
    system: System, clock: FixedClock, settings: Settings, tmp_path: Path
) -> None:
    populate(system, clock, incidents=120)
    processes = [tick_process(settings.database_url, tmp_path, f"tick{n}.log") for n in range(2)]
    try:
        codes = [process.wait(timeout=300) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert codes == [0, 0], (tmp_path / "tick0.log").read_text() + (tmp_path / "tick1.log").read_text()
    counts = breach_counts(system)
    assert len(counts) == 240  # two clocks for each of 120 incidents
    assert set(counts.values()) == {1}, "a breach was recorded twice"


def test_a_scheduler_killed_mid_sweep_loses_and_duplicates_nothing(
    system: System, clock: FixedClock, settings: Settings, tmp_path: Path
) -> None:
    populate(system, clock, incidents=500)
    head = system.service.event_count()
    process = tick_process(settings.database_url, tmp_path, "killed.log")
    deadline = time.monotonic() + 120
    while system.service.event_count() < head + 40:
        assert process.poll() is None, "the sweep finished before it could be killed"
        assert time.monotonic() < deadline, "the sweep made no progress"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    partial = breach_counts(system)
    assert 40 <= sum(partial.values()) < 1000, "the kill should land mid-sweep"

    restarted = tick_process(settings.database_url, tmp_path, "restarted.log")
    assert restarted.wait(timeout=300) == 0, (tmp_path / "restarted.log").read_text()
    counts = breach_counts(system)
    assert len(counts) == 1000
    assert set(counts.values()) == {1}

    again = bootstrap(settings, clock=FixedClock(datetime.fromisoformat(SWEEP_AT)))
    try:
        assert again.sweeper.sweep(datetime.fromisoformat(SWEEP_AT)).breached == 0
    finally:
        again.close()


def test_the_scheduler_process_ticks_on_its_own(
    system: System, clock: FixedClock, settings: Settings, tmp_path: Path
) -> None:
    populate(system, clock, incidents=2)
    clock.set(datetime.now(LONDON))
    env = {**os.environ, "INCIDENTFLOW_DATABASE_URL": settings.database_url}
    with (tmp_path / "scheduler.log").open("w") as log:
        scheduler = subprocess.Popen(
            [sys.executable, "-m", "infrastructure.cli", "scheduler", "--every", "0.5"],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while sum(breach_counts(system).values()) < 4:
            assert scheduler.poll() is None, (tmp_path / "scheduler.log").read_text()
            assert time.monotonic() < deadline, "the scheduler recorded no breaches"
            time.sleep(0.2)
        time.sleep(1.5)  # a few more ticks: still nothing recorded twice
        assert set(breach_counts(system).values()) == {1}
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=30)
