"""The eight realistic cases of the shared domain reference, end to end over HTTP.

The default clock is Wednesday 25 November 2026 10:00 UTC (GMT, so the Europe/London
business date is the UTC date). Due dates are written out by hand from the working-day
rules, so a wrong calendar or a wrong anchor fails here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from application.clock import FixedClock

PSII_REPORT = {
    "submitted_on": "2027-01-20",
    "findings": "The wrong lesion was marked: the site-marking check was done from memory.",
    "contributing_factors": ["two lesions close together", "marking done before consent review"],
    "root_causes": ["no photograph of the lesion in the referral"],
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def classification(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "physical_harm": "none",
        "psychological_harm": "none",
        "prolonged_psychological_harm": False,
        "never_event": None,
        "national_priority": None,
        "local_priority": None,
        "serious_incident": None,
        "rationale": "Graded at the daily patient-safety huddle.",
    }
    body.update(overrides)
    return body


def candour_notice(on: str, person: str = "patient") -> dict[str, Any]:
    return {
        "relevant_person": person,
        "notified_on": on,
        "in_person": True,
        "apology_given": True,
        "account_given": True,
    }


def letter(on: str) -> dict[str, Any]:
    return {"sent_on": on, "summary": "Written account, apology and the enquiries planned."}


# --------------------------------------------------------------------------- case 1


def test_case1_wrong_lesion_excised_no_harm_is_never_event_psii_without_candour(
    api: Any, clock: FixedClock
) -> None:
    created = api.report(
        actor="theatre.lead",
        category="surgery",
        location="Dermatology day-surgery unit",
        description="Wrong skin lesion excised: a benign naevus next to the marked lesion was removed.",
        physical_harm="none",
    )
    iid = created["id"]
    assert created["reference"] == "INC-2026-000001"
    assert created["version"] == 1
    assert api.get(iid)["deadlines"] == []  # no harm: no candour clock, PSIRF has no SI clocks

    api.command(
        iid,
        "classify",
        classification(never_event="wrong_site_surgery", rationale="Wrong site surgery; no harm."),
        actor="psirf.lead",
    )
    state = api.get(iid)
    assert state["status"] == "classified"
    assert state["classification"]["never_event"] == "wrong_site_surgery"
    required = state["classification"]["required_response"]
    assert required["required"] is True
    assert required["allowed"] == ["psii"]
    assert required["refer_to"] is None
    assert "never_event" in required["reason"]
    # A Never Event does not need harm, and no harm means candour is not statutory.
    assert state["candour"]["applies"] is False
    assert state["classification"]["candour_applies"] is False
    assert state["deadlines"] == []

    api.refused(
        lambda: api.command_raw(iid, "notify-candour", candour_notice("2026-11-25")),
        409,
        "Duty of Candour does not apply",
    )
    api.refused(
        lambda: api.command_raw(
            iid,
            "record-candour-exception",
            {"reason": "declined", "attempts": [{"on": "2026-11-25", "method": "phone", "outcome": "no"}]},
        ),
        409,
        "does not apply",
    )
    # Closing needs the PSII; an AAR is not what a Never Event calls for.
    refusal = api.refused(lambda: api.command_raw(iid, "close", {"closed_on": "2026-11-25"}), 409)
    assert any("learning response is required" in m and "psii" in m for m in refusal["missing"])
    api.refused(
        lambda: api.command_raw(
            iid, "start-investigation", {"response_type": "aar", "lead": "Dr A", "started_on": "2026-11-25"}
        ),
        422,
        "psii",
        "'aar' is not one of them",
    )

    api.command(
        iid,
        "start-investigation",
        {"response_type": "psii", "lead": "Dr Amara Okafor", "started_on": "2026-11-25"},
        actor="psirf.lead",
    )
    learning = api.deadlines(iid)["learning_response"]
    assert (learning["due"], learning["status"]) == ("2027-02-25", "pending")  # 3 calendar months

    clock.set(at("2027-01-20T16:00:00+00:00"))
    api.command(iid, "submit-investigation-report", PSII_REPORT, actor="dr.okafor")
    learning = api.deadlines(iid)["learning_response"]
    assert (learning["status"], learning["met_on"]) == ("met", "2027-01-20")
    assert api.get(iid)["status"] == "investigated"

    api.command(iid, "close", {"closed_on": "2027-01-20"}, actor="psirf.lead")
    state = api.get(iid)
    assert state["status"] == "closed"
    assert state["closed_on"] == "2027-01-20"
    assert state["candour"]["notified_on"] is None
    history = api.history(iid)
    assert [e["type"] for e in history] == [
        "Reported",
        "Classified",
        "InvestigationStarted",
        "Investigated",
        "ActionsClosed",
    ]
    assert [e["actor"] for e in history] == [
        "theatre.lead",
        "psirf.lead",
        "psirf.lead",
        "dr.okafor",
        "psirf.lead",
    ]


# --------------------------------------------------------------------------- case 2


def test_case2_oral_medicine_given_iv_moderate_harm_runs_candour_psii_and_actions(
    api: Any, clock: FixedClock
) -> None:
    created = api.report(
        actor="nurse.in.charge",
        category="medication",
        description="Oral liquid paracetamol drawn up in an IV syringe and given intravenously.",
        physical_harm="moderate",
    )
    iid = created["id"]
    # Candour applies from the initial grading: 10 working days from the reported date
    # (Wednesday 25 November 2026 → Wednesday 9 December 2026).
    candour = api.deadlines(iid)["candour_notification"]
    assert (candour["due"], candour["status"]) == ("2026-12-09", "pending")

    api.command(
        iid,
        "classify",
        classification(physical_harm="moderate", never_event="wrong_route", rationale="Wrong route."),
        actor="psirf.lead",
    )
    state = api.get(iid)
    assert state["classification"]["required_response"]["allowed"] == ["psii"]
    assert state["candour"]["applies"] is True
    assert api.deadlines(iid)["candour_notification"]["due"] == "2026-12-09"

    # The letter comes after the conversation in person.
    api.refused(lambda: api.command_raw(iid, "send-candour-letter", letter("2026-11-25")), 409, "notify")

    clock.set(at("2026-11-26T11:00:00+00:00"))
    api.command(iid, "notify-candour", candour_notice("2026-11-26"), actor="consultant")
    candour = api.deadlines(iid)["candour_notification"]
    assert (candour["status"], candour["met_on"]) == ("met", "2026-11-26")
    api.command(
        iid,
        "start-investigation",
        {"response_type": "psii", "lead": "Pharmacy lead", "started_on": "2026-11-26"},
    )
    clock.set(at("2026-12-02T09:00:00+00:00"))
    api.command(iid, "send-candour-letter", letter("2026-12-02"), actor="consultant")
    assert api.get(iid)["candour"]["letter_sent_on"] == "2026-12-02"

    clock.set(at("2027-01-15T12:00:00+00:00"))
    api.command(
        iid,
        "submit-investigation-report",
        {**PSII_REPORT, "submitted_on": "2027-01-15", "findings": "Oral syringes were not stocked."},
    )
    api.command(
        iid,
        "agree-action",
        {
            "action_id": "A1",
            "description": "Stock purple oral/enteral syringes on every ward.",
            "owner": "Chief Pharmacist",
            "due": "2027-03-31",
        },
    )
    state = api.get(iid)
    assert state["status"] == "actions_in_progress"
    action_clock = api.deadlines(iid)["action:A1"]
    assert (action_clock["due"], action_clock["status"]) == ("2027-03-31", "pending")

    refusal = api.refused(lambda: api.command_raw(iid, "close", {"closed_on": "2027-01-15"}), 409)
    assert refusal["missing"] == ["safety actions not completed: A1"]

    clock.set(at("2027-03-01T12:00:00+00:00"))
    api.command(
        iid,
        "complete-action",
        {"action_id": "A1", "completed_on": "2027-03-01", "evidence": "Stock audit of 42 wards."},
    )
    action_clock = api.deadlines(iid)["action:A1"]
    assert (action_clock["status"], action_clock["met_on"]) == ("met", "2027-03-01")
    assert api.get(iid)["status"] == "investigated"
    api.command(iid, "close", {"closed_on": "2027-03-01"})
    assert api.get(iid)["status"] == "closed"
    assert "CandourNotified" in api.event_types(iid)
    assert "CandourLetterSent" in api.event_types(iid)


# --------------------------------------------------------------------------- case 3


def test_case3_misplaced_ng_tube_death_candour_to_next_of_kin_and_extension_for_inquest(
    api: Any, clock: FixedClock
) -> None:
    iid = api.report(
        category="nasogastric tube",
        description="NG tube placed in the right main bronchus; feed started; the patient died.",
        physical_harm="fatal",
    )["id"]
    api.command(
        iid,
        "classify",
        classification(
            physical_harm="fatal",
            never_event="misplaced_ng_tube",
            national_priority="death_problems_in_care",
            rationale="Misplaced NG tube not detected before feeding; death.",
        ),
    )
    state = api.get(iid)
    assert state["candour"]["applies"] is True
    assert state["classification"]["required_response"]["required"] is True
    assert "psii" in state["classification"]["required_response"]["allowed"]

    clock.set(at("2026-11-27T10:00:00+00:00"))
    api.command(iid, "notify-candour", candour_notice("2026-11-27", person="next of kin (daughter)"))
    assert api.get(iid)["candour"]["relevant_person"] == "next of kin (daughter)"
    api.command(iid, "send-candour-letter", letter("2026-11-27"))
    api.command(
        iid,
        "start-investigation",
        {
            "response_type": "psii",
            "lead": "Deputy Chief Nurse",
            "started_on": "2026-11-27",
            "coroner_initiated": True,
        },
    )
    assert api.get(iid)["investigation"]["coroner_initiated"] is True
    learning = api.deadlines(iid)["learning_response"]
    assert (learning["due"], learning["status"], learning["history"]) == ("2027-02-27", "pending", [])

    # The inquest runs: the clock is not paused, an extension is agreed and recorded.
    clock.set(at("2027-02-01T10:00:00+00:00"))
    api.refused(
        lambda: api.command_raw(
            iid,
            "agree-extension",
            {"deadline": "learning_response", "new_due": "2027-02-01", "reason": "x", "approved_by": "ICB"},
        ),
        422,
        "must be after the current due date 2027-02-27",
    )
    api.command(
        iid,
        "agree-extension",
        {
            "deadline": "learning_response",
            "new_due": "2027-05-27",
            "reason": "inquest opened; the coroner asked for the report after the inquest",
            "approved_by": "NHS Nottingham and Nottinghamshire ICB",
        },
        actor="icb.quality.lead",
    )
    learning = api.deadlines(iid)["learning_response"]
    assert learning["due"] == "2027-05-27"
    assert learning["status"] == "pending"
    assert learning["history"] == ["2027-02-27"]
    assert "inquest" in learning["reason"]
    assert "NHS Nottingham and Nottinghamshire ICB" in learning["reason"]
    extension = api.history(iid)[-1]
    assert extension["type"] == "DeadlineExtended"
    assert extension["actor"] == "icb.quality.lead"
    assert extension["data"]["deadline"] == "learning_response"
    assert extension["data"]["new_due"] == "2027-05-27"
    assert extension["data"]["approved_by"] == "NHS Nottingham and Nottinghamshire ICB"
    assert [(c["kind"], c["change"], c["due"]) for c in extension["data"]["clocks"]] == [
        ("learning_response", "extended", "2027-05-27")
    ]

    # Submitted after the original due date but within the agreed one: met, not late.
    clock.set(at("2027-05-10T10:00:00+01:00"))
    api.command(
        iid,
        "submit-investigation-report",
        {**PSII_REPORT, "submitted_on": "2027-05-10", "findings": "pH not checked before feeding."},
    )
    learning = api.deadlines(iid)["learning_response"]
    assert (learning["status"], learning["met_on"], learning["due"]) == ("met", "2027-05-10", "2027-05-27")
    api.command(iid, "close", {"closed_on": "2027-05-10"})
    assert api.get(iid)["status"] == "closed"


# --------------------------------------------------------------------------- case 4


def test_case4_swab_found_six_weeks_later_psirf_clocks_run_from_reported_date(
    api: Any, clock: FixedClock
) -> None:
    iid = api.report(
        category="retained foreign object",
        occurred_at="2026-10-14T09:00:00+01:00",  # surgery, six weeks before it was found
        identified_at="2026-11-25T08:00:00+00:00",
        physical_harm="moderate",
        description="Retained swab found on CT six weeks after a laparotomy; returned to theatre.",
    )["id"]
    state = api.get(iid)
    assert state["occurred_at"].startswith("2026-10-14")
    # From the reported date (25 Nov → 9 Dec), not from the occurrence (14 Oct → 28 Oct).
    assert api.deadlines(iid)["candour_notification"]["due"] == "2026-12-09"
    api.command(
        iid,
        "classify",
        classification(physical_harm="moderate", never_event="retained_foreign_object"),
    )
    api.command(
        iid, "start-investigation", {"response_type": "psii", "lead": "Theatres", "started_on": "2026-11-25"}
    )
    deadlines = api.deadlines(iid)
    assert {kind: d["due"] for kind, d in deadlines.items()} == {
        "candour_notification": "2026-12-09",
        "learning_response": "2027-02-25",  # 3 calendar months from the PSII's start
    }


def test_case4_swab_found_six_weeks_later_sif_clocks_run_from_identified_and_reported(
    api: Any, clock: FixedClock
) -> None:
    # Found on Saturday 2 May 2026 (Monday 4 May is a bank holiday); logged on Tuesday 5 May.
    clock.set(at("2026-05-05T09:00:00+01:00"))
    created = api.report(
        profile="sif-2015",
        category="retained foreign object",
        occurred_at="2026-03-21T10:00:00+00:00",
        identified_at="2026-05-02T11:00:00+01:00",
        physical_harm="moderate",
        description="Retained swab found six weeks after surgery.",
    )
    iid = created["id"]
    state = api.get(iid)
    assert state["profile"] == "sif-2015"
    assert at(state["reported_at"]) == at("2026-05-05T09:00:00+01:00")  # defaulted to now
    deadlines = api.deadlines(iid)
    got = {kind: (d["due"], d["status"]) for kind, d in deadlines.items()}
    assert got == {
        # identified Sat 2 May: Mon 4 May is a bank holiday → Tue 5 = day 1, Wed 6 = day 2
        "commissioner_report": ("2026-05-06", "pending"),
        "initial_review": ("2026-05-07", "pending"),
        # reported Tue 5 May + 10 working days
        "candour_notification": ("2026-05-19", "pending"),
    }
    # Had the clocks started at occurrence (Sat 21 March) they would have been long breached.
    assert deadlines["commissioner_report"]["due"] != "2026-03-24"

    api.command(
        iid,
        "classify",
        classification(
            physical_harm="moderate",
            never_event="retained_foreign_object",
            serious_incident=True,
            rationale="Never Event: Serious Incident under SIF 2015.",
        ),
    )
    api.command(iid, "report-to-commissioner", {"reference": "2026/9876", "reported_on": "2026-05-05"})
    clock.set(at("2026-05-07T15:00:00+01:00"))
    api.command(iid, "submit-initial-review", {"submitted_on": "2026-05-07", "summary": "72-hour report."})
    deadlines = api.deadlines(iid)
    assert (deadlines["commissioner_report"]["status"], deadlines["commissioner_report"]["met_on"]) == (
        "met",
        "2026-05-05",
    )
    assert (deadlines["initial_review"]["status"], deadlines["initial_review"]["met_on"]) == (
        "met",
        "2026-05-07",
    )
    assert deadlines["candour_notification"]["status"] == "pending"


# --------------------------------------------------------------------------- case 5


def test_case5_relevant_person_declines_candour_exception_waives_clock_and_case_closes(
    api: Any, clock: FixedClock
) -> None:
    iid = api.report(
        category="falls",
        description="Fall on the ward; fractured wrist not diagnosed for two days.",
        physical_harm="moderate",
    )["id"]
    api.command(iid, "classify", classification(physical_harm="moderate", rationale="Moderate harm."))
    assert api.deadlines(iid)["candour_notification"]["status"] == "pending"
    refusal = api.refused(lambda: api.command_raw(iid, "close", {"closed_on": "2026-11-25"}), 409)
    assert refusal["missing"] == ["Duty of Candour: notify the relevant person, or record an exception"]

    clock.set(at("2026-12-01T16:00:00+00:00"))
    attempts = [
        {"on": "2026-11-30", "method": "telephone", "outcome": "declined; asked not to be contacted again"},
        {"on": "2026-11-26", "method": "in person on the ward", "outcome": "patient declined to meet"},
    ]
    api.command(
        iid,
        "record-candour-exception",
        {"reason": "declined", "attempts": attempts},
        actor="ward.manager",
    )
    state = api.get(iid)
    assert state["candour"]["exception_reason"] == "declined"
    assert state["candour"]["attempts"] == sorted(attempts, key=lambda a: a["on"])
    candour = api.deadlines(iid)["candour_notification"]
    assert candour["status"] == "waived"
    assert "declined" in candour["reason"]
    recorded = api.history(iid)[-1]
    assert recorded["type"] == "CandourExceptionRecorded"
    assert recorded["actor"] == "ward.manager"
    assert len(recorded["data"]["attempts"]) == 2
    assert [(c["kind"], c["change"]) for c in recorded["data"]["clocks"]] == [
        ("candour_notification", "waived")
    ]
    # The steps fall away: no notification after an exception...
    api.refused(
        lambda: api.command_raw(iid, "notify-candour", candour_notice("2026-12-01")), 409, "exception"
    )
    # ...and the case can still close (no learning response was required).
    assert state["missing_for_closure"] == []
    api.command(iid, "close", {"closed_on": "2026-12-01"})
    state = api.get(iid)
    assert state["status"] == "closed"
    assert api.deadlines(iid)["candour_notification"]["status"] == "waived"


# --------------------------------------------------------------------------- case 6


def test_case6_natural_course_death_downgrade_approved_ends_lifecycle(api: Any, clock: FixedClock) -> None:
    iid = api.report(
        profile="sif-2015",
        category="unexpected death",
        description="Death on the respiratory ward, reported as unexpected by the night team.",
        physical_harm="fatal",
    )["id"]
    assert {k: d["due"] for k, d in api.deadlines(iid).items()} == {
        "commissioner_report": "2026-11-26",
        "initial_review": "2026-11-27",
        "candour_notification": "2026-12-09",
    }
    api.command(
        iid,
        "classify",
        classification(physical_harm="fatal", serious_incident=True, rationale="Unexpected death."),
    )
    assert api.get(iid)["classification"]["serious_incident"] is True
    api.command(iid, "report-to-commissioner", {"reference": "2026/11111", "reported_on": "2026-11-25"})
    # The family were told in person and in writing what happened and what the review found.
    api.command(iid, "notify-candour", candour_notice("2026-11-25", person="next of kin (husband)"))
    clock.set(at("2026-11-26T14:00:00+00:00"))
    api.command(
        iid,
        "submit-initial-review",
        {
            "submitted_on": "2026-11-26",
            "summary": "Death from the natural course of end-stage COPD, managed to best practice.",
        },
    )
    api.command(iid, "send-candour-letter", letter("2026-11-26"))
    api.command(
        iid,
        "request-downgrade",
        {"rationale": "Natural course of illness managed to best practice: not a Serious Incident."},
        actor="provider.governance",
    )
    pending = api.get(iid)
    assert pending["downgrade"]["approved"] is None
    assert pending["downgrade"]["rationale"].startswith("Natural course of illness")
    # docs/domain.md: the declared `downgrade_requested` status is never entered; the
    # status stays as it was while the commissioner decides.
    assert pending["status"] == "classified"
    refusal = api.refused(lambda: api.command_raw(iid, "close", {"closed_on": "2026-11-26"}), 409)
    assert "a downgrade request awaits the commissioner's decision" in refusal["missing"]
    api.refused(
        lambda: api.command_raw(iid, "request-downgrade", {"rationale": "again"}), 409, "already awaiting"
    )

    clock.set(at("2026-11-30T10:00:00+00:00"))
    api.command(
        iid,
        "decide-downgrade",
        {"approved": True, "rationale": "Agreed at the ICB SI panel."},
        actor="icb.si.panel",
    )
    state = api.get(iid)
    assert state["status"] == "downgraded"
    assert state["downgrade"]["approved"] is True
    assert state["downgrade"]["decision_rationale"] == "Agreed at the ICB SI panel."
    assert state["missing_for_closure"] == []
    # What was done stays on record as done.
    assert {k: (d["status"], d["met_on"]) for k, d in api.deadlines(iid).items()} == {
        "commissioner_report": ("met", "2026-11-25"),
        "initial_review": ("met", "2026-11-26"),
        "candour_notification": ("met", "2026-11-25"),
    }
    history = api.history(iid)
    assert [(e["type"], e["actor"]) for e in history[-2:]] == [
        ("DowngradeRequested", "provider.governance"),
        ("DowngradeDecided", "icb.si.panel"),
    ]
    assert history[-1]["data"]["approved"] is True

    # The SI lifecycle has ended: nothing more is accepted, nothing is recorded.
    for name, body in (
        ("classify", classification(physical_harm="fatal", serious_incident=True)),
        ("start-investigation", {"response_type": "level1", "lead": "x", "started_on": "2026-11-30"}),
        ("agree-action", {"action_id": "A1", "description": "d", "owner": "o", "due": "2026-12-31"}),
        ("close", {"closed_on": "2026-11-30"}),
        ("request-downgrade", {"rationale": "again"}),
        ("decide-downgrade", {"approved": False, "rationale": "changed our mind"}),
    ):
        api.refused(lambda n=name, b=body: api.command_raw(iid, n, b), 409, "downgraded")


def test_case6_approved_downgrade_waives_the_pending_si_clocks(api: Any, clock: FixedClock) -> None:
    # A SIF SI without a notifiable harm (so no candour clock): the downgrade is agreed
    # while the initial review and a level 1 investigation are still due.
    iid = api.report(profile="sif-2015", physical_harm="low", category="alleged abuse")["id"]
    api.command(iid, "classify", classification(physical_harm="low", serious_incident=True))
    api.command(iid, "report-to-commissioner", {"reference": "2026/22222", "reported_on": "2026-11-25"})
    api.command(
        iid,
        "start-investigation",
        {"response_type": "level1", "lead": "Ward manager", "started_on": "2026-11-25"},
    )
    assert {k: (d["due"], d["status"]) for k, d in api.deadlines(iid).items()} == {
        "commissioner_report": ("2026-11-26", "met"),
        "initial_review": ("2026-11-27", "pending"),
        "investigation_report": ("2027-02-22", "pending"),  # reported_on 25 Nov + 60 WD
    }
    api.command(iid, "request-downgrade", {"rationale": "CCTV shows no abuse took place."})
    clock.advance(days=1)
    api.command(iid, "decide-downgrade", {"approved": True, "rationale": "Agreed."})
    deadlines = api.deadlines(iid)
    assert {k: d["status"] for k, d in deadlines.items()} == {
        "commissioner_report": "met",
        "initial_review": "waived",
        "investigation_report": "waived",
    }
    assert deadlines["investigation_report"]["reason"] == "downgrade approved by the commissioner"
    decided = api.history(iid)[-1]
    assert sorted((c["kind"], c["change"]) for c in decided["data"]["clocks"]) == [
        ("initial_review", "waived"),
        ("investigation_report", "waived"),
    ]
    assert api.get(iid)["status"] == "downgraded"
    for name, body in (
        ("submit-initial-review", {"submitted_on": "2026-11-26", "summary": "late"}),
        ("submit-investigation-report", {"submitted_on": "2026-11-26", "findings": "f"}),
        (
            "agree-extension",
            {"deadline": "initial_review", "new_due": "2026-12-31", "reason": "r", "approved_by": "ICB"},
        ),
    ):
        api.refused(lambda n=name, b=body: api.command_raw(iid, n, b), 409, "downgraded")


def test_case6_candour_outlives_the_downgrade(api: Any, clock: FixedClock) -> None:
    # docs/domain.md: the Duty of Candour is statutory and separate from the SI label, so a
    # downgrade leaves its clock running and the candour commands open.
    iid = api.report(profile="sif-2015", physical_harm="fatal")["id"]
    api.command(iid, "classify", classification(physical_harm="fatal", serious_incident=True))
    api.command(iid, "request-downgrade", {"rationale": "Natural course of illness."})
    api.command(iid, "decide-downgrade", {"approved": True, "rationale": "Agreed."})
    deadlines = api.deadlines(iid)
    assert {k: d["status"] for k, d in deadlines.items()} == {
        "commissioner_report": "waived",
        "initial_review": "waived",
        "candour_notification": "pending",
    }
    clock.advance(days=1)
    api.command(iid, "notify-candour", candour_notice("2026-11-26", person="next of kin"))
    api.command(iid, "send-candour-letter", letter("2026-11-26"))
    state = api.get(iid)
    assert state["status"] == "downgraded"
    assert (state["candour"]["notified_on"], state["candour"]["letter_sent_on"]) == (
        "2026-11-26",
        "2026-11-26",
    )
    assert api.deadlines(iid)["candour_notification"]["met_on"] == "2026-11-26"
    api.refused(lambda: api.command_raw(iid, "close", {"closed_on": "2026-11-26"}), 409, "downgraded")


def test_case6_downgrade_is_only_for_serious_incidents(api: Any, clock: FixedClock) -> None:
    sif = api.report(profile="sif-2015", physical_harm="low")["id"]
    api.command(sif, "classify", classification(physical_harm="low", serious_incident=False))
    api.refused(
        lambda: api.command_raw(sif, "request-downgrade", {"rationale": "r"}), 409, "Serious Incident"
    )
    psirf = api.report(physical_harm="low")["id"]
    api.command(psirf, "classify", classification(physical_harm="low"))
    api.refused(
        lambda: api.command_raw(psirf, "request-downgrade", {"rationale": "r"}),
        409,
        "no Serious Incident label",
    )


def test_case6_rejected_downgrade_keeps_the_incident_open(api: Any, clock: FixedClock) -> None:
    iid = api.report(profile="sif-2015", physical_harm="fatal")["id"]
    api.command(iid, "classify", classification(physical_harm="fatal", serious_incident=True))
    api.command(iid, "request-downgrade", {"rationale": "Natural course of illness."})
    api.command(iid, "decide-downgrade", {"approved": False, "rationale": "Sepsis was missed."})
    state = api.get(iid)
    assert state["status"] == "classified"
    assert state["downgrade"]["approved"] is False
    assert all(d["status"] == "pending" for d in state["deadlines"])
    api.refused(
        lambda: api.command_raw(iid, "decide-downgrade", {"approved": True, "rationale": "x"}),
        409,
        "no downgrade request",
    )


# --------------------------------------------------------------------------- case 7


def test_case7_oesophageal_intubation_in_2026_is_not_a_never_event(api: Any, clock: FixedClock) -> None:
    iid = api.report(
        category="airway",
        occurred_at="2026-11-24T03:10:00+00:00",
        identified_at="2026-11-24T03:25:00+00:00",
        physical_harm="severe",
        description="Undetected oesophageal intubation in the emergency department.",
    )["id"]
    version = api.get(iid)["version"]
    body = api.refused(
        lambda: api.command_raw(
            iid, "classify", classification(physical_harm="severe", never_event="oesophageal_intubation")
        ),
        422,
        "oesophageal_intubation",
        "2026-11-24",
    )
    assert "wrong_site_surgery" in body["detail"]  # the types in force then are listed
    state = api.get(iid)
    assert (state["version"], state["status"], state["classification"]) == (version, "reported", None)
    # Judged without the suspended code, it is an ordinary severe-harm incident.
    api.command(iid, "classify", classification(physical_harm="severe", never_event=None))
    assert api.get(iid)["classification"]["required_response"] is None


def test_case7_oesophageal_intubation_in_2019_was_a_never_event(api: Any, clock: FixedClock) -> None:
    created = api.report(
        category="airway",
        occurred_at="2019-06-10T03:10:00+01:00",
        identified_at="2019-06-10T03:25:00+01:00",
        reported_at="2019-06-10T09:00:00+01:00",
        physical_harm="severe",
        description="Historic record imported: undetected oesophageal intubation.",
    )
    assert created["reference"] == "INC-2019-000001"
    iid = created["id"]
    api.command(iid, "classify", classification(physical_harm="severe", never_event="oesophageal_intubation"))
    state = api.get(iid)
    assert state["classification"]["never_event"] == "oesophageal_intubation"
    assert state["classification"]["required_response"]["allowed"] == ["psii"]
    # The candour clock ran from the (historic) reported date.
    assert api.deadlines(iid)["candour_notification"]["due"] == "2019-06-24"


# --------------------------------------------------------------------------- case 8


def test_case8_mental_health_homicide_is_referred_to_the_regional_independent_team(
    api: Any, clock: FixedClock
) -> None:
    iid = api.report(
        organisation="RHA",
        care_setting="community mental health",
        category="homicide",
        description="A patient under the community mental health team was charged with homicide.",
        physical_harm="none",
    )["id"]
    api.command(
        iid,
        "classify",
        classification(national_priority="mental_health_homicide", rationale="MH-related homicide."),
    )
    required = api.get(iid)["classification"]["required_response"]
    assert required["required"] is True
    assert "Regional Independent Investigation Team" in required["refer_to"]
    # The referral, or a local PSII/AAR/MIR alongside; not a swarm huddle or thematic review.
    assert required["allowed"] == ["external_referral", "psii", "aar", "mir"]
    for wrong in ("swarm_huddle", "thematic"):
        api.refused(
            lambda w=wrong: api.command_raw(
                iid, "start-investigation", {"response_type": w, "lead": "x", "started_on": "2026-11-25"}
            ),
            422,
            "external_referral",
            f"'{wrong}' is not one of them",
        )
    refusal = api.refused(lambda: api.command_raw(iid, "close", {"closed_on": "2026-11-25"}), 409)
    assert any("Regional Independent Investigation Team" in m for m in refusal["missing"])

    api.command(
        iid,
        "start-investigation",
        {
            "response_type": "external_referral",
            "lead": "NHS England Regional Independent Investigation Team",
            "started_on": "2026-11-25",
        },
    )
    state = api.get(iid)
    assert state["status"] == "under_investigation"
    assert state["investigation"]["response_type"] == "external_referral"
    assert api.event_types(iid)[-1] == "InvestigationStarted"


def test_case8_local_aar_is_an_accepted_alternative_for_mental_health_homicide(
    api: Any, clock: FixedClock
) -> None:
    iid = api.report(category="homicide", physical_harm="none")["id"]
    api.command(iid, "classify", classification(national_priority="mental_health_homicide"))
    api.command(
        iid,
        "start-investigation",
        {"response_type": "aar", "lead": "CMHT manager", "started_on": "2026-11-25"},
    )
    assert api.get(iid)["investigation"]["response_type"] == "aar"
    api.command(iid, "submit-investigation-report", {"submitted_on": "2026-11-25", "findings": "Learning"})
    # The referral to the regional team is still owed: closing names it.
    refused = api.client.post(f"/incidents/{iid}/close", json={"closed_on": "2026-11-25"})
    assert refused.status_code == 409
    assert any("Regional Independent Investigation Team" in m for m in refused.json()["missing"])
    api.command(
        iid,
        "record-referral",
        {
            "referred_to": "NHS England Regional Independent Investigation Team",
            "referred_on": "2026-11-25",
            "reference": "RIIT/2026/17",
        },
    )
    assert api.get(iid)["referrals"][0]["reference"] == "RIIT/2026/17"
    api.command(iid, "close", {"closed_on": "2026-11-25"})
    assert api.get(iid)["status"] == "closed"
    assert "ReferralRecorded" in api.event_types(iid)


def test_default_clock_is_the_documented_instant(clock: FixedClock) -> None:
    # The hand-written due dates above assume this "now".
    assert clock.now() == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
