"""Helpers for the end-to-end HTTP scenarios.

Test modules run with ``--import-mode=importlib`` and cannot import each other, so the
helpers are exposed as fixtures: ``api`` (an :class:`Api` bound to the test's client) and
the shortcuts ``report``, ``command`` and ``problem``; ``api.refused(...)`` checks a
refusal is a problem+json naming what is wrong and that it recorded nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

PROBLEM_JSON = "application/problem+json"

# A valid report, on the default clock (Wednesday 25 November 2026 10:00 UTC): identified
# the day before, reported "now" unless a test passes ``reported_at``.
BASE_REPORT: dict[str, Any] = {
    "organisation": "RX1",
    "commissioner": "QT1",
    "occurred_at": "2026-11-24T14:30:00+00:00",
    "identified_at": "2026-11-24T15:00:00+00:00",
    "location": "Ward 12, Queen's Medical Centre",
    "care_setting": "acute inpatient",
    "category": "medication",
    "description": "Synthetic incident for end-to-end tests.",
    "immediate_actions": "Patient reviewed by the registrar; incident reported.",
    "physical_harm": "none",
    "psychological_harm": "none",
}

Response = Any  # what the test client returns (an httpx2 response)


def headers_for(actor: str | None) -> dict[str, str]:
    return {} if actor is None else {"X-Actor": actor}


def assert_problem(response: Response, status: int, *fragments: str) -> dict[str, Any]:
    """``response`` is an RFC 9457 problem with ``status`` whose detail names each fragment."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers["content-type"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    detail = body["detail"]
    assert isinstance(detail, str)
    assert len(detail) > 10, f"detail too terse for a person to act on: {detail!r}"
    for fragment in fragments:
        assert fragment in detail, f"{fragment!r} not in detail {detail!r}"
    return body


class Api:
    """The HTTP API as a client uses it, with the status each call is expected to return."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    @property
    def service(self) -> Any:
        return self.client.app.state.service  # type: ignore[attr-defined]

    def event_count(self) -> int:
        count: int = self.service.event_count()
        return count

    def report_raw(self, body: dict[str, Any], actor: str | None = None) -> Response:
        return self.client.post("/incidents", json=body, headers=headers_for(actor))

    def report(self, expect: int = 201, actor: str | None = None, **overrides: Any) -> dict[str, Any]:
        """POST /incidents with BASE_REPORT updated by ``overrides`` (a value of ``...``
        removes the field). Returns the JSON body after checking the status."""
        body = {**BASE_REPORT, **overrides}
        body = {k: v for k, v in body.items() if v is not ...}
        response = self.report_raw(body, actor)
        assert response.status_code == expect, response.text
        result: dict[str, Any] = response.json()
        return result

    def command_raw(
        self, incident: str, name: str, body: dict[str, Any], actor: str | None = None
    ) -> Response:
        return self.client.post(f"/incidents/{incident}/{name}", json=body, headers=headers_for(actor))

    def command(
        self,
        incident: str,
        name: str,
        body: dict[str, Any],
        expect: int = 200,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """POST /incidents/{incident}/{name}; checks the status and returns the JSON body."""
        response = self.command_raw(incident, name, body, actor)
        assert response.status_code == expect, response.text
        result: dict[str, Any] = response.json()
        return result

    def get(self, incident: str) -> dict[str, Any]:
        response = self.client.get(f"/incidents/{incident}")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def deadlines(self, incident: str) -> dict[str, dict[str, Any]]:
        """The incident's deadlines by kind."""
        return {d["kind"]: d for d in self.get(incident)["deadlines"]}

    def history(self, incident: str) -> list[dict[str, Any]]:
        response = self.client.get(f"/incidents/{incident}/history")
        assert response.status_code == 200, response.text
        events: list[dict[str, Any]] = response.json()["events"]
        return events

    def event_types(self, incident: str) -> list[str]:
        return [e["type"] for e in self.history(incident)]

    def refused(
        self,
        response_or_call: Response | Callable[[], Response],
        status: int,
        *fragments: str,
    ) -> dict[str, Any]:
        """Make the call (if callable), check it is a problem with ``status`` naming the
        fragments, and that it recorded nothing."""
        before = self.event_count()
        response = response_or_call() if callable(response_or_call) else response_or_call
        body = assert_problem(response, status, *fragments)
        assert self.event_count() == before, "a refused request recorded events"
        return body


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


@pytest.fixture
def base_report() -> dict[str, Any]:
    """A fresh copy of the valid base report body."""
    return dict(BASE_REPORT)


@pytest.fixture
def report(api: Api) -> Callable[..., dict[str, Any]]:
    """``report(expect=201, actor=None, **overrides)`` → the POST /incidents response body."""
    return api.report


@pytest.fixture
def command(api: Api) -> Callable[..., dict[str, Any]]:
    """``command(id, name, body, expect=200, actor=None)`` → the command response body."""
    return api.command


@pytest.fixture
def problem() -> Callable[..., dict[str, Any]]:
    """``problem(response, status, *fragments)`` checks an application/problem+json refusal."""
    return assert_problem
