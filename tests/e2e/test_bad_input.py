"""Refusals over HTTP: each is application/problem+json with a detail a person can act on,
and records nothing (the event log head does not move)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from application.clock import FixedClock
from application.commands import COMMANDS

MISSING = ...  # an override value that removes the field from the base report
CLASSIFY = {"physical_harm": "moderate", "psychological_harm": "none", "rationale": "Graded."}


@pytest.fixture
def incident(api: Any) -> str:
    """A reported, classified PSIRF incident (moderate harm: candour applies)."""
    iid: str = api.report(physical_harm="moderate")["id"]
    api.command(iid, "classify", CLASSIFY)
    return iid


# ------------------------------------------------------------------ POST /incidents


@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        pytest.param(
            {"organisation": MISSING, "description": MISSING, "physical_harm": MISSING},
            ["organisation: Field required", "description: Field required", "physical_harm: Field required"],
            id="missing-fields",
        ),
        pytest.param(
            {"physical_harm": "catastrophic"},
            ["physical_harm", "'none', 'low', 'moderate', 'severe' or 'fatal'"],
            id="wrong-harm-enum",
        ),
        pytest.param(
            {"psychological_harm": "fatal"},
            ["psychological_harm", "'none', 'low', 'moderate' or 'severe'"],
            id="psychological-harm-has-no-fatal",
        ),
        pytest.param({"profile": "sif"}, ["profile", "'psirf-2022' or 'sif-2015'"], id="wrong-profile"),
        pytest.param(
            {"patient": {"nhs_number": "943 476 5918"}},
            ["patient.nhs_number", "modulus 11 check digit"],
            id="nhs-number-wrong-check-digit",
        ),
        pytest.param(
            {"patient": {"nhs_number": "943476591"}},
            ["patient.nhs_number", "exactly 10 digits"],
            id="nhs-number-too-short",
        ),
        pytest.param(
            {"patient": {"nhs_number": "94347659190"}},
            ["patient.nhs_number", "exactly 10 digits"],
            id="nhs-number-too-long",
        ),
        pytest.param(
            {"patient": {"nhs_number": "94347A5919"}},
            ["patient.nhs_number", "10 digits"],
            id="nhs-number-not-digits",
        ),
        pytest.param(
            # check digit would be 10: no valid NHS number has these first nine digits
            {"patient": {"nhs_number": "1000000010"}},
            ["patient.nhs_number", "check digit"],
            id="nhs-number-check-digit-ten",
        ),
        pytest.param(
            {"patient": {"name": "Test", "date_of_birth": "2026-11-25"}},
            ["date_of_birth", "after the incident occurred"],
            id="born-after-the-incident",
        ),
        pytest.param(
            {"patient": {"nhs_number": "9434765919", "hospital_number": "X1"}},
            ["patient.hospital_number", "Extra inputs are not permitted"],
            id="unknown-patient-field",
        ),
        pytest.param(
            {"identified_at": "2026-11-24T14:00:00+00:00"},
            [
                "identified_at (2026-11-24T14:00:00+00:00) is before occurred_at",
                "cannot be identified before",
            ],
            id="identified-before-occurred",
        ),
        pytest.param(
            {"reported_at": "2026-11-24T14:45:00+00:00"},
            ["reported_at (2026-11-24T14:45:00+00:00) is before identified_at"],
            id="reported-before-identified",
        ),
        pytest.param(
            {"occurred_at": "2026-11-25T10:00:01+00:00", "identified_at": "2026-11-25T10:00:01+00:00"},
            ["occurred_at 2026-11-25T10:00:01+00:00 is in the future"],
            id="future-occurred-at",
        ),
        pytest.param(
            {"reported_at": "2026-11-26T09:00:00+00:00"},
            ["reported_at", "is in the future"],
            id="future-reported-at",
        ),
        pytest.param(
            {"occurred_at": "2026-11-24T14:30:00"},
            ["occurred_at", "timezone"],
            id="naive-datetime",
        ),
        pytest.param(
            {"identified_at": "24/11/2026 15:00"},
            ["identified_at", "datetime"],
            id="not-iso-8601",
        ),
        pytest.param(
            {"description": "x" * 20_001},
            ["description", "at most 20000 characters"],
            id="oversized-description",
        ),
        pytest.param(
            {"location": "L" * 201},
            ["location", "at most 200 characters"],
            id="oversized-location",
        ),
        pytest.param({"description": "   "}, ["description", "at least 1 character"], id="blank-description"),
        pytest.param(
            {"organisation": "RX1; DROP TABLE"},
            ["organisation", "pattern"],
            id="malformed-organisation-code",
        ),
        pytest.param(
            {"severity": "high"},
            ["severity: Extra inputs are not permitted"],
            id="unknown-extra-field",
        ),
    ],
)
def test_bad_report_is_refused_with_a_clear_problem(
    api: Any, base_report: dict[str, Any], overrides: dict[str, Any], fragments: list[str]
) -> None:
    api.report()  # the store is not empty: refusals must not move a non-zero head
    body = {**base_report, **overrides}
    body = {k: v for k, v in body.items() if v is not MISSING}
    problem = api.refused(lambda: api.report_raw(body), 422, *fragments)
    assert problem["title"] == "Invalid input"
    assert api.client.get("/incidents/INC-2026-000002").status_code == 404  # no reference used up


def test_a_description_of_exactly_20000_characters_is_accepted(api: Any) -> None:
    iid = api.report(description="x" * 20_000)["id"]
    assert len(api.get(iid)["description"]) == 20_000


def test_a_valid_nhs_number_with_spaces_is_normalised(api: Any) -> None:
    iid = api.report(patient={"nhs_number": "943 476 5919"})["id"]
    assert api.get(iid)["patient"]["nhs_number"] == "9434765919"


def test_malformed_json_is_a_problem(api: Any) -> None:
    api.refused(
        lambda: api.client.post(
            "/incidents", content=b'{"organisation": "RX1",', headers={"Content-Type": "application/json"}
        ),
        422,
        "JSON",
    )


def test_malformed_json_detail_says_the_body_is_not_json(api: Any) -> None:
    body = api.refused(
        lambda: api.client.post(
            "/incidents", content=b'{"organisation": "RX1",', headers={"Content-Type": "application/json"}
        ),
        422,
        "JSON",
    )
    assert "body" in body["detail"]
    assert not body["detail"].split(":")[0].isdigit()


def test_a_json_array_is_not_a_report(api: Any) -> None:
    api.refused(lambda: api.client.post("/incidents", json=[{"organisation": "RX1"}]), 422, "dictionary")


def test_an_empty_actor_header_is_refused(api: Any, base_report: dict[str, Any]) -> None:
    api.refused(lambda: api.report_raw(base_report, actor=""), 422, "X-Actor")


# ------------------------------------------------------------ commands: shape errors


def test_unknown_command_lists_the_commands(api: Any, incident: str) -> None:
    body = api.refused(lambda: api.command_raw(incident, "escalate", {}), 422, "unknown command 'escalate'")
    for name in COMMANDS:
        assert name in body["detail"]


@pytest.mark.parametrize(
    ("name", "body", "fragments"),
    [
        pytest.param(
            "classify",
            {"physical_harm": "moderate"},
            ["psychological_harm: Field required", "rationale: Field required"],
            id="classify-missing-fields",
        ),
        pytest.param(
            "classify",
            {**CLASSIFY, "physical_harm": "Moderate"},
            ["physical_harm", "'moderate'"],
            id="classify-wrong-case-enum",
        ),
        pytest.param(
            "classify",
            {**CLASSIFY, "never_event": "Wrong Site"},
            ["never_event", "pattern"],
            id="classify-malformed-code",
        ),
        pytest.param(
            "classify",
            {**CLASSIFY, "rationale": " "},
            ["rationale", "at least 1 character"],
            id="classify-blank-rationale",
        ),
        pytest.param(
            "classify",
            {**CLASSIFY, "rationale": "r" * 20_001},
            ["rationale", "at most 20000"],
            id="classify-oversized-rationale",
        ),
        pytest.param(
            "classify",
            {**CLASSIFY, "urgency": "high"},
            ["urgency: Extra inputs are not permitted"],
            id="classify-extra-field",
        ),
        pytest.param(
            "classify",
            {**CLASSIFY, "expected_version": 0},
            ["expected_version", "greater than"],
            id="expected-version-zero",
        ),
        pytest.param(
            "start-investigation",
            {"response_type": "rca", "lead": "x", "started_on": "2026-11-25"},
            ["response_type", "'psii'", "'external_referral'"],
            id="wrong-response-type",
        ),
        pytest.param(
            "start-investigation",
            {"response_type": "psii", "lead": "x", "started_on": "25/11/2026"},
            ["started_on", "date"],
            id="malformed-business-date",
        ),
        pytest.param(
            "notify-candour",
            {"relevant_person": "patient", "notified_on": "2026-11-25"},
            ["in_person: Field required", "apology_given: Field required"],
            id="notify-candour-missing-fields",
        ),
        pytest.param(
            "record-candour-exception",
            {"reason": "refused", "attempts": []},
            ["reason", "'declined' or 'not_contactable'", "attempts"],
            id="candour-exception-bad",
        ),
        pytest.param(
            "agree-action",
            {"action_id": "A 1", "description": "d", "owner": "o", "due": "2026-12-31"},
            ["action_id", "pattern"],
            id="malformed-action-id",
        ),
        pytest.param(
            "decide-downgrade",
            {"approved": "maybe", "rationale": "r"},
            ["approved", "boolean"],
            id="not-a-boolean",
        ),
        pytest.param("close", {}, ["closed_on: Field required"], id="close-missing-date"),
    ],
)
def test_bad_command_body_is_refused(
    api: Any, incident: str, name: str, body: dict[str, Any], fragments: list[str]
) -> None:
    version = api.get(incident)["version"]
    api.refused(lambda: api.command_raw(incident, name, body), 422, *fragments)
    assert api.get(incident)["version"] == version


# ------------------------------------------------------ commands: domain refusals (422)


@pytest.mark.parametrize(
    ("name", "body", "fragments"),
    [
        pytest.param(
            "classify",
            {**CLASSIFY, "never_event": "wrong_tooth_extraction"},
            ["wrong_tooth_extraction", "2026-11-24", "in force"],
            id="retired-never-event",
        ),
        pytest.param(
            "classify",
            {**CLASSIFY, "never_event": "wrong_patient"},
            ["never_event 'wrong_patient' is not a known code", "wrong_site_surgery"],
            id="unknown-never-event",
        ),
        pytest.param(
            "classify",
            {**CLASSIFY, "national_priority": "falls"},
            ["national_priority 'falls' is not a known code", "mental_health_homicide"],
            id="unknown-national-priority",
        ),
        pytest.param(
            "classify",
            {**CLASSIFY, "serious_incident": True},
            ["psirf-2022 has no Serious Incident label"],
            id="psirf-has-no-si-label",
        ),
        pytest.param(
            "notify-candour",
            {
                "relevant_person": "patient",
                "notified_on": "2026-11-26",
                "in_person": True,
                "apology_given": True,
                "account_given": True,
            },
            ["notified_on 2026-11-26 is in the future", "Europe/London"],
            id="future-business-date",
        ),
        pytest.param(
            "notify-candour",
            {
                "relevant_person": "patient",
                "notified_on": "2026-11-20",
                "in_person": True,
                "apology_given": True,
                "account_given": True,
            },
            ["notified_on 2026-11-20 is before", "occurred", "2026-11-24"],
            id="notified-before-occurred",
        ),
        pytest.param(
            "notify-candour",
            {
                "relevant_person": "patient",
                "notified_on": "2026-11-25",
                "in_person": True,
                "apology_given": False,
                "account_given": True,
            },
            ["apology", "Regulation 20"],
            id="notification-without-apology",
        ),
        pytest.param(
            "notify-candour",
            {
                "relevant_person": "patient",
                "notified_on": "2026-11-25",
                "in_person": False,
                "apology_given": True,
                "account_given": True,
            },
            ["in person", "record-candour-exception"],
            id="notification-not-in-person",
        ),
        pytest.param(
            "record-candour-exception",
            {"reason": "declined", "attempts": [{"on": "2026-11-27", "method": "phone", "outcome": "x"}]},
            ["attempts[].on 2026-11-27 is in the future"],
            id="attempt-in-the-future",
        ),
        pytest.param(
            "start-investigation",
            {"response_type": "level2", "lead": "x", "started_on": "2026-11-25"},
            ["'level2' is not used under psirf-2022", "psii"],
            id="sif-response-under-psirf",
        ),
        pytest.param(
            "agree-action",
            {"action_id": "A1", "description": "d", "owner": "o", "due": "2026-11-24"},
            ["due 2026-11-24", "2026-11-25"],
            id="action-due-in-the-past",
        ),
        pytest.param(
            "complete-action",
            {"action_id": "Z9", "completed_on": "2026-11-25", "evidence": "e"},
            ["no safety action 'Z9'"],
            id="unknown-action",
        ),
        pytest.param(
            "agree-extension",
            {
                "deadline": "learning_response",
                "new_due": "2027-06-01",
                "reason": "inquest",
                "approved_by": "ICB",
            },
            ["no deadline 'learning_response'", "candour_notification"],
            id="extend-unknown-deadline",
        ),
        pytest.param(
            "agree-extension",
            {
                "deadline": "candour_notification",
                "new_due": "2026-12-08",
                "reason": "inquest",
                "approved_by": "ICB",
            },
            ["must be after the current due date 2026-12-09"],
            id="extension-earlier-than-due",
        ),
    ],
)
def test_domain_refusal_is_422_and_records_nothing(
    api: Any, incident: str, name: str, body: dict[str, Any], fragments: list[str]
) -> None:
    api.refused(lambda: api.command_raw(incident, name, body), 422, *fragments)


def test_sif_classification_needs_the_si_decision_and_no_psirf_codes(api: Any) -> None:
    iid = api.report(profile="sif-2015", physical_harm="severe")["id"]
    api.refused(lambda: api.command_raw(iid, "classify", CLASSIFY), 422, "serious_incident (true or false)")
    api.refused(
        lambda: api.command_raw(
            iid, "classify", {**CLASSIFY, "serious_incident": True, "national_priority": "never_event"}
        ),
        422,
        "national_priority is a PSIRF concept",
    )
    api.refused(
        lambda: api.command_raw(
            iid, "classify", {**CLASSIFY, "serious_incident": False, "never_event": "wrong_route"}
        ),
        422,
        "Never Events are Serious Incidents",
    )
    assert api.get(iid)["status"] == "reported"


# ------------------------------------------------------------- 404: unknown incidents


@pytest.mark.parametrize(
    ("ident", "fragment"),
    [
        ("00000000-0000-0000-0000-000000000000", "no incident 00000000-0000-0000-0000-000000000000"),
        ("6f1c9a4e-3b8d-5c2a-9e71-0d4b2f8a6c13", "no incident 6f1c9a4e"),
        ("INC-2026-999999", "no incident"),
        ("garbage", "'garbage' is neither an incident id (UUID) nor a reference (INC-YYYY-NNNNNN)"),
        ("12345", "neither an incident id (UUID) nor a reference"),
    ],
)
def test_unknown_or_garbage_incident_is_404_on_every_route(api: Any, ident: str, fragment: str) -> None:
    api.report()
    for call in (
        lambda: api.client.get(f"/incidents/{ident}"),
        lambda: api.client.get(f"/incidents/{ident}/history"),
        lambda: api.client.get(f"/incidents/{ident}/state", params={"version": 1}),
        lambda: api.command_raw(ident, "classify", CLASSIFY),
        lambda: api.command_raw(ident, "close", {"closed_on": "2026-11-25"}),
    ):
        body = api.refused(call, 404, fragment)
        assert body["title"] == "Not found"


def test_the_reference_numbering_record_is_not_an_incident(api: Any) -> None:
    from domain.numbering import numbering_id

    api.report()
    hidden = str(numbering_id(2026))  # an aggregate in the same store, but not an incident
    api.refused(lambda: api.client.get(f"/incidents/{hidden}"), 404)
    api.refused(lambda: api.client.get(f"/incidents/{hidden}/history"), 404)
    api.refused(lambda: api.command_raw(hidden, "classify", CLASSIFY), 404)


# ------------------------------------------------------------- 409: state and versions


def test_stale_expected_version_is_409_and_records_nothing(api: Any, incident: str) -> None:
    body = api.refused(
        lambda: api.command_raw(incident, "classify", {**CLASSIFY, "expected_version": 1}),
        409,
        "is at version 2, not the expected version 1",
        "reload",
    )
    assert body["title"] == "Conflict"
    api.command(incident, "classify", {**CLASSIFY, "expected_version": 2})


def test_a_future_expected_version_is_also_a_conflict(api: Any, incident: str) -> None:
    api.refused(lambda: api.command_raw(incident, "classify", {**CLASSIFY, "expected_version": 7}), 409, "7")


@pytest.mark.parametrize(
    ("setup", "name", "body", "fragments"),
    [
        pytest.param(
            [],
            "start-investigation",
            {"response_type": "psii", "lead": "x", "started_on": "2026-11-25"},
            ["classify the incident first"],
            id="investigate-before-classify",
        ),
        pytest.param(
            [],
            "agree-action",
            {"action_id": "A1", "description": "d", "owner": "o", "due": "2027-01-01"},
            ["classify the incident before agreeing safety actions"],
            id="action-before-classify",
        ),
        pytest.param(
            ["classify"],
            "send-candour-letter",
            {"sent_on": "2026-11-25", "summary": "s"},
            ["notify-candour first"],
            id="letter-before-notification",
        ),
        pytest.param(
            ["classify"],
            "submit-investigation-report",
            {"submitted_on": "2026-11-25", "findings": "f"},
            ["start-investigation first"],
            id="report-without-investigation",
        ),
        pytest.param(
            ["classify"],
            "submit-initial-review",
            {"submitted_on": "2026-11-25", "summary": "s"},
            ["psirf-2022 has no initial review"],
            id="initial-review-under-psirf",
        ),
        pytest.param(
            ["classify"],
            "decide-downgrade",
            {"approved": True, "rationale": "r"},
            ["no downgrade request awaiting a decision"],
            id="decide-without-request",
        ),
        pytest.param(
            ["classify", "action"],
            "agree-action",
            {"action_id": "A1", "description": "d", "owner": "o", "due": "2027-01-01"},
            ["safety action 'A1' already exists"],
            id="duplicate-action",
        ),
        pytest.param(
            ["classify", "action"],
            "review-action",
            {"action_id": "A1", "effective": True, "notes": "n"},
            ["'A1' is not completed yet"],
            id="review-before-complete",
        ),
        pytest.param(
            ["classify", "notify"],
            "notify-candour",
            {
                "relevant_person": "patient",
                "notified_on": "2026-11-25",
                "in_person": True,
                "apology_given": True,
                "account_given": True,
            },
            ["already notified on 2026-11-25"],
            id="notify-twice",
        ),
        pytest.param(
            ["classify", "notify"],
            "agree-extension",
            {"deadline": "candour_notification", "new_due": "2027-01-01", "reason": "r", "approved_by": "a"},
            ["'candour_notification' is met", "only pending deadlines"],
            id="extend-met-deadline",
        ),
        pytest.param(
            ["classify", "close"], "classify", CLASSIFY, ["is closed on 2026-11-25"], id="command-after-close"
        ),
        pytest.param(
            ["classify", "close"],
            "close",
            {"closed_on": "2026-11-25"},
            ["finished incident"],
            id="close-twice",
        ),
        pytest.param(
            ["classify"],
            "request-downgrade",
            {"rationale": "not serious"},
            ["psirf-2022 has no Serious Incident label to downgrade"],
            id="downgrade-under-psirf",
        ),
    ],
)
def test_command_not_allowed_in_this_state_is_409(
    api: Any, setup: list[str], name: str, body: dict[str, Any], fragments: list[str]
) -> None:
    iid = api.report(physical_harm="moderate")["id"]
    steps: dict[str, list[tuple[str, dict[str, Any]]]] = {
        "classify": [("classify", CLASSIFY)],
        "action": [
            ("agree-action", {"action_id": "A1", "description": "d", "owner": "o", "due": "2027-01-01"})
        ],
        "notify": [
            (
                "notify-candour",
                {
                    "relevant_person": "patient",
                    "notified_on": "2026-11-25",
                    "in_person": True,
                    "apology_given": True,
                    "account_given": True,
                },
            )
        ],
        "close": [
            (
                "record-candour-exception",
                {
                    "reason": "not_contactable",
                    "attempts": [{"on": "2026-11-25", "method": "phone", "outcome": "no answer"}],
                },
            ),
            ("close", {"closed_on": "2026-11-25"}),
        ],
    }
    for key in setup:
        for step, step_body in steps[key]:
            api.command(iid, step, step_body)
    api.refused(lambda: api.command_raw(iid, name, body), 409, *fragments)


def test_close_dated_before_the_investigation_report_is_refused(api: Any, clock: FixedClock) -> None:
    iid = api.report(profile="sif-2015", physical_harm="low")["id"]
    api.command(iid, "classify", {**CLASSIFY, "physical_harm": "low", "serious_incident": True})
    api.command(iid, "report-to-commissioner", {"reference": "2026/1", "reported_on": "2026-11-25"})
    api.command(iid, "submit-initial-review", {"submitted_on": "2026-11-25", "summary": "72-hour report"})
    clock.set(datetime(2026, 12, 10, 12, tzinfo=UTC))
    api.command(
        iid, "start-investigation", {"response_type": "level1", "lead": "x", "started_on": "2026-12-01"}
    )
    api.command(iid, "submit-investigation-report", {"submitted_on": "2026-12-10", "findings": "f"})
    api.refused(
        lambda: api.command_raw(iid, "close", {"closed_on": "2026-12-01"}), 422, "closed_on 2026-12-01"
    )


def test_records_made_out_of_time_order_are_refused(api: Any, incident: str, clock: FixedClock) -> None:
    clock.advance(hours=-1)  # a server clock that stepped back must not rewrite the order
    api.refused(lambda: api.command_raw(incident, "classify", CLASSIFY), 409, "earlier instant")


# ------------------------------------------------------------------ bad query params


@pytest.mark.parametrize(
    ("params", "status", "fragments"),
    [
        ({"version": "abc"}, 422, ["version", "valid integer"]),
        ({"version": 0}, 422, ["version", "greater than or equal to 1"]),
        ({"version": -3}, 422, ["version"]),
        ({"version": 3}, 404, ["has versions 1 to 2", "no version 3"]),
        ({}, 422, ["exactly one of the query parameters version or as_of"]),
        ({"version": 1, "as_of": "2026-11-25T10:00:00+00:00"}, 422, ["exactly one"]),
        ({"as_of": "yesterday"}, 422, ["as_of", "datetime"]),
        ({"as_of": "2026-11-25T10:00:00"}, 422, ["as_of", "timezone"]),
        ({"as_of": "2026-11-25T09:59:59+00:00"}, 404, ["not yet recorded at 2026-11-25T09:59:59+00:00"]),
    ],
)
def test_bad_state_query_is_refused(
    api: Any, incident: str, params: dict[str, Any], status: int, fragments: list[str]
) -> None:
    api.refused(lambda: api.client.get(f"/incidents/{incident}/state", params=params), status, *fragments)


def test_bad_history_as_of_is_refused(api: Any, incident: str) -> None:
    history = f"/incidents/{incident}/history"
    api.refused(lambda: api.client.get(history, params={"as_of": "not-a-time"}), 422, "as_of")
    api.refused(lambda: api.client.get(history, params={"as_of": "2026-11-25T10:00:00"}), 422, "timezone")
    api.refused(lambda: api.client.get(history, params={"as_of": "2026-11-01T00:00:00Z"}), 404)


def test_wrong_method_is_a_problem(api: Any, incident: str) -> None:
    api.refused(lambda: api.client.get(f"/incidents/{incident}/classify"), 405, "Method Not Allowed")
    api.refused(lambda: api.client.delete(f"/incidents/{incident}"), 405, "Method Not Allowed")
