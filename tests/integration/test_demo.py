"""The synthetic demo population: reproducible, realistic, and recorded in time order."""

from __future__ import annotations

import os
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from application.clock import FixedClock
from application.demo import PROVIDERS, DemoSummary, load_demo
from domain.enums import Profile
from domain.incident import Incident
from domain.working_days import LONDON, business_date
from infrastructure.bootstrap import System, bootstrap
from infrastructure.persistence import eventsourcing_env
from infrastructure.settings import Settings

PG_URL = os.environ.get("INCIDENTFLOW_TEST_DATABASE_URL", "")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
INCIDENTS = 120
DATED_FIELDS = (
    "reported_on",
    "submitted_on",
    "notified_on",
    "sent_on",
    "started_on",
    "agreed_on",
    "completed_on",
    "closed_on",
)


class Stores:
    """Fresh, empty stores for one module: SQLite files, or PostgreSQL schemas."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.systems: list[System] = []
        self.schemas: list[str] = []

    def open(self, now: datetime = NOW) -> tuple[System, FixedClock]:
        if PG_URL:
            schema = f"t_demo_{uuid.uuid4().hex[:10]}"
            self.schemas.append(schema)
            separator = "&" if "?" in PG_URL else "?"
            url = f"{PG_URL}{separator}schema={schema}"
        else:
            url = f"sqlite:///{self.root / f'demo{len(self.systems)}.sqlite'}"
        clock = FixedClock(now)
        system = bootstrap(Settings(database_url=url), clock=clock)
        self.systems.append(system)
        return system, clock

    def close(self) -> None:
        for system in self.systems:
            system.close()
        if not self.schemas:
            return
        env = eventsourcing_env(PG_URL)
        with psycopg.connect(
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=int(env["POSTGRES_PORT"]),
            user=env["POSTGRES_USER"],
            autocommit=True,
        ) as conn:
            for schema in self.schemas:
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    opened = Stores(tmp_path_factory.mktemp("demo"))
    yield opened
    opened.close()


def notifications(system: System) -> list[tuple[UUID | str, int, str, bytes]]:
    """The whole notification log: ids (derived from references), versions, event types,
    and the stored state (every field and the recorded time)."""
    rows = system.service.store.recorder.select_notifications(start=1, limit=10_000_000)
    return [(n.originator_id, n.originator_version, n.topic, bytes(n.state)) for n in rows]


def incident_events(system: System) -> list[Incident.Event]:
    store = system.service.store
    rows = store.recorder.select_notifications(start=1, limit=10_000_000)
    events = [store.mapper.to_domain_event(n) for n in rows]
    return [e for e in events if isinstance(e, Incident.Event)]


def load(
    system: System, clock: FixedClock, incidents: int, seed: int, **options: Any
) -> tuple[DemoSummary, list[int]]:
    increments: list[int] = []
    summary = load_demo(
        system.service, system.sweeper, clock, incidents, seed, progress=increments.append, **options
    )
    return summary, increments


@pytest.fixture(scope="module")
def population(stores: Stores) -> tuple[System, DemoSummary, list[Incident.Event]]:
    system, clock = stores.open()
    summary, increments = load(system, clock, INCIDENTS, seed=1)
    assert sum(increments) == INCIDENTS
    assert clock.now() == NOW
    return system, summary, incident_events(system)


def by_type(events: list[Incident.Event], kind: type[Incident.Event]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def test_the_same_seed_gives_the_same_history_and_another_seed_another(
    stores: Stores, population: tuple[System, DemoSummary, list[Incident.Event]]
) -> None:
    first, first_summary, _ = population
    again, clock = stores.open()
    summary, _ = load(again, clock, INCIDENTS, seed=1)
    assert asdict(summary) == asdict(first_summary)
    assert notifications(again) == notifications(first)
    ids = [e.originator_id for e in by_type(incident_events(first), Incident.Reported)]
    assert len(ids) == INCIDENTS
    for incident_id in ids:  # the history as the API and the CLI show it, field for field
        assert again.service.history(incident_id) == first.service.history(incident_id)

    other, other_clock = stores.open()
    load(other, other_clock, INCIDENTS, seed=2)

    def reports(system: System) -> list[tuple[str, str, str, datetime]]:
        found = by_type(incident_events(system), Incident.Reported)
        return [(r.organisation, r.category, r.physical_harm.value, r.occurred_at) for r in found]

    assert reports(other) != reports(first)
    assert len(set(reports(other)) & set(reports(first))) < INCIDENTS // 10


def test_sweeping_only_when_needed_records_what_a_sweep_every_midnight_would(stores: Stores) -> None:
    now = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    logs = []
    sweeps = []
    for every_day in (False, True):
        system, clock = stores.open(now)
        summary, _ = load(system, clock, 60, seed=3, start=date(2023, 6, 1), sweep_every_day=every_day)
        assert summary.errors == []
        assert summary.breaches > 0 and summary.reminders > 0
        logs.append(notifications(system))
        sweeps.append(summary.sweeps)
    assert logs[0] == logs[1]
    assert sweeps[0] < sweeps[1] == (now.date() - date(2023, 6, 1)).days + 2  # each midnight, then now


def test_the_population_is_realistic(population: tuple[System, DemoSummary, list[Incident.Event]]) -> None:
    system, summary, events = population
    assert summary.errors == [] and summary.sweep_refusals == 0
    assert summary.incidents == INCIDENTS
    assert summary.events == len(notifications(system)) > 5 * INCIDENTS

    reported = by_type(events, Incident.Reported)
    switch = {p.code: p.psirf_from for p in PROVIDERS}
    commissioner = {p.code: p.commissioner for p in PROVIDERS}
    for report in reported:  # SIF 2015 before each provider's switch to PSIRF, PSIRF after
        expected = (
            Profile.SIF_2015
            if business_date(report.reported_at) < switch[report.organisation]
            else (Profile.PSIRF_2022)
        )
        assert report.profile is expected
        assert report.commissioner == commissioner[report.organisation]
    profiles = Counter(r.profile for r in reported)
    assert profiles[Profile.SIF_2015] >= 10 and profiles[Profile.PSIRF_2022] >= 10
    assert len({r.organisation for r in reported}) >= 8
    assert len({r.commissioner for r in reported}) >= 3
    assert len({r.category for r in reported}) >= 8
    assert len({r.reported_at.year for r in reported}) >= 4
    assert all(r.reported_at <= NOW for r in reported)

    harms = Counter(r.physical_harm.value for r in reported)
    assert harms.most_common(1)[0][0] == "none" and harms["none"] > INCIDENTS / 2
    assert harms["low"] > harms["moderate"] > 0

    occurred = {r.originator_id: business_date(r.occurred_at) for r in reported}
    latest: dict[UUID, Any] = {}
    for classified in by_type(events, Incident.Classified):
        latest[classified.originator_id] = classified.classification
    never_events = {i: c.never_event for i, c in latest.items() if c.never_event}
    assert len(never_events) >= 2
    policy = system.service.policy
    for incident_id, code in never_events.items():
        assert policy.never_event(code, occurred[incident_id]).in_force_on(occurred[incident_id])
    for incident_id, classification in latest.items():
        if classification.local_priority is not None:
            assert date(2024, 12, 1) <= occurred[incident_id] <= date(2026, 4, 30)
    assert any(c.serious_incident for c in latest.values())
    assert any(c.national_priority for c in latest.values())

    breaches = by_type(events, Incident.DeadlineBreached)
    reminders = by_type(events, Incident.DeadlineApproaching)
    assert len(breaches) == summary.breaches > 0
    assert len(reminders) == summary.reminders > 0
    assert {b.actor for b in breaches + reminders} == {"scheduler"}
    for breach in breaches:  # found by the first sweep after the breach moment (00:00 London)
        assert breach.timestamp >= breach.breached_at
        assert breach.timestamp.astimezone(LONDON).time() == time(0)

    closed = {e.originator_id for e in by_type(events, Incident.ActionsClosed)}
    assert len(closed) == summary.closed and INCIDENTS / 2 < len(closed) < INCIDENTS
    assert summary.open > 0 and summary.closed + summary.downgraded + summary.open == INCIDENTS

    notified = by_type(events, Incident.CandourNotified)
    assert notified and all(n.in_person and n.apology_given and n.account_given for n in notified)
    letters = by_type(events, Incident.CandourLetterSent)
    notified_on = {n.originator_id: n.notified_on for n in notified}
    assert letters and all(letter.sent_on >= notified_on[letter.originator_id] for letter in letters)

    started = by_type(events, Incident.InvestigationStarted)
    profile_of = {r.originator_id: r.profile for r in reported}
    assert {s.response_type.value for s in started} >= {"psii"}
    for start in started:
        allowed = policy.profile(profile_of[start.originator_id]).response_types
        assert start.response_type in allowed
    assert by_type(events, Incident.Investigated)
    assert by_type(events, Incident.SafetyActionCompleted)
    assert by_type(events, Incident.DeadlineExtended)


def test_every_history_is_in_recorded_time_order(
    population: tuple[System, DemoSummary, list[Incident.Event]],
) -> None:
    system, _, events = population
    stamps = [e.timestamp for e in events]
    assert stamps == sorted(stamps)  # the whole log, and so each incident's history
    histories: dict[UUID, list[Incident.Event]] = defaultdict(list)
    for event in events:
        histories[event.originator_id].append(event)
    for incident_id, history in histories.items():
        assert [e.originator_version for e in history] == list(range(1, len(history) + 1))
        view = system.service.history(incident_id)["events"]
        recorded = [datetime.fromisoformat(e["recorded_at"]) for e in view]
        assert recorded == sorted(recorded)
    for event in events:  # business dates are never after the day they were recorded
        for name in DATED_FIELDS:
            value = getattr(event, name, None)
            if isinstance(value, date):
                assert value <= business_date(event.timestamp), (type(event).__name__, name)


def test_the_clock_must_be_the_services(stores: Stores) -> None:
    system, _ = stores.open()
    with pytest.raises(ValueError, match="clock"):
        load_demo(system.service, system.sweeper, FixedClock(NOW), 5, seed=1)
