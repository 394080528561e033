"""Words people read on the dashboard for the codes the engine stores."""

from __future__ import annotations

from collections.abc import Iterable

STATUS_LABELS = {
    "reported": "Reported",
    "classified": "Classified",
    "under_investigation": "Under investigation",
    "investigated": "Investigated",
    "actions_in_progress": "Actions in progress",
    "downgraded": "Downgraded",
    "closed": "Closed",
}
OPEN_STATUSES = ("reported", "classified", "under_investigation", "investigated", "actions_in_progress")

CLOCK_STATE_LABELS = {
    "pending": "Pending",
    "approaching": "Approaching",
    "breached": "Breached",
    "met": "Met",
    "met_late": "Met late",
    "waived": "Waived",
}
OPEN_CLOCK_STATES = ("pending", "approaching", "breached")

CLOCK_LABELS = {
    "commissioner_report": "Report to commissioner",
    "initial_review": "Initial review (72-hour report)",
    "candour_notification": "Duty of Candour notification",
    "investigation_report": "Investigation report",
    "learning_response": "Learning response",
    "closure_review": "Commissioner closure review",
    "action": "Safety actions",
}

PROFILE_LABELS = {"psirf-2022": "PSIRF 2022", "sif-2015": "SIF 2015"}

HARM_LABELS = {
    "none": "None",
    "low": "Low",
    "moderate": "Moderate",
    "severe": "Severe",
    "fatal": "Fatal",
}

RESPONSE_LABELS = {
    "psii": "PSII",
    "aar": "AAR",
    "mir": "MIR",
    "swarm_huddle": "swarm huddle",
    "thematic": "thematic review",
    "local_review": "local review",
    "level1": "Level 1",
    "level2": "Level 2",
    "level3": "Level 3",
    "external_referral": "external referral",
}


RESPONSE_NAMES = {
    "psii": "Patient Safety Incident Investigation (PSII)",
    "aar": "After Action Review (AAR)",
    "mir": "Multidisciplinary review (MIR)",
    "swarm_huddle": "swarm huddle",
    "thematic": "thematic review",
    "local_review": "local review",
    "level1": "Level 1 concise investigation",
    "level2": "Level 2 comprehensive investigation",
    "level3": "Level 3 independent investigation",
    "external_referral": "external referral",
}


def status_label(code: str | None) -> str:
    return STATUS_LABELS.get(code or "", code or "")


def clock_state_label(code: str | None) -> str:
    return CLOCK_STATE_LABELS.get(code or "", code or "")


def clock_label(kind: str) -> str:
    """``action:A1`` reads "Safety action A1"; other kinds by name."""
    if kind.startswith("action:"):
        return f"Safety action {kind.removeprefix('action:')}"
    return CLOCK_LABELS.get(kind, kind.replace("_", " ").capitalize())


def profile_label(code: str | None) -> str:
    return PROFILE_LABELS.get(code or "", code or "")


def harm_label(code: str | None) -> str:
    return HARM_LABELS.get(code or "", code or "")


def response_label(code: str | None) -> str:
    return RESPONSE_LABELS.get(code or "", (code or "").replace("_", " "))


def response_name(code: str | None) -> str:
    """The full name of a learning response, for sentences and the incident page."""
    return RESPONSE_NAMES.get(code or "", response_label(code))


def join_or(words: Iterable[str]) -> str:
    """``["a", "b", "c"]`` reads "a, b or c"."""
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def yes_no(value: object) -> str:
    if value is None:
        return "Not recorded"
    return "Yes" if value else "No"
