"""An incident's history as a readable timeline: when, who, and what in plain English.

Works on the JSON-ready events of ``IncidentService.history`` so the dashboard shows
exactly what the API returns. An event type this module does not know yet still gets an
entry ("Recorded SomethingNew"), so a new event never disappears from the timeline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from infrastructure.web.labels import harm_label, join_or, profile_label, response_label, response_name

LONDON = ZoneInfo("Europe/London")

Data = Mapping[str, Any]


@dataclass(frozen=True)
class Entry:
    """One timeline line: the recorded instant (ISO and Europe/London text), the actor,
    a plain-English sentence, longer texts (rationale, findings) and the clock changes."""

    version: int
    type: str
    recorded_at: str
    when: str
    actor: str
    sentence: str
    details: list[tuple[str, str]] = field(default_factory=list)
    clocks: list[str] = field(default_factory=list)


def london_time(instant: str) -> str:
    """``2026-06-01T09:00:00+00:00`` reads "2026-06-01 10:00 BST"."""
    moment = datetime.fromisoformat(instant).astimezone(LONDON)
    return moment.strftime("%Y-%m-%d %H:%M %Z")


def timeline(events: list[dict[str, Any]]) -> list[Entry]:
    return [entry(event) for event in events]


def entry(event: Mapping[str, Any]) -> Entry:
    data: Data = event.get("data") or {}
    kind = str(event["type"])
    describe = SENTENCES.get(kind)
    details: list[tuple[str, str]]
    if describe is None:
        sentence, details = f"Recorded {kind}", []
    else:
        sentence, details = describe(data)
    skip_clock_lines = kind in ("DeadlineApproaching", "DeadlineBreached")
    return Entry(
        version=int(event["version"]),
        type=kind,
        recorded_at=str(event["recorded_at"]),
        when=london_time(str(event["recorded_at"])),
        actor=str(event.get("actor") or "unknown"),
        sentence=sentence,
        details=[(label, text) for label, text in details if text],
        clocks=[] if skip_clock_lines else [clock_change(c) for c in data.get("clocks") or ()],
    )


def clock_change(change: Mapping[str, Any]) -> str:
    kind, what = change.get("kind", "?"), change.get("change", "?")
    reason = f" ({change['reason']})" if change.get("reason") else ""
    if what == "set":
        return f"{kind} due {change.get('due')}"
    if what == "met":
        return f"{kind} met on {change.get('on')}"
    if what == "extended":
        return f"{kind} extended to {change.get('due')}{reason}"
    if what == "waived":
        return f"{kind} waived{reason}"
    if what in ("reminded", "breached"):
        return f"{kind} {what} (due {change.get('due')})"
    return f"{kind} {what}"


Described = tuple[str, list[tuple[str, str]]]


def _reported(d: Data) -> Described:
    harm = f"{harm_label(d.get('physical_harm')).lower()} physical harm"
    if d.get("psychological_harm") not in (None, "none"):
        harm += f", {harm_label(d.get('psychological_harm')).lower()} psychological harm"
    sentence = (
        f"Reported: {d.get('category')} incident at {d.get('location')}, {harm} "
        f"({profile_label(d.get('profile'))}; provider {d.get('organisation')}, "
        f"commissioner {d.get('commissioner')})"
    )
    return sentence, [
        ("Description", str(d.get("description") or "")),
        ("Immediate actions", str(d.get("immediate_actions") or "")),
    ]


def classification_phrases(c: Data) -> list[str]:
    parts = [f"{harm_label(c.get('physical_harm')).lower()} physical harm"]
    if c.get("psychological_harm") not in (None, "none"):
        prolonged = "prolonged " if c.get("prolonged_psychological_harm") else ""
        parts.append(f"{prolonged}{harm_label(c.get('psychological_harm')).lower()} psychological harm")
    if c.get("never_event"):
        parts.append(f"Never Event {c['never_event']}")
    if c.get("national_priority"):
        parts.append(f"national priority {c['national_priority']}")
    if c.get("local_priority"):
        parts.append(f"local priority {c['local_priority']}")
    if c.get("serious_incident") is True:
        parts.append("Serious Incident")
    elif c.get("serious_incident") is False:
        parts.append("not a Serious Incident")
    parts.append(response_phrase(c.get("required_response")))
    if c.get("candour_applies"):
        parts.append("Duty of Candour applies")
    return parts


def response_phrase(required: Data | None) -> str:
    if not required:
        return "learning response left to local judgement"
    allowed = [response_label(a) for a in required.get("allowed") or ()]
    if required.get("refer_to"):
        return f"referral to {required['refer_to']} required"
    if required.get("required"):
        return f"{join_or(allowed)} required"
    return f"response agreed locally ({join_or(allowed)})"


def _classified(d: Data) -> Described:
    c: Data = d.get("classification") or {}
    sentence = "Classified: " + ", ".join(classification_phrases(c))
    required: Data = c.get("required_response") or {}
    return sentence, [
        ("Rationale", str(c.get("rationale") or "")),
        ("Why", str(required.get("reason") or "")),
    ]


def _candour_notified(d: Data) -> Described:
    given = [
        what for what, key in (("an apology", "apology_given"), ("an account", "account_given")) if d.get(key)
    ]
    manner = "in person" if d.get("in_person") else "not in person"
    extra = f", with {' and '.join(given)}" if given else ""
    return (
        f"Duty of Candour: {d.get('relevant_person')} notified {manner} on {d.get('notified_on')}{extra}",
        [],
    )


def _candour_exception(d: Data) -> Described:
    reason = {
        "declined": "the relevant person declined",
        "not_contactable": "the relevant person could not be contacted",
    }
    attempts = d.get("attempts") or []
    lines = "; ".join(f"{a.get('on')} {a.get('method')}: {a.get('outcome')}" for a in attempts)
    text = reason.get(str(d.get("reason")), str(d.get("reason")))
    return f"Duty of Candour exception: {text} ({len(attempts)} contact attempts)", [("Attempts", lines)]


def _investigation_started(d: Data) -> Described:
    coroner = " (coroner-initiated)" if d.get("coroner_initiated") else ""
    sentence = (
        f"Investigation started: {response_name(d.get('response_type'))} led by {d.get('lead')} "
        f"from {d.get('started_on')}{coroner}"
    )
    return sentence, []


def _investigated(d: Data) -> Described:
    factors, causes = d.get("contributing_factors") or [], d.get("root_causes") or []
    sentence = (
        f"Investigation report submitted on {d.get('submitted_on')} "
        f"({len(factors)} contributing factors, {len(causes)} root causes)"
    )
    return sentence, [
        ("Findings", str(d.get("findings") or "")),
        ("Contributing factors", "; ".join(map(str, factors))),
        ("Root causes", "; ".join(map(str, causes))),
    ]


def _action_agreed(d: Data) -> Described:
    sentence = (
        f"Safety action {d.get('action_id')} agreed on {d.get('agreed_on')}: owner {d.get('owner')}, "
        f"due {d.get('due')}"
    )
    return sentence, [("Action", str(d.get("description") or ""))]


def _downgrade_decided(d: Data) -> Described:
    verdict = "approved" if d.get("approved") else "rejected"
    return f"Downgrade {verdict} by the commissioner", [("Rationale", str(d.get("rationale") or ""))]


def _extended(d: Data) -> Described:
    sentence = (
        f"Deadline extended: {d.get('deadline')} now due {d.get('new_due')}, "
        f"approved by {d.get('approved_by')}"
    )
    return sentence, [("Reason", str(d.get("reason") or ""))]


def _approaching(d: Data) -> Described:
    left = d.get("working_days_left")
    return f"Deadline approaching: {d.get('kind')} due {d.get('due')} ({left} working days left)", []


SENTENCES: dict[str, Callable[[Data], Described]] = {
    "Reported": _reported,
    "Classified": _classified,
    "ReportedToCommissioner": lambda d: (
        f"Reported to the commissioner on {d.get('reported_on')} (reference {d.get('reference')})",
        [],
    ),
    "InitialReviewSubmitted": lambda d: (
        f"Initial review (72-hour report) submitted on {d.get('submitted_on')}",
        [("Summary", str(d.get("summary") or ""))],
    ),
    "CandourNotified": _candour_notified,
    "CandourLetterSent": lambda d: (
        f"Duty of Candour letter sent on {d.get('sent_on')}",
        [("Summary", str(d.get("summary") or ""))],
    ),
    "CandourExceptionRecorded": _candour_exception,
    "InvestigationStarted": _investigation_started,
    "Investigated": _investigated,
    "SafetyActionAgreed": _action_agreed,
    "SafetyActionCompleted": lambda d: (
        f"Safety action {d.get('action_id')} completed on {d.get('completed_on')}",
        [("Evidence", str(d.get("evidence") or ""))],
    ),
    "SafetyActionReviewed": lambda d: (
        f"Safety action {d.get('action_id')} reviewed: "
        + ("effective" if d.get("effective") else "not effective"),
        [("Notes", str(d.get("notes") or ""))],
    ),
    "DowngradeRequested": lambda d: (
        "Downgrade requested from the commissioner",
        [("Rationale", str(d.get("rationale") or ""))],
    ),
    "DowngradeDecided": _downgrade_decided,
    "DeadlineExtended": _extended,
    "DeadlineWaived": lambda d: (
        f"Deadline waived: {d.get('deadline')}",
        [("Reason", str(d.get("reason") or ""))],
    ),
    "DeadlineApproaching": _approaching,
    "DeadlineBreached": lambda d: (f"Deadline breached: {d.get('kind')} due {d.get('due')}", []),
    "ReferralRecorded": lambda d: (
        f"Referred to {d.get('referred_to')} on {d.get('referred_on')}",
        [("Reference", str(d.get("reference") or ""))],
    ),
    "ActionsClosed": lambda d: (f"Closed on {d.get('closed_on')}", []),
}
