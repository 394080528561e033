"""Clocks through HTTP: per incident, across incidents, extensions and waivers."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from application.clock import FixedClock

LONDON = ZoneInfo("Europe/London")
SIF_REPORT: dict[str, Any] = {
    "organisation": "RYV",
    "commissioner": "QUE",
    "profile": "sif-2015",
    "occurred_at": "2026-06-01T08:00:00+01:00",
    "identified_at": "2026-06-01T09:00:00+01:00",
    "reported_at": "2026-06-01T09:30:00+01:00",
    "location": "Theatre 2",
    "care_setting": "acute",
    "category": "surgery",
    "description": "Swab count discrepancy",
    "physical_harm": "moderate",
}


def sweep(client: TestClient, clock: FixedClock, at: datetime) -> Any:
    clock.set(at)
    return client.app.state.system.sweeper.sweep(at)  # type: ignore[attr-defined]


def clocks(client: TestClient, incident: str) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in client.get(f"/incidents/{incident}").json()["deadlines"]}


def test_incident_clocks_show_status_and_days_overdue(client: TestClient, clock: FixedClock) -> None:
    clock.set(datetime(2026, 6, 1, 10, tzinfo=LONDON))
    incident = client.post("/incidents", json=SIF_REPORT).json()["id"]
    sweep(client, clock, datetime(2026, 6, 2, 9, tzinfo=LONDON))
    view = clocks(client, incident)
    assert view["commissioner_report"]["status"] == "approaching"
    assert view["commissioner_report"]["due"] == "2026-06-03"

    sweep(client, clock, datetime(2026, 6, 8, 9, tzinfo=LONDON))
    view = clocks(client, incident)
    assert view["commissioner_report"]["status"] == "breached"
    assert view["commissioner_report"]["days_overdue"] == 5
    assert view["initial_review"]["days_overdue"] == 4
    assert view["candour_notification"]["status"] == "pending"  # due 15 June, reminder from 11 June

    response = client.post(
        f"/incidents/{incident}/report-to-commissioner",
        json={"reference": "StEIS-2026-1", "reported_on": "2026-06-08"},
    )
    assert response.status_code == 200
    view = clocks(client, incident)
    assert view["commissioner_report"]["status"] == "met_late"
    assert view["commissioner_report"]["met_on"] == "2026-06-08"


def test_extension_and_waiver_through_http(client: TestClient, clock: FixedClock) -> None:
    clock.set(datetime(2026, 6, 1, 10, tzinfo=LONDON))
    incident = client.post("/incidents", json=SIF_REPORT).json()["id"]
    extended = client.post(
        f"/incidents/{incident}/agree-extension",
        json={
            "deadline": "initial_review",
            "new_due": "2026-06-10",
            "reason": "lead on leave",
            "approved_by": "ICB quality lead",
        },
    )
    assert extended.status_code == 200
    assert clocks(client, incident)["initial_review"]["history"] == ["2026-06-04"]

    refused = client.post(
        f"/incidents/{incident}/waive-deadline", json={"deadline": "closure_review", "reason": "n/a"}
    )
    assert refused.status_code == 422
    assert "commissioner_report" in refused.json()["detail"]

    waived = client.post(
        f"/incidents/{incident}/waive-deadline",
        json={"deadline": "candour_notification", "reason": "harm regraded at the panel"},
    )
    assert waived.status_code == 200
    again = client.post(
        f"/incidents/{incident}/waive-deadline",
        json={"deadline": "candour_notification", "reason": "twice"},
    )
    assert again.status_code == 409
    assert "waived" in again.json()["detail"]
    history = client.get(f"/incidents/{incident}/history").json()["events"]
    assert [e["type"] for e in history][-2:] == ["DeadlineExtended", "DeadlineWaived"]


def test_deadlines_across_incidents(client: TestClient, clock: FixedClock) -> None:
    clock.set(datetime(2026, 6, 1, 10, tzinfo=LONDON))
    for organisation in ("RYV", "RYV", "RGT"):
        assert client.post("/incidents", json={**SIF_REPORT, "organisation": organisation}).status_code == 201
    sweep(client, clock, datetime(2026, 6, 5, 9, tzinfo=LONDON))

    everything = client.get("/deadlines").json()
    assert everything["total"] == 9  # three clocks each
    dues = [d["due"] for d in everything["items"]]
    assert dues == sorted(dues)

    breached = client.get("/deadlines", params={"status": "breached"}).json()
    assert breached["total"] == 6
    assert {d["kind"] for d in breached["items"]} == {"commissioner_report", "initial_review"}

    ryv_reviews = client.get("/deadlines", params={"kind": "initial_review", "organisation": "RYV"}).json()
    assert ryv_reviews["total"] == 2
    assert {d["reference"] for d in ryv_reviews["items"]} == {"INC-2026-000001", "INC-2026-000002"}

    soon = client.get("/deadlines", params={"due_before": "2026-06-04"}).json()
    assert soon["total"] == 3 and {d["kind"] for d in soon["items"]} == {"commissioner_report"}

    page = client.get("/deadlines", params={"limit": 2, "offset": 2}).json()
    assert len(page["items"]) == 2 and page["total"] == 9

    bad = client.get("/deadlines", params={"status": "late"})
    assert bad.status_code == 422
    assert "status" in bad.json()["detail"]
