"""The command line, as an operator uses it: serve, history, policy check."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from typer.testing import CliRunner

from application import commands as c
from application.clock import FixedClock
from application.incidents import IncidentService
from infrastructure.cli import app

runner = CliRunner()
POLICY_DIR = Path(__file__).resolve().parents[2] / "domain" / "policy_data"


def _report(service: IncidentService) -> dict[str, Any]:
    return service.report(
        c.ReportIncident(
            organisation="RYV",
            commissioner="QUE",
            occurred_at="2026-11-20T08:00:00+00:00",
            identified_at="2026-11-20T09:00:00+00:00",
            location="Ward 3",
            care_setting="acute inpatient",
            category="medication",
            description="Insulin given twice",
            physical_harm="moderate",
        ),
        actor="alice",
    )


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    monkeypatch.setenv("INCIDENTFLOW_DATABASE_URL", database_url)
    return database_url


def test_history_prints_every_event_in_order(
    cli_env: str, service: IncidentService, clock: FixedClock
) -> None:
    created = _report(service)
    clock.advance(hours=2)
    service.classify(
        UUID(created["id"]),
        c.Classify(physical_harm="moderate", psychological_harm="none", rationale="graded"),
        actor="bob",
    )
    result = runner.invoke(app, ["history", created["reference"]])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("v1") and "Reported" in lines[0] and "by alice" in lines[0]
    assert any(line.startswith("v2") and "Classified" in line and "by bob" in line for line in lines)
    assert "clock candour_notification: set 2026-12-09" in result.output

    as_json = runner.invoke(app, ["history", created["id"], "--json"])
    assert as_json.exit_code == 0
    events = json.loads(as_json.output)["events"]
    assert [e["type"] for e in events] == ["Reported", "Classified"]

    before_classify = (clock.now() - timedelta(hours=1)).isoformat()
    earlier = runner.invoke(app, ["history", created["id"], "--json", "--as-of", before_classify])
    assert [e["type"] for e in json.loads(earlier.output)["events"]] == ["Reported"]


def test_history_of_an_unknown_incident_fails_clearly(cli_env: str) -> None:
    result = runner.invoke(app, ["history", "INC-2026-999999"])
    assert result.exit_code == 1
    assert "no incident" in result.output


def test_history_refuses_an_instant_without_offset(cli_env: str) -> None:
    result = runner.invoke(app, ["history", "INC-2026-000001", "--as-of", "2026-11-25T10:00:00"])
    assert result.exit_code == 2
    assert "UTC offset" in result.output


def test_policy_check_accepts_the_shipped_policy() -> None:
    result = runner.invoke(app, ["policy", "check", str(POLICY_DIR)])
    assert result.exit_code == 0, result.output
    assert "17 Never Event types" in result.output
    single = runner.invoke(app, ["policy", "check", str(POLICY_DIR / "national_priorities.toml")])
    assert single.exit_code == 0
    assert "11 national priorities" in single.output


def test_policy_check_names_the_file_and_field_of_a_mistake(tmp_path: Path) -> None:
    broken = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, broken)
    text = (broken / "profiles.toml").read_text()
    (broken / "profiles.toml").write_text(text.replace("working_days = 60", "working_days = -60", 1))
    result = runner.invoke(app, ["policy", "check", str(broken)])
    assert result.exit_code == 1
    assert "profiles.toml" in result.output
    assert "clocks.3.working_days" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def test_serve_answers_http_on_the_configured_store(database_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "INCIDENTFLOW_DATABASE_URL": database_url}
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "infrastructure.cli", "serve", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = _get(f"http://127.0.0.1:{port}/health")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"server did not start: {log_path.read_text()}") from None
                time.sleep(0.2)
        assert health["status"] == "ok"
        body = json.dumps(
            {
                "organisation": "RYV",
                "commissioner": "QUE",
                "occurred_at": "2026-01-05T08:00:00+00:00",
                "identified_at": "2026-01-05T09:00:00+00:00",
                "reported_at": "2026-01-05T10:00:00+00:00",
                "location": "Ward 1",
                "care_setting": "community",
                "category": "falls",
                "description": "Fall",
                "physical_harm": "low",
            }
        ).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/incidents",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "X-Actor": "carol"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 201
            created = json.loads(response.read())
        assert created["reference"] == "INC-2026-000001"
        state = _get(f"http://127.0.0.1:{port}/incidents/{created['id']}")
        assert state["status"] == "reported"
        assert "/incidents/{incident}/classify" in _get(f"http://127.0.0.1:{port}/openapi.json")["paths"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serve_refuses_to_start_on_a_bad_policy_file(
    monkeypatch: pytest.MonkeyPatch, cli_env: str, tmp_path: Path
) -> None:
    broken = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, broken)
    text = (broken / "national_priorities.toml").read_text()
    (broken / "national_priorities.toml").write_text(
        text.replace('required_response = "psii"', 'required_response = "inquiry"', 1)
    )
    monkeypatch.setenv("INCIDENTFLOW_POLICY_DIR", str(broken))
    result = runner.invoke(app, ["serve", "--port", str(_free_port())])
    assert result.exit_code == 2
    assert "national_priorities.toml" in result.output
    assert "required_response" in result.output


def test_tick_at_an_instant_prints_a_summary_and_is_idempotent(
    cli_env: str, service: IncidentService, clock: FixedClock
) -> None:
    clock.set(datetime.fromisoformat("2026-06-01T10:00:00+01:00"))
    service.report(
        c.ReportIncident(
            organisation="RYV",
            commissioner="QUE",
            profile="sif-2015",
            occurred_at="2026-06-01T08:00:00+01:00",
            identified_at="2026-06-01T09:00:00+01:00",
            location="Ward 3",
            care_setting="acute",
            category="falls",
            description="Fall from bed",
            physical_harm="low",
        ),
        actor="alice",
    )
    first = runner.invoke(app, ["tick", "--at", "2026-06-05T00:00:00+01:00"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output)
    assert summary["breached"] == 2 and summary["today"] == "2026-06-05"
    second = runner.invoke(app, ["tick", "--at", "2026-06-05T00:00:00+01:00"])
    assert json.loads(second.output)["breached"] == 0
    history = runner.invoke(app, ["history", "INC-2026-000001", "--json"])
    types = [e["type"] for e in json.loads(history.output)["events"]]
    assert types.count("DeadlineBreached") == 2


def test_tick_refuses_an_instant_in_the_future(cli_env: str) -> None:
    result = runner.invoke(app, ["tick", "--at", "2999-01-01T00:00:00+00:00"])
    assert result.exit_code == 2
    assert "in the future" in result.output


def test_a_bad_database_url_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INCIDENTFLOW_DATABASE_URL", "mysql://root@127.0.0.1/test")
    result = runner.invoke(app, ["tick"])
    assert result.exit_code == 2
    assert "supported: sqlite, postgresql" in result.output
    assert "Traceback" not in result.output


def test_printed_database_urls_hide_the_password() -> None:
    from infrastructure.cli import _safe_url

    shown = _safe_url("postgresql+psycopg://incidentflow:s3cret@db.internal:5432/incidents")
    assert "s3cret" not in shown and "***" in shown


def test_a_bad_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, cli_env: str) -> None:
    for value in ("4-1", "02-30", "13-01"):
        monkeypatch.setenv("INCIDENTFLOW_REPORTING_YEAR_START", value)
        result = runner.invoke(app, ["report", "board", "--from", "2025-04-01", "--to", "2026-03-31"])
        assert result.exit_code == 2, value
        assert "INCIDENTFLOW_REPORTING_YEAR_START" in result.output
        assert "Traceback" not in result.output
