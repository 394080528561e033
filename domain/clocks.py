"""Which deadlines an incident's facts call for, and their due dates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from domain.enums import ClockAnchor, ClockCondition, ResponseType
from domain.policy import ClockRule, FrameworkProfile, Policy
from domain.working_days import WorkingDayCalendar, add_calendar_months

LEARNING_RESPONSE = "learning_response"


@dataclass(frozen=True)
class ClockFacts:
    """What is known about an incident that the clocks depend on."""

    profile: FrameworkProfile
    organisation: str
    occurred_on: date
    anchors: Mapping[ClockAnchor, date]
    candour_applies: bool
    serious_incident: bool | None
    response_type: ResponseType | None


def due_after(
    anchor: date, calendar: WorkingDayCalendar, *, working_days: int | None, months: int | None
) -> date:
    if working_days is not None:
        return calendar.add_working_days(anchor, working_days)
    assert months is not None
    return add_calendar_months(anchor, months)


def rule_applies(rule: ClockRule, facts: ClockFacts) -> bool:
    if rule.applies is ClockCondition.CANDOUR_APPLIES and not facts.candour_applies:
        return False
    if rule.serious_incident_only and facts.serious_incident is False:
        return False
    return not rule.response_types or facts.response_type in rule.response_types


def wanted_clocks(facts: ClockFacts, policy: Policy, calendar: WorkingDayCalendar) -> dict[str, date]:
    """Kind → due date for every clock whose rule applies and whose anchor is known."""
    wanted: dict[str, date] = {}
    for rule in facts.profile.clocks:
        anchor = facts.anchors.get(rule.anchor)
        if anchor is None or rule.kind in wanted or not rule_applies(rule, facts):
            continue
        wanted[rule.kind] = due_after(
            anchor, calendar, working_days=rule.working_days, months=rule.calendar_months
        )
    started = facts.anchors.get(ClockAnchor.INVESTIGATION_STARTED)
    if started and facts.response_type and LEARNING_RESPONSE not in wanted:
        timescale = policy.timescale(facts.organisation, facts.occurred_on, facts.response_type)
        if timescale is not None:
            wanted[LEARNING_RESPONSE] = due_after(
                started,
                calendar,
                working_days=timescale.working_days,
                months=timescale.calendar_months,
            )
    return wanted


def rule_waiver_reason(profile: FrameworkProfile, kind: str, facts: ClockFacts) -> str:
    """Why a clock that was set no longer applies."""
    for rule in profile.clocks:
        if rule.kind != kind:
            continue
        if rule.applies is ClockCondition.CANDOUR_APPLIES and not facts.candour_applies:
            return "the Duty of Candour no longer applies after reclassification"
        if rule.serious_incident_only and facts.serious_incident is False:
            return "classified as not a Serious Incident"
    return "no longer applies after reclassification"
