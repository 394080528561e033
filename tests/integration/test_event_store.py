"""The event store on a real database (SQLite file, or PostgreSQL when configured)."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest

from application import commands as c
from application.clock import FixedClock
from application.errors import VersionConflict
from application.incidents import IncidentService
from domain.incident import Incident
from infrastructure.bootstrap import bootstrap
from infrastructure.settings import Settings


def report(service: IncidentService, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "organisation": "RYV",
        "commissioner": "QUE",
        "occurred_at": "2026-11-20T08:00:00+00:00",
        "identified_at": "2026-11-20T09:00:00+00:00",
        "location": "Ward 3",
        "care_setting": "acute inpatient",
        "category": "medication",
        "description": "Wrong dose given",
        "physical_harm": "moderate",
    }
    fields.update(overrides)
    return service.report(c.ReportIncident(**fields), actor="alice")


def test_state_survives_reopening_the_store(settings: Settings, clock: FixedClock) -> None:
    first = bootstrap(settings, clock=clock)
    created = report(first.service)
    first.service.classify(
        UUID(created["id"]),
        c.Classify(physical_harm="severe", psychological_harm="none", rationale="graded"),
        actor="bob",
    )
    first.close()

    reopened = bootstrap(settings, clock=clock)
    try:
        view = reopened.service.get(UUID(created["id"]))
    finally:
        reopened.close()
    assert view["reference"] == created["reference"]
    assert view["status"] == "classified"
    assert view["classification"]["physical_harm"] == "severe"
    assert view["version"] == 2


def test_snapshots_reproduce_long_histories(service: IncidentService, clock: FixedClock) -> None:
    created = report(service)
    incident_id = UUID(created["id"])
    service.classify(
        incident_id,
        c.Classify(physical_harm="moderate", psychological_harm="none", rationale="graded"),
        actor="bob",
    )
    for n in range(60):
        service.agree_action(
            incident_id,
            c.AgreeAction(
                action_id=f"A{n}",
                description="do it",
                owner="Ward manager",
                due=date(2027, 1, 1) + timedelta(days=n),
            ),
            actor="bob",
        )
    snapshots = list(service.store.snapshots.get(incident_id)) if service.store.snapshots else []
    assert snapshots, "a snapshot should have been taken after 50 events"
    from_snapshot = service.get(incident_id)
    replayed: Incident = service.store.repository.get(incident_id, version=from_snapshot["version"])
    assert len(from_snapshot["actions"]) == 60
    assert [a.action_id for a in replayed.actions] == [a["action_id"] for a in from_snapshot["actions"]]
    assert {d["kind"]: d["due"] for d in from_snapshot["deadlines"]} == {
        d.kind: d.due.isoformat() for d in replayed.deadlines
    }


def test_stale_expected_version_is_refused_and_records_nothing(service: IncidentService) -> None:
    created = report(service)
    before = service.event_count()
    with pytest.raises(VersionConflict, match="version 1, not the expected version 3"):
        service.classify(
            UUID(created["id"]),
            c.Classify(physical_harm="low", psychological_harm="none", rationale="x", expected_version=3),
            actor="bob",
        )
    assert service.event_count() == before


def test_two_writers_with_the_same_expected_version_exactly_one_wins(
    settings: Settings, clock: FixedClock
) -> None:
    systems = [bootstrap(settings, clock=clock) for _ in range(2)]
    services = [s.service for s in systems]
    created = report(services[0])
    incident_id = UUID(created["id"])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def write(service: IncidentService, harm: str) -> None:
        command = c.Classify(
            physical_harm=harm, psychological_harm="none", rationale="race", expected_version=1
        )
        barrier.wait()
        try:
            service.classify(incident_id, command, actor=harm)
            outcomes.append("ok")
        except VersionConflict:
            outcomes.append("conflict")

    threads = [
        threading.Thread(target=write, args=(s, h)) for s, h in zip(services, ("low", "severe"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    history = services[0].history(incident_id)["events"]
    for system in systems:
        system.close()
    assert sorted(outcomes) == ["conflict", "ok"]
    assert [e["type"] for e in history] == ["Reported", "Classified"]


def test_concurrent_reports_get_unique_references(settings: Settings, clock: FixedClock) -> None:
    systems = [bootstrap(settings, clock=clock) for _ in range(3)]
    services = [s.service for s in systems]
    references: list[str] = []
    lock = threading.Lock()

    def write(service: IncidentService) -> None:
        for _ in range(5):
            result = report(service)
            with lock:
                references.append(result["reference"])

    threads = [threading.Thread(target=write, args=(s,)) for s in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for system in systems:
        system.close()
    assert len(references) == 15
    assert sorted(references) == [f"INC-2026-{n:06d}" for n in range(1, 16)]
