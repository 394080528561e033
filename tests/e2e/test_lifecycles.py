"""Whole lifecycles over HTTP: SIF 2015 from report to closure, PSIRF with a local priority
and with none; closure refusals; history, time travel and lookup by reference."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from application.clock import FixedClock


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def classification(**overrides: Any) -> dict[str, Any]:
    return {
        "physical_harm": "none",
        "psychological_harm": "none",
        "rationale": "Graded by the patient-safety team.",
        **overrides,
    }


def _run_sif_lifecycle(api: Any, clock: FixedClock) -> tuple[str, list[tuple[str, str, str]]]:
    """Drive a Serious Incident from report to closure; returns the id and, per command,
    (command, status afterwards, recorded instant)."""
    steps: list[tuple[str, str, str]] = []

    def step(when: str, name: str, body: dict[str, Any], actor: str) -> None:
        clock.set(at(when))
        api.command(iid, name, body, actor=actor)
        steps.append((name, api.get(iid)["status"], when))

    clock.set(at("2026-11-23T12:00:00+00:00"))  # Monday
    created = api.report(
        actor="ward.sister",
        profile="sif-2015",
        occurred_at="2026-11-22T22:00:00+00:00",
        identified_at="2026-11-23T08:00:00+00:00",
        category="pressure ulcer",
        description="Category 4 pressure ulcer found on admission to the ward from ITU.",
        physical_harm="severe",
        patient={"nhs_number": "943 476 5919", "name": "Test Patient", "date_of_birth": "1941-03-02"},
    )
    iid = created["id"]
    steps.append(("report", api.get(iid)["status"], "2026-11-23T12:00:00+00:00"))
    step(
        "2026-11-24T09:00:00+00:00",
        "classify",
        classification(physical_harm="severe", serious_incident=True, rationale="Severe harm: SI."),
        "patient.safety.manager",
    )
    step(
        "2026-11-24T10:00:00+00:00",
        "report-to-commissioner",
        {"reference": "2026/23456", "reported_on": "2026-11-24"},
        "patient.safety.manager",
    )
    step(
        "2026-11-26T15:00:00+00:00",
        "submit-initial-review",
        {"submitted_on": "2026-11-26", "summary": "Immediate actions taken; level 2 investigation."},
        "patient.safety.manager",
    )
    step(
        "2026-11-27T11:00:00+00:00",
        "notify-candour",
        {
            "relevant_person": "patient",
            "notified_on": "2026-11-27",
            "in_person": True,
            "apology_given": True,
            "account_given": True,
        },
        "consultant",
    )
    step(
        "2026-12-01T09:00:00+00:00",
        "send-candour-letter",
        {"sent_on": "2026-12-01", "summary": "Written follow-up with apology."},
        "consultant",
    )
    step(
        "2026-12-01T10:00:00+00:00",
        "start-investigation",
        {"response_type": "level2", "lead": "Tissue viability lead", "started_on": "2026-12-01"},
        "patient.safety.manager",
    )
    step(
        "2027-02-10T10:00:00+00:00",
        "submit-investigation-report",
        {
            "submitted_on": "2027-02-10",
            "findings": "Repositioning not recorded for 14 hours on ITU.",
            "contributing_factors": ["staffing", "no pressure-area chart on transfer"],
            "root_causes": ["transfer checklist omits skin assessment"],
        },
        "investigator",
    )
    for action_id, description in (("A1", "Add skin check to transfer list"), ("A2", "Audit charts")):
        step(
            "2027-02-11T10:00:00+00:00",
            "agree-action",
            {"action_id": action_id, "description": description, "owner": "Matron, ITU", "due": "2027-04-30"},
            "patient.safety.manager",
        )
    step(
        "2027-03-01T10:00:00+00:00",
        "complete-action",
        {"action_id": "A1", "completed_on": "2027-03-01", "evidence": "Checklist v3 issued."},
        "matron",
    )
    step(
        "2027-03-01T11:00:00+00:00",
        "complete-action",
        {"action_id": "A2", "completed_on": "2027-03-01", "evidence": "Audit report."},
        "matron",
    )
    step(
        "2027-03-04T10:00:00+00:00",
        "review-action",
        {"action_id": "A1", "effective": True, "notes": "No transfers without skin check in February."},
        "matron",
    )
    step("2027-03-05T10:00:00+00:00", "close", {"closed_on": "2027-03-05"}, "icb.quality.lead")
    return iid, steps


def test_sif_2015_serious_incident_full_lifecycle(api: Any, clock: FixedClock) -> None:
    iid, steps = _run_sif_lifecycle(api, clock)
    assert [(name, status) for name, status, _ in steps] == [
        ("report", "reported"),
        ("classify", "classified"),
        ("report-to-commissioner", "classified"),
        ("submit-initial-review", "classified"),
        ("notify-candour", "classified"),
        ("send-candour-letter", "classified"),
        ("start-investigation", "under_investigation"),
        ("submit-investigation-report", "investigated"),
        ("agree-action", "actions_in_progress"),
        ("agree-action", "actions_in_progress"),
        ("complete-action", "actions_in_progress"),
        ("complete-action", "investigated"),
        ("review-action", "investigated"),
        ("close", "closed"),
    ]
    state = api.get(iid)
    assert state["version"] == 14
    assert state["patient"]["nhs_number"] == "9434765919"
    assert state["commissioner_report"] == {"reference": "2026/23456", "reported_on": "2026-11-24"}
    assert state["initial_review_on"] == "2026-11-26"
    assert state["investigation"]["response_type"] == "level2"
    assert state["investigation"]["submitted_on"] == "2027-02-10"
    actions = {a["action_id"]: a for a in state["actions"]}
    assert actions["A1"]["reviews"][0]["effective"] is True
    assert actions["A1"]["reviews"][0]["actor"] == "matron"
    assert actions["A2"]["reviews"] == []
    assert {d["kind"]: (d["due"], d["status"], d["met_on"]) for d in state["deadlines"]} == {
        "commissioner_report": ("2026-11-25", "met", "2026-11-24"),  # identified Mon 23 + 2 WD
        "initial_review": ("2026-11-26", "met", "2026-11-26"),  # + 3 WD: met on the due day
        "candour_notification": ("2026-12-07", "met", "2026-11-27"),  # reported 23 Nov + 10 WD
        # 60 WD from reported_on 24 Nov 2026, across Christmas, the substitute day 28 Dec
        # and New Year's Day
        "investigation_report": ("2027-02-19", "met", "2027-02-10"),
        "closure_review": ("2027-03-10", "met", "2027-03-05"),  # submitted 10 Feb + 20 WD
        "action:A1": ("2027-04-30", "met", "2027-03-01"),
        "action:A2": ("2027-04-30", "met", "2027-03-01"),
    }
    assert state["closed_on"] == "2027-03-05"

    history = api.history(iid)
    assert [e["version"] for e in history] == list(range(1, 15))
    assert [e["type"] for e in history] == [
        "Reported",
        "Classified",
        "ReportedToCommissioner",
        "InitialReviewSubmitted",
        "CandourNotified",
        "CandourLetterSent",
        "InvestigationStarted",
        "Investigated",
        "SafetyActionAgreed",
        "SafetyActionAgreed",
        "SafetyActionCompleted",
        "SafetyActionCompleted",
        "SafetyActionReviewed",
        "ActionsClosed",
    ]
    assert history[0]["actor"] == "ward.sister"
    assert [e["actor"] for e in history[1:]] == [
        "patient.safety.manager",
        "patient.safety.manager",
        "patient.safety.manager",
        "consultant",
        "consultant",
        "patient.safety.manager",
        "investigator",
        "patient.safety.manager",
        "patient.safety.manager",
        "matron",
        "matron",
        "matron",
        "icb.quality.lead",
    ]
    assert [at(e["recorded_at"]) for e in history] == [at(when) for _, _, when in steps]

    def clocks(version: int) -> list[tuple[Any, ...]]:
        return [
            (c["kind"], c["change"], c["due"] if c["change"] == "set" else c["on"])
            for c in history[version - 1]["data"]["clocks"]
        ]

    assert clocks(1) == [
        ("commissioner_report", "set", "2026-11-25"),
        ("initial_review", "set", "2026-11-26"),
        ("candour_notification", "set", "2026-12-07"),
    ]
    assert clocks(2) == []
    assert clocks(3) == [("commissioner_report", "met", "2026-11-24")]
    assert clocks(4) == [("initial_review", "met", "2026-11-26")]
    assert clocks(5) == [("candour_notification", "met", "2026-11-27")]
    assert clocks(7) == [("investigation_report", "set", "2027-02-19")]
    assert clocks(8) == [
        ("investigation_report", "met", "2027-02-10"),
        ("closure_review", "set", "2027-03-10"),
    ]
    assert clocks(9) == [("action:A1", "set", "2027-04-30")]
    assert clocks(11) == [("action:A1", "met", "2027-03-01")]
    assert clocks(14) == [("closure_review", "met", "2027-03-05")]
    assert history[5]["data"]["sent_on"] == "2026-12-01"
    assert history[7]["data"]["root_causes"] == ["transfer checklist omits skin assessment"]


def test_sif_2015_state_at_each_version_and_as_of_an_instant(api: Any, clock: FixedClock) -> None:
    iid, steps = _run_sif_lifecycle(api, clock)
    for version, (_, status, _) in enumerate(steps, start=1):
        response = api.client.get(f"/incidents/{iid}/state", params={"version": version})
        assert response.status_code == 200, response.text
        assert (response.json()["version"], response.json()["status"]) == (version, status)

    # As known on 25 November 2026: classified and reported to the commissioner, nothing more.
    then = api.client.get(f"/incidents/{iid}/state", params={"as_of": "2026-11-25T00:00:00+00:00"})
    assert then.status_code == 200, then.text
    state = then.json()
    assert (state["version"], state["status"]) == (3, "classified")
    deadlines = {d["kind"]: d["status"] for d in state["deadlines"]}
    assert deadlines == {
        "commissioner_report": "met",
        "initial_review": "pending",
        "candour_notification": "pending",
    }
    assert state["candour"]["notified_on"] is None
    # Exactly at a recorded instant, that event is included.
    exact = api.client.get(f"/incidents/{iid}/state", params={"as_of": "2026-12-01T10:00:00+00:00"})
    assert (exact.json()["version"], exact.json()["status"]) == (7, "under_investigation")
    # An offset other than UTC means the same instant: 09:59:59 UTC is before version 7.
    offset = api.client.get(f"/incidents/{iid}/state", params={"as_of": "2026-12-01T11:59:59+02:00"})
    assert offset.json()["version"] == 6
    # History as_of: only what was recorded by then.
    partial = api.client.get(f"/incidents/{iid}/history", params={"as_of": "2026-11-26T15:00:00+00:00"})
    assert [e["version"] for e in partial.json()["events"]] == [1, 2, 3, 4]

    before = api.client.get(f"/incidents/{iid}/state", params={"as_of": "2026-11-23T11:59:59+00:00"})
    assert before.status_code == 404
    assert before.headers["content-type"].startswith("application/problem+json")
    assert "not yet recorded" in before.json()["detail"]
    current = api.get(iid)
    assert current["status"] == "closed"


def test_sif_2015_not_serious_classification_waives_si_clocks(api: Any, clock: FixedClock) -> None:
    iid = api.report(profile="sif-2015", physical_harm="low")["id"]
    assert {k: d["status"] for k, d in api.deadlines(iid).items()} == {
        "commissioner_report": "pending",
        "initial_review": "pending",
    }
    api.command(iid, "classify", classification(physical_harm="low", serious_incident=False))
    deadlines = api.deadlines(iid)
    assert {k: d["status"] for k, d in deadlines.items()} == {
        "commissioner_report": "waived",
        "initial_review": "waived",
    }
    assert "not a Serious Incident" in deadlines["commissioner_report"]["reason"]
    changes = api.history(iid)[-1]["data"]["clocks"]
    assert sorted((c["kind"], c["change"]) for c in changes) == [
        ("commissioner_report", "waived"),
        ("initial_review", "waived"),
    ]
    state = api.get(iid)
    assert state["classification"]["required_response"] is None
    assert state["missing_for_closure"] == []
    api.command(iid, "close", {"closed_on": "2026-11-25"})
    assert api.get(iid)["status"] == "closed"


def test_psirf_local_priority_lets_experts_choose_the_response(api: Any, clock: FixedClock) -> None:
    # The example response plan runs 1 December 2024 to 30 April 2026.
    clock.set(at("2026-02-12T10:00:00+00:00"))
    iid = api.report(
        category="medication",
        occurred_at="2026-02-10T09:00:00+00:00",
        identified_at="2026-02-10T12:00:00+00:00",
        description="Insulin dose adjusted by a nurse without a prescriber's advice.",
        physical_harm="low",
    )["id"]
    assert api.get(iid)["deadlines"] == []  # low harm: no candour clock
    api.command(
        iid,
        "classify",
        classification(physical_harm="low", local_priority="insulin_errors"),
        actor="psirf.lead",
    )
    required = api.get(iid)["classification"]["required_response"]
    assert required["allowed"] == ["psii", "aar", "mir", "swarm_huddle", "local_review"]
    assert required["required"] is False
    assert required["refer_to"] is None
    assert "insulin_errors" in required["reason"]
    assert api.get(iid)["missing_for_closure"] == []

    api.refused(
        lambda: api.command_raw(
            iid, "start-investigation", {"response_type": "thematic", "lead": "x", "started_on": "2026-02-12"}
        ),
        422,
        "'thematic' is not one of them",
    )
    clock.set(at("2026-02-13T10:00:00+00:00"))
    api.command(
        iid,
        "start-investigation",
        {"response_type": "aar", "lead": "Diabetes specialist nurse", "started_on": "2026-02-13"},
    )
    state = api.get(iid)
    assert state["status"] == "under_investigation"
    assert state["deadlines"] == []  # the example plan sets no AAR timescale
    refusal = api.refused(lambda: api.command_raw(iid, "close", {"closed_on": "2026-02-13"}), 409)
    assert refusal["missing"] == ["the aar investigation report has not been submitted"]

    clock.set(at("2026-02-20T10:00:00+00:00"))
    api.command(
        iid,
        "submit-investigation-report",
        {"submitted_on": "2026-02-20", "findings": "Sliding-scale guidance unclear on the community app."},
    )
    api.command(iid, "close", {"closed_on": "2026-02-20"})
    state = api.get(iid)
    assert state["status"] == "closed"
    assert api.event_types(iid) == [
        "Reported",
        "Classified",
        "InvestigationStarted",
        "Investigated",
        "ActionsClosed",
    ]


def test_psirf_local_priority_outside_the_plan_period_is_refused(api: Any, clock: FixedClock) -> None:
    iid = api.report(physical_harm="low")["id"]  # occurred 24 November 2026, after the plan ended
    api.refused(
        lambda: api.command_raw(iid, "classify", classification(local_priority="insulin_errors")),
        422,
        "insulin_errors",
        "2026-11-24",
    )
    assert api.get(iid)["status"] == "reported"


def test_psirf_no_priority_needs_no_response_and_closes_without_investigation(
    api: Any, clock: FixedClock
) -> None:
    iid = api.report(category="falls", description="Unwitnessed fall, no injury.", physical_harm="low")["id"]
    api.command(iid, "classify", classification(physical_harm="low"))
    state = api.get(iid)
    assert state["classification"]["required_response"] is None
    assert state["candour"]["applies"] is False
    assert state["missing_for_closure"] == []
    api.command(iid, "close", {"closed_on": "2026-11-25"})
    state = api.get(iid)
    assert (state["status"], state["closed_on"], state["investigation"]) == ("closed", "2026-11-25", None)
    api.refused(lambda: api.command_raw(iid, "close", {"closed_on": "2026-11-25"}), 409, "closed")


def test_close_refused_lists_what_is_missing_then_succeeds_once_done(api: Any, clock: FixedClock) -> None:
    iid = api.report(physical_harm="moderate")["id"]
    refusal = api.refused(lambda: api.command_raw(iid, "close", {"closed_on": "2026-11-25"}), 409)
    assert refusal["missing"] == ["the incident has not been classified"]
    api.command(iid, "classify", classification(physical_harm="moderate", never_event="wrong_route"))
    api.command(
        iid,
        "agree-action",
        {"action_id": "A-1", "description": "Oral syringes", "owner": "Pharmacy", "due": "2026-12-31"},
    )
    refusal = api.refused(
        lambda: api.command_raw(iid, "close", {"closed_on": "2026-11-25"}), 409, "cannot be closed"
    )
    missing = refusal["missing"]
    assert len(missing) == 3
    assert "learning response is required" in missing[0] and "psii" in missing[0]
    assert missing[1] == "Duty of Candour: notify the relevant person, or record an exception"
    assert missing[2] == "safety actions not completed: A-1"
    assert api.get(iid)["missing_for_closure"] == missing

    api.command(
        iid,
        "notify-candour",
        {
            "relevant_person": "patient",
            "notified_on": "2026-11-25",
            "in_person": True,
            "apology_given": True,
            "account_given": True,
        },
    )
    api.command(
        iid, "start-investigation", {"response_type": "psii", "lead": "Dr B", "started_on": "2026-11-25"}
    )
    refusal = api.refused(lambda: api.command_raw(iid, "close", {"closed_on": "2026-11-25"}), 409)
    assert refusal["missing"] == [
        "the psii investigation report has not been submitted",
        "Duty of Candour: send the written follow-up letter",
        "safety actions not completed: A-1",
    ]
    clock.advance(days=7)
    api.command(iid, "send-candour-letter", {"sent_on": "2026-12-02", "summary": "Letter."})
    api.command(iid, "submit-investigation-report", {"submitted_on": "2026-12-02", "findings": "Findings."})
    api.command(
        iid, "complete-action", {"action_id": "A-1", "completed_on": "2026-12-02", "evidence": "Done."}
    )
    assert api.get(iid)["missing_for_closure"] == []
    api.command(iid, "close", {"closed_on": "2026-12-02"})
    assert api.get(iid)["status"] == "closed"


def test_history_records_actor_default_and_recorded_time(api: Any, clock: FixedClock) -> None:
    iid = api.report(physical_harm="moderate")["id"]  # no X-Actor header
    clock.advance(hours=3)
    api.command(
        iid, "classify", classification(physical_harm="moderate"), actor="Dr Jane Smith (GMC 7654321)"
    )
    history = api.history(iid)
    assert [(e["version"], e["actor"]) for e in history] == [
        (1, "anonymous"),
        (2, "Dr Jane Smith (GMC 7654321)"),
    ]
    assert at(history[0]["recorded_at"]) == at("2026-11-25T10:00:00+00:00")
    assert at(history[1]["recorded_at"]) == at("2026-11-25T13:00:00+00:00")
    reported = history[0]["data"]
    assert reported["reference"] == "INC-2026-000001"
    assert reported["physical_harm"] == "moderate"
    assert at(reported["identified_at"]) == at("2026-11-24T15:00:00+00:00")
    assert [(c["kind"], c["change"], c["due"]) for c in reported["clocks"]] == [
        ("candour_notification", "set", "2026-12-09")
    ]
    classified = history[1]["data"]["classification"]
    assert classified["candour_applies"] is True


def test_reclassification_is_recorded_and_moves_the_candour_clock(api: Any, clock: FixedClock) -> None:
    iid = api.report(physical_harm="low")["id"]
    assert api.get(iid)["deadlines"] == []
    api.command(
        iid, "classify", classification(physical_harm="moderate", rationale="Fracture found on X-ray.")
    )
    assert {k: (d["due"], d["status"]) for k, d in api.deadlines(iid).items()} == {
        "candour_notification": ("2026-12-09", "pending")
    }
    assert api.get(iid)["candour"]["applies"] is True  # now a notifiable safety incident
    api.command(iid, "classify", classification(physical_harm="low", rationale="X-ray re-read: no fracture."))
    candour = api.deadlines(iid)["candour_notification"]
    assert candour["status"] == "waived"
    assert "no longer applies" in candour["reason"]
    state = api.get(iid)
    assert (state["candour"]["applies"], state["harm"]["physical"]) == (False, "low")
    assert api.event_types(iid) == ["Reported", "Classified", "Classified"]
    classified = [e["data"]["classification"]["physical_harm"] for e in api.history(iid)[1:]]
    assert classified == ["moderate", "low"]


def test_lookup_by_reference_for_reads_and_commands(api: Any, clock: FixedClock) -> None:
    first = api.report()
    second = api.report()
    assert (first["reference"], second["reference"]) == ("INC-2026-000001", "INC-2026-000002")
    assert first["id"] != second["id"]
    by_reference = api.get("INC-2026-000002")
    assert by_reference["id"] == second["id"]
    assert api.get("inc-2026-000001")["id"] == first["id"]
    api.command("INC-2026-000002", "classify", classification(physical_harm="low"))
    assert api.get(second["id"])["status"] == "classified"
    assert api.get(first["id"])["status"] == "reported"
    assert len(api.client.get("/incidents/INC-2026-000002/history").json()["events"]) == 2
    state = api.client.get("/incidents/INC-2026-000002/state", params={"version": 1})
    assert state.json()["status"] == "reported"
    missing = api.client.get("/incidents/INC-2026-000003")
    assert missing.status_code == 404


def test_expected_version_guards_concurrent_writers(api: Any, clock: FixedClock) -> None:
    iid = api.report(physical_harm="low")["id"]
    first = api.command(iid, "classify", {**classification(physical_harm="low"), "expected_version": 1})
    assert first["version"] == 2
    body = api.refused(
        lambda: api.command_raw(
            iid, "classify", {**classification(physical_harm="moderate"), "expected_version": 1}
        ),
        409,
        "version 2",
        "expected version 1",
    )
    assert body["title"] == "Conflict"
    assert api.get(iid)["harm"]["physical"] == "low"
    api.command(iid, "classify", {**classification(physical_harm="moderate"), "expected_version": 2})
    assert api.get(iid)["version"] == 3


def test_clocks_count_from_the_europe_london_business_date(api: Any, clock: FixedClock) -> None:
    # 23:10 UTC on Thursday 4 June 2026 is 00:10 BST on Friday 5 June in London.
    clock.set(at("2026-06-04T23:30:00+00:00"))
    iid = api.report(
        profile="sif-2015",
        occurred_at="2026-06-04T22:50:00+00:00",
        identified_at="2026-06-04T23:10:00+00:00",
        physical_harm="moderate",
    )["id"]
    assert {k: d["due"] for k, d in api.deadlines(iid).items()} == {
        "commissioner_report": "2026-06-09",  # Fri 5 June + 2 WD (from Thu 4 it would be Mon 8)
        "initial_review": "2026-06-10",
        "candour_notification": "2026-06-19",
    }
    api.command(iid, "classify", classification(physical_harm="moderate", serious_incident=True))
    # "Today" is Friday 5 June in London although it is still 4 June in UTC.
    api.command(
        iid,
        "notify-candour",
        {
            "relevant_person": "patient",
            "notified_on": "2026-06-05",
            "in_person": True,
            "apology_given": True,
            "account_given": True,
        },
    )
    assert api.deadlines(iid)["candour_notification"]["met_on"] == "2026-06-05"


def test_concurrent_writers_with_the_same_expected_version_exactly_one_wins(
    api: Any, clock: FixedClock
) -> None:
    iid = api.report(physical_harm="low")["id"]
    writers = 6
    barrier = threading.Barrier(writers)

    def write(n: int) -> Any:
        barrier.wait()
        body = {**classification(physical_harm="low", rationale=f"writer {n}"), "expected_version": 1}
        return api.command_raw(iid, "classify", body, actor=f"writer-{n}")

    before = api.event_count()
    with ThreadPoolExecutor(writers) as pool:
        responses = list(pool.map(write, range(writers)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (writers - 1)
    for response in responses:
        if response.status_code == 409:
            assert response.headers["content-type"].startswith("application/problem+json")
            assert "reload" in response.json()["detail"]
    assert api.event_count() == before + 1
    history = api.history(iid)
    assert [e["type"] for e in history] == ["Reported", "Classified"]
    winner = next(i for i, r in enumerate(responses) if r.status_code == 200)
    assert history[1]["actor"] == f"writer-{winner}"


def test_concurrent_reports_get_unique_references(api: Any, clock: FixedClock) -> None:
    writers = 6
    barrier = threading.Barrier(writers)

    def report(_: int) -> Any:
        barrier.wait()
        return api.report()

    with ThreadPoolExecutor(writers) as pool:
        created = list(pool.map(report, range(writers)))
    assert sorted(c["reference"] for c in created) == [f"INC-2026-{n:06d}" for n in range(1, writers + 1)]
    assert len({c["id"] for c in created}) == writers
