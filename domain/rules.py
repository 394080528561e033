"""Derived rules: Duty of Candour applicability and the required learning response."""

from __future__ import annotations

from datetime import date

from domain.enums import PhysicalHarm, Profile, ResponseType
from domain.policy import Policy
from domain.values import RequiredResponse

NOTIFIABLE_PHYSICAL_HARM = frozenset({PhysicalHarm.MODERATE, PhysicalHarm.SEVERE, PhysicalHarm.FATAL})
SIF_INVESTIGATIONS = (
    ResponseType.LEVEL1,
    ResponseType.LEVEL2,
    ResponseType.LEVEL3,
    ResponseType.EXTERNAL_REFERRAL,
)


def candour_applies(
    physical_harm: PhysicalHarm, prolonged_psychological_harm: bool, natural_course_death: bool = False
) -> bool:
    """Is this a notifiable safety incident (Regulation 20, Health and Social Care Act 2008
    (Regulated Activities) Regulations 2014)? Death (not from the natural course of the
    illness or underlying condition), severe or moderate harm, or prolonged psychological
    harm (28 days or more). A Never Event alone does not make it notifiable."""
    if physical_harm is PhysicalHarm.FATAL and natural_course_death:
        return prolonged_psychological_harm
    return physical_harm in NOTIFIABLE_PHYSICAL_HARM or prolonged_psychological_harm


def required_response(
    policy: Policy,
    profile: Profile,
    *,
    organisation: str,
    occurred_on: date,
    serious_incident: bool | None,
    never_event: str | None,
    national_priority: str | None,
    local_priority: str | None,
) -> RequiredResponse | None:
    """The learning response the classification calls for, or None if it is left open."""
    if profile is Profile.SIF_2015:
        if serious_incident:
            return RequiredResponse(
                allowed=SIF_INVESTIGATIONS,
                required=True,
                reason="Serious Incident: SIF 2015 requires a Level 1, 2 or 3 investigation",
            )
        return None

    codes = [c for c in (national_priority,) if c]
    if never_event and "never_event" not in codes:
        codes.append("never_event")
    if codes:
        options: list[tuple[ResponseType, ...]] = []
        reasons: list[str] = []
        refer_to: str | None = None
        for code in codes:
            priority = policy.national_priority(code)
            options.append((priority.required_response, *priority.local_alternatives))
            if priority.refer_to:
                refer_to = refer_to or priority.refer_to
                reasons.append(f"national priority {code}: refer to {priority.refer_to}")
            else:
                reasons.append(f"national priority {code}: locally-led PSII")
        # Every priority must be satisfied: a response they all allow (a Never Event with a
        # safeguarding incident still needs its PSII). If none fits all, any of them may.
        allowed = [r for r in options[0] if all(r in o for o in options[1:])]
        if not allowed:
            allowed = list(dict.fromkeys(r for o in options for r in o))
        return RequiredResponse(
            allowed=tuple(allowed), required=True, reason="; ".join(reasons), refer_to=refer_to
        )
    if local_priority:
        local = policy.local_priority(local_priority, organisation, occurred_on)
        return RequiredResponse(
            allowed=local.responses,
            required=False,
            reason=f"local priority {local_priority}: response agreed by subject experts",
        )
    return None
