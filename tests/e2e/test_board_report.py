"""The board report (seed 002 §6.2) on a hand-built set of incidents: HTTP JSON and CSV,
another reporting-year start, and the CLI's printed table."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from application.clock import FixedClock
from infrastructure.cli import app

BASE: dict[str, Any] = {
    "organisation": "RYV",
    "commissioner": "QUE",
    "location": "Ward 1",
    "care_setting": "acute",
    "category": "medication",
    "description": "Hand-built incident",
}


def report(client: TestClient, on: str, profile: str = "psirf-2022", harm: str = "none") -> str:
    body = {
        **BASE,
        "profile": profile,
        "occurred_at": f"{on}T08:00:00+00:00",
        "identified_at": f"{on}T09:00:00+00:00",
        "reported_at": f"{on}T10:00:00+00:00",
        "physical_harm": harm,
    }
    response = client.post("/incidents", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def do(client: TestClient, incident: str, command: str, **body: Any) -> None:
    response = client.post(f"/incidents/{incident}/{command}", json=body)
    assert response.status_code == 200, response.text


def classify(client: TestClient, incident: str, harm: str = "none", **extra: Any) -> None:
    do(
        client,
        incident,
        "classify",
        physical_harm=harm,
        psychological_harm="none",
        rationale="panel",
        **extra,
    )


def start(client: TestClient, incident: str, kind: str, on: str, coroner: bool = False) -> None:
    do(
        client,
        incident,
        "start-investigation",
        response_type=kind,
        lead="Lead",
        started_on=on,
        coroner_initiated=coroner,
    )


@pytest.fixture
def hand_built(client: TestClient, clock: FixedClock) -> TestClient:
    clock.set(datetime(2025, 12, 1, 12, tzinfo=UTC))
    h = report(client, "2024-03-31")  # 2023/24 with an April year start
    classify(client, h, never_event="wrong_site_surgery")
    a = report(client, "2024-05-10")  # Never Event, PSII, no harm
    classify(client, a, never_event="wrong_site_surgery")
    start(client, a, "psii", "2024-05-12")
    b = report(client, "2024-06-11", harm="fatal")  # death, PSII, coroner
    classify(client, b, harm="fatal", national_priority="death_problems_in_care")
    start(client, b, "psii", "2024-06-12", coroner=True)
    c = report(client, "2024-07-01", harm="moderate")  # AAR, candour, not SI/PSII
    classify(client, c, harm="moderate")
    start(client, c, "aar", "2024-07-02")
    d = report(client, "2025-05-06", profile="sif-2015", harm="moderate")  # SI, Level 3
    classify(client, d, harm="moderate", serious_incident=True)
    start(client, d, "level3", "2025-05-07")
    e = report(client, "2025-06-02", profile="sif-2015", harm="fatal")  # SI downgraded
    classify(client, e, harm="fatal", serious_incident=True)
    do(client, e, "request-downgrade", rationale="natural course of illness")
    do(client, e, "decide-downgrade", approved=True, rationale="agreed")
    f = report(client, "2025-07-15", harm="fatal")  # homicide, external referral
    classify(client, f, harm="fatal", national_priority="mental_health_homicide")
    start(client, f, "external_referral", "2025-07-16")
    g = report(client, "2025-08-20", harm="low")  # counts in no row
    classify(client, g, harm="low")
    return client


def test_board_report_per_reporting_year(hand_built: TestClient) -> None:
    response = hand_built.get("/reports/board", params={"from": "2024-04-01", "to": "2026-03-31"})
    assert response.status_code == 200
    periods = response.json()["periods"]
    assert [(p["start"], p["end"]) for p in periods] == [
        ("2024-04-01", "2025-03-31"),
        ("2025-04-01", "2026-03-31"),
    ]
    assert periods[0]["rows"] == {
        "never_events": 1,
        "si_or_psii_not_death": 1,
        "si_or_psii_death": 1,
        "coroner_initiated": 1,
        "independent_investigation": 0,
        "other_reviews": 1,
        "candour_reviews": 1,
    }
    assert periods[1]["rows"] == {
        "never_events": 0,
        "si_or_psii_not_death": 1,
        "si_or_psii_death": 0,  # the fatal SI was downgraded: it counts by its final class
        "coroner_initiated": 0,
        "independent_investigation": 2,
        "other_reviews": 0,
        "candour_reviews": 2,
    }
    assert [p["incidents"] for p in periods] == [3, 4]


def test_another_year_start_regroups_the_incidents(hand_built: TestClient) -> None:
    response = hand_built.get(
        "/reports/board", params={"from": "2024-04-01", "to": "2026-03-31", "year_start": "11-01"}
    )
    periods = response.json()["periods"]
    assert [p["start"] for p in periods] == ["2023-11-01", "2024-11-01", "2025-11-01"]
    assert [p["rows"]["never_events"] for p in periods] == [2, 0, 0]
    assert [p["incidents"] for p in periods] == [4, 4, 0]


def test_board_report_as_csv(hand_built: TestClient) -> None:
    response = hand_built.get(
        "/reports/board", params={"from": "2024-04-01", "to": "2025-03-31", "format": "csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == "row,label,2024-04-01 to 2025-03-31"
    assert "never_events,Never Events,1" in lines
    assert "si_or_psii_death,SIs / PSIIs resulting in death,1" in lines


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2025-04-01", "to": "2024-04-01"}, "before from"),
        ({"from": "2024-04-01", "to": "2025-03-31", "year_start": "02-30"}, "MM-DD"),
        ({"from": "2024-04-01"}, "to"),
    ],
)
def test_bad_board_report_queries_are_refused(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    response = client.get("/reports/board", params=params)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_board_report_from_the_cli(
    hand_built: TestClient, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("INCIDENTFLOW_DATABASE_URL", database_url)
    runner = CliRunner()
    printed = runner.invoke(app, ["report", "board", "--from", "2024-04-01", "--to", "2026-03-31"])
    assert printed.exit_code == 0, printed.output
    never = next(line for line in printed.output.splitlines() if line.startswith("Never Events"))
    assert never.split()[-2:] == ["1", "0"]
    as_json = runner.invoke(app, ["report", "board", "--from", "2024-04-01", "--to", "2025-03-31", "--json"])
    assert json.loads(as_json.output)["periods"][0]["rows"]["other_reviews"] == 1
    november = runner.invoke(
        app,
        ["report", "board", "--from", "2024-04-01", "--to", "2024-05-01", "--year-start", "11-01", "--csv"],
    )
    assert november.output.splitlines()[0] == "row,label,2023-11-01 to 2024-10-31"


def test_the_reporting_year_follows_the_reported_business_date(client: TestClient, clock: FixedClock) -> None:
    """An incident reported at 23:30 UTC on 31 March during BST was reported on 1 April in
    London (the next reporting year); one reported on 31 March counts in the year ending
    that day; one that occurred in March but was reported in April counts in April's year."""
    clock.set(datetime(2025, 12, 1, 12, tzinfo=UTC))
    bodies = [
        ("2025-03-31T22:30:00+00:00", "2025-03-31T22:40:00+00:00", "2025-03-31T23:30:00+00:00"),  # 1 Apr BST
        ("2025-03-31T08:00:00+00:00", "2025-03-31T09:00:00+00:00", "2025-03-31T10:00:00+00:00"),  # 31 Mar
        (
            "2025-03-20T08:00:00+00:00",
            "2025-04-02T09:00:00+00:00",
            "2025-04-02T10:00:00+00:00",
        ),  # occurred March
    ]
    for occurred, identified, reported in bodies:
        body = {
            **BASE,
            "profile": "psirf-2022",
            "occurred_at": occurred,
            "identified_at": identified,
            "reported_at": reported,
            "physical_harm": "none",
        }
        created = client.post("/incidents", json=body)
        assert created.status_code == 201, created.text
        classify(client, created.json()["id"], never_event="wrong_site_surgery")
    periods = client.get("/reports/board", params={"from": "2024-04-01", "to": "2026-03-31"}).json()[
        "periods"
    ]
    assert [(p["start"], p["rows"]["never_events"]) for p in periods] == [
        ("2024-04-01", 1),
        ("2025-04-01", 2),
    ]
