"""Reading the projected views over HTTP: incident list, compliance, themes, overview and
projection status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.clock import FixedClock


def report(client: TestClient, on: str, **overrides: Any) -> str:
    body = {
        "organisation": "RYV",
        "commissioner": "QUE",
        "profile": "psirf-2022",
        "occurred_at": f"{on}T08:00:00+00:00",
        "identified_at": f"{on}T09:00:00+00:00",
        "reported_at": f"{on}T10:00:00+00:00",
        "location": "Ward 1",
        "care_setting": "acute",
        "category": "medication",
        "description": "An incident",
        "physical_harm": "none",
        **overrides,
    }
    response = client.post("/incidents", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
def populated(client: TestClient, clock: FixedClock) -> dict[str, str]:
    clock.set(datetime(2026, 6, 30, 12, tzinfo=UTC))
    ids = {
        "falls_rgt": report(
            client, "2026-01-05", organisation="RGT", category="falls", location="Ward 9 North"
        ),
        "meds_moderate": report(client, "2026-02-10", physical_harm="moderate"),
        "surgery_sif": report(
            client, "2026-03-02", profile="sif-2015", category="surgery", location="Theatre 2"
        ),
        "never_event": report(client, "2026-04-14", category="surgery"),
        "recent": report(client, "2026-06-29", category="falls"),
    }
    response = client.post(
        f"/incidents/{ids['never_event']}/classify",
        json={
            "physical_harm": "none",
            "psychological_harm": "none",
            "never_event": "wrong_site_surgery",
            "rationale": "wrong site",
        },
    )
    assert response.status_code == 200
    client.post(
        f"/incidents/{ids['never_event']}/start-investigation",
        json={"response_type": "psii", "lead": "PSII lead", "started_on": "2026-04-15"},
    )
    return ids


def test_list_filters(client: TestClient, populated: dict[str, str]) -> None:
    everything = client.get("/incidents").json()
    assert everything["total"] == 5
    assert [i["reported_on"] for i in everything["items"]] == sorted(
        [i["reported_on"] for i in everything["items"]], reverse=True
    )

    def ids(**params: Any) -> set[str]:
        response = client.get("/incidents", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == len(body["items"])
        return {item["id"] for item in body["items"]}

    assert ids(organisation="rgt") == {populated["falls_rgt"]}
    assert ids(profile="sif-2015") == {populated["surgery_sif"]}
    assert ids(physical_harm="moderate") == {populated["meds_moderate"]}
    assert ids(never_event="any") == {populated["never_event"]}
    assert ids(never_event="wrong_site_surgery") == {populated["never_event"]}
    assert len(ids(never_event="none")) == 4
    assert ids(status="under_investigation") == {populated["never_event"]}
    assert ids(response_type="psii") == {populated["never_event"]}
    assert ids(q="theatre") == {populated["surgery_sif"]}
    assert ids(q="INC-2026-000001") == {populated["falls_rgt"]}
    assert ids(reported_from="2026-03-01", reported_to="2026-04-30") == {
        populated["surgery_sif"],
        populated["never_event"],
    }
    assert ids(occurred_to="2026-01-31") == {populated["falls_rgt"]}
    # The SIF clocks and the candour clock are long past due by 30 June.
    assert ids(overdue=True) == {populated["surgery_sif"], populated["meds_moderate"]}
    assert populated["recent"] in ids(overdue=False)


def test_cursor_pagination_walks_every_incident_once(client: TestClient, populated: dict[str, str]) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, "sort": "reference", "order": "asc"}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/incidents", params=params).json()
        assert page["total"] == 5
        seen += [item["reference"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [f"INC-2026-{n:06d}" for n in range(1, 6)]


def test_list_items_carry_clocks_and_classification(client: TestClient, populated: dict[str, str]) -> None:
    item = next(i for i in client.get("/incidents").json()["items"] if i["id"] == populated["surgery_sif"])
    assert item["next_due"] == "2026-03-04"
    assert item["overdue"] is True and item["days_overdue"] == 118
    never = next(i for i in client.get("/incidents").json()["items"] if i["id"] == populated["never_event"])
    assert never["never_event"] == "wrong_site_surgery"
    assert never["response_type"] == "psii"
    assert never["status"] == "under_investigation"


def test_bad_list_queries_are_refused(client: TestClient) -> None:
    for params, field in (
        ({"status": "lost"}, "status"),
        ({"sort": "colour"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"reported_from": "yesterday"}, "reported_from"),
    ):
        response = client.get("/incidents", params=params)
        assert response.status_code == 422
        assert field in response.json()["detail"]
    garbage = client.get("/incidents", params={"cursor": "not-a-cursor"})
    assert garbage.status_code == 422
    assert "cursor" in garbage.json()["detail"]


def test_compliance_counts_each_clock(
    client: TestClient, clock: FixedClock, populated: dict[str, str]
) -> None:
    client.post(
        f"/incidents/{populated['surgery_sif']}/report-to-commissioner",
        json={"reference": "StEIS-1", "reported_on": "2026-03-04"},
    )
    rows = client.get("/reports/compliance", params={"organisation": "RYV"}).json()["rows"]
    commissioner = [r for r in rows if r["kind"] == "commissioner_report"]
    assert commissioner == [
        {
            "kind": "commissioner_report",
            "organisation": "RYV",
            "month": "2026-03",
            "due": 1,
            "met_on_time": 1,
            "met_late": 0,
            "breached": 0,
            "open": 0,
            "waived": 0,
            "breaches_recorded": 0,
            "on_time_pct": 100.0,
        }
    ]
    review = next(r for r in rows if r["kind"] == "initial_review")
    assert review["breached"] == 1 and review["on_time_pct"] == 0.0
    march = client.get("/reports/compliance", params={"from": "2026-03", "to": "2026-03"}).json()["rows"]
    assert {r["month"] for r in march} == {"2026-03"}
    assert client.get("/reports/compliance", params={"from": "March"}).status_code == 422


def test_themes_and_overview(client: TestClient, populated: dict[str, str]) -> None:
    themes = client.get("/reports/themes", params={"from": "2026-01-01", "to": "2026-06-30"}).json()
    assert themes["top_categories"][0] in (
        {"category": "falls", "incidents": 2},
        {"category": "surgery", "incidents": 2},
    )
    assert {"month": "2026-04", "never_event": "wrong_site_surgery", "incidents": 1} in themes[
        "by_never_event"
    ]
    assert sum(m["incidents"] for m in themes["per_month"]) == 5

    overview = client.get("/reports/overview").json()
    assert overview["open_by_status"] == {"reported": 4, "under_investigation": 1}
    assert overview["overdue_by_kind"]["initial_review"] == 1
    trend = {m["month"]: m["incidents"] for m in overview["trend"]}
    assert len(trend) == 12 and list(trend)[-1] == "2026-06"
    assert trend["2026-05"] == 0 and trend["2026-04"] == 1 and trend["2025-07"] == 0


def test_projection_status(client: TestClient, populated: dict[str, str]) -> None:
    client.get("/incidents")  # reads catch the views up
    status = {p["name"]: p for p in client.get("/projections").json()["projections"]}
    assert set(status) == {"incidents", "deadlines"}
    for row in status.values():
        assert row["position"] == row["head"] > 0
        assert row["lag_events"] == 0


def test_forged_cursors_and_wildcards_are_handled(client: TestClient, populated: dict[str, str]) -> None:
    import base64
    import json as json_

    for forged in ([123, "x"], [None, "x"], ["not-a-date", "x"]):
        cursor = base64.urlsafe_b64encode(json_.dumps(forged).encode()).decode()
        response = client.get("/incidents", params={"cursor": cursor})
        assert response.status_code == 422, forged
        assert "cursor" in response.json()["detail"]
    assert client.get("/incidents", params={"q": "_"}).json()["total"] == 0
    assert client.get("/incidents", params={"q": "%"}).json()["total"] == 0
    assert client.get("/incidents", params={"category": "falls"}).json()["total"] == 2


@pytest.mark.parametrize(
    "params",
    [
        {"from": "0001-01-01", "to": "0001-12-31"},
        {"from": "9999-01-01", "to": "9999-12-31"},
        {"from": "1990-01-01", "to": "2099-12-31"},
    ],
)
def test_report_ranges_are_bounded(client: TestClient, params: dict[str, str]) -> None:
    for path in ("/reports/board", "/reports/themes"):
        response = client.get(path, params=params)
        assert response.status_code == 422, path
        assert "between" in response.json()["detail"] or "at most" in response.json()["detail"]


def test_open_deadlines_and_several_statuses(client: TestClient, populated: dict[str, str]) -> None:
    open_ = client.get("/deadlines", params={"open": "true"}).json()
    assert open_["total"] > 0 and all(
        d["status"] in ("pending", "approaching", "breached") for d in open_["items"]
    )
    both = client.get("/deadlines", params=[("status", "pending"), ("status", "met")]).json()
    pending = client.get("/deadlines", params={"status": "pending"}).json()["total"]
    met = client.get("/deadlines", params={"status": "met"}).json()["total"]
    assert both["total"] == pending + met


def test_compliance_counts_breaches_that_extensions_moved_on(
    client: TestClient, clock: FixedClock, populated: dict[str, str]
) -> None:
    incident = populated["surgery_sif"]
    client.app.state.system.sweeper.sweep(clock.now())  # type: ignore[attr-defined]
    response = client.post(
        f"/incidents/{incident}/agree-extension",
        json={
            "deadline": "initial_review",
            "new_due": "2026-07-31",
            "reason": "inquest",
            "approved_by": "ICB",
        },
    )
    assert response.status_code == 200, response.text
    rows = client.get("/reports/compliance", params={"kind": "initial_review"}).json()["rows"]
    assert rows == [
        {
            "kind": "initial_review",
            "organisation": "RYV",
            "month": "2026-07",
            "due": 1,
            "met_on_time": 0,
            "met_late": 0,
            "breached": 0,
            "open": 1,
            "waived": 0,
            "breaches_recorded": 1,
            "on_time_pct": None,
        }
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/deadlines?due_week=9999-12-31",
        "/incidents?reported_from=0001-01-01",
        "/reports/compliance?from=2026-13",
        "/dashboard/deadlines?week=9999-12-31",
        "/dashboard/deadlines?week=0001-01-01",
        "/dashboard/board?from=9999-01-01&to=9999-12-31",
        "/incidents/INC-2026-000001/state?as_of=9999-12-31T23:59:59-01:00",
    ],
)
def test_extreme_dates_are_refused_not_crashed(
    client: TestClient, populated: dict[str, str], path: str
) -> None:
    assert client.get(path).status_code == 422


@pytest.mark.parametrize(
    "overrides",
    [
        {"occurred_at": "0001-01-01T00:00:00+01:00"},
        {"location": "Ward\u00007"},
        {"description": "beep\u0007"},
    ],
)
def test_reports_with_impossible_values_are_refused(client: TestClient, overrides: dict[str, str]) -> None:
    before = client.app.state.service.event_count()  # type: ignore[attr-defined]
    body = {
        "organisation": "RYV",
        "commissioner": "QUE",
        "occurred_at": "2026-01-05T08:00:00+00:00",
        "identified_at": "2026-01-05T09:00:00+00:00",
        "location": "Ward",
        "care_setting": "acute",
        "category": "falls",
        "description": "Fall",
        "physical_harm": "none",
        **overrides,
    }
    response = client.post("/incidents", json=body)
    assert response.status_code == 422
    assert next(iter(overrides)) in response.json()["detail"]
    assert client.app.state.service.event_count() == before  # type: ignore[attr-defined]
    assert client.get("/incidents").status_code == 200
