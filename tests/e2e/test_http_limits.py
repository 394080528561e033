"""Limits of the HTTP surface that protect the store."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_an_oversized_body_is_refused_before_parsing(client: TestClient) -> None:
    before = client.app.state.service.event_count()  # type: ignore[attr-defined]
    response = client.post(
        "/incidents",
        content=b"{" + b" " * 1_100_000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "limited to 1048576 bytes" in response.json()["detail"]
    assert client.app.state.service.event_count() == before  # type: ignore[attr-defined]


def test_openapi_lists_every_command(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for name in ("classify", "notify-candour", "agree-extension", "close"):
        assert f"/incidents/{{incident}}/{name}" in paths
    assert "/incidents/{incident}/state" in paths


def test_an_unknown_reference_is_named_in_the_404(client: TestClient) -> None:
    response = client.get("/incidents/INC-2026-999999")
    assert response.status_code == 404
    assert response.json()["detail"] == "no incident INC-2026-999999"


def test_a_streamed_body_without_a_length_is_limited_too(client: TestClient) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b" " * 65_536

    before = client.app.state.service.event_count()  # type: ignore[attr-defined]
    response = client.post("/incidents", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert client.app.state.service.event_count() == before  # type: ignore[attr-defined]


def test_bodies_within_the_limit_still_arrive_whole(client: TestClient) -> None:
    response = client.post("/incidents", content=b"{}", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert "organisation" in response.json()["detail"]
