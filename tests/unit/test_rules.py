"""Derived rules: Duty of Candour applicability and the required learning response."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.enums import PhysicalHarm, Profile, ResponseType
from domain.errors import InvalidCommand
from domain.policy import Policy
from domain.rules import candour_applies, required_response

# Domain reference, PSIRF national priorities: code -> (required response, body referred to).
NATIONAL_PRIORITIES: dict[str, tuple[ResponseType, str | None]] = {
    "death_problems_in_care": (ResponseType.PSII, None),
    "death_mha_mca": (ResponseType.PSII, None),
    "never_event": (ResponseType.PSII, None),
    "mental_health_homicide": (ResponseType.EXTERNAL_REFERRAL, "Regional Independent Investigation Team"),
    "maternity_neonatal": (ResponseType.EXTERNAL_REFERRAL, "MNSI"),
    "child_death": (ResponseType.EXTERNAL_REFERRAL, "Child Death Overview Panel"),
    "learning_disability_death": (ResponseType.EXTERNAL_REFERRAL, "LeDeR"),
    "safeguarding": (ResponseType.EXTERNAL_REFERRAL, "safeguarding"),
    "screening": (ResponseType.EXTERNAL_REFERRAL, "Screening quality assurance"),
    "death_in_custody": (ResponseType.EXTERNAL_REFERRAL, "Prisons and Probation Ombudsman"),
    "domestic_abuse_death": (ResponseType.EXTERNAL_REFERRAL, "Community Safety Partnership"),
}

IN_PLAN_PERIOD = date(2025, 7, 1)


def _required(policy: Policy, profile: Profile, **overrides: Any) -> Any:
    fields: dict[str, Any] = {
        "organisation": "RXA",
        "occurred_on": IN_PLAN_PERIOD,
        "serious_incident": None,
        "never_event": None,
        "national_priority": None,
        "local_priority": None,
    }
    fields.update(overrides)
    return required_response(policy, profile, **fields)


class TestCandourApplies:
    @pytest.mark.parametrize(
        ("harm", "expected"),
        [
            (PhysicalHarm.NONE, False),
            (PhysicalHarm.LOW, False),
            (PhysicalHarm.MODERATE, True),
            (PhysicalHarm.SEVERE, True),
            (PhysicalHarm.FATAL, True),
        ],
    )
    def test_physical_harm_grades(self, harm: PhysicalHarm, expected: bool) -> None:
        assert candour_applies(harm, prolonged_psychological_harm=False) is expected

    @pytest.mark.parametrize("harm", list(PhysicalHarm))
    def test_prolonged_psychological_harm_is_notifiable_whatever_the_physical_harm(
        self, harm: PhysicalHarm
    ) -> None:
        assert candour_applies(harm, prolonged_psychological_harm=True) is True

    def test_every_harm_grade_is_covered(self) -> None:
        assert {h.value for h in PhysicalHarm} == {"none", "low", "moderate", "severe", "fatal"}


class TestNationalPriorities:
    def test_table_covers_every_shipped_priority(self, policy: Policy) -> None:
        assert {p.code for p in policy.national_priorities} == set(NATIONAL_PRIORITIES)

    @pytest.mark.parametrize(("code", "expected"), NATIONAL_PRIORITIES.items(), ids=list(NATIONAL_PRIORITIES))
    def test_required_response(
        self, policy: Policy, code: str, expected: tuple[ResponseType, str | None]
    ) -> None:
        response_type, refer_to = expected
        required = _required(policy, Profile.PSIRF_2022, national_priority=code)
        assert required is not None
        assert required.required is True
        assert required.allowed[0] is response_type
        assert code in required.reason
        if refer_to is None:
            assert required.refer_to is None
            assert required.allowed == (ResponseType.PSII,)
            assert "locally-led PSII" in required.reason
        else:
            assert required.refer_to is not None
            assert refer_to.lower() in required.refer_to.lower()
            assert required.refer_to in required.reason

    def test_local_alternatives_are_allowed_too(self, policy: Policy) -> None:
        required = _required(policy, Profile.PSIRF_2022, national_priority="mental_health_homicide")
        assert required.allowed == (
            ResponseType.EXTERNAL_REFERRAL,
            ResponseType.PSII,
            ResponseType.AAR,
            ResponseType.MIR,
        )

    def test_never_event_implies_psii_under_psirf(self, policy: Policy) -> None:
        required = _required(policy, Profile.PSIRF_2022, never_event="wrong_site_surgery")
        assert required is not None
        assert required.allowed == (ResponseType.PSII,)
        assert required.required is True
        assert "never_event" in required.reason

    def test_never_event_and_never_event_priority_are_not_doubled(self, policy: Policy) -> None:
        required = _required(
            policy, Profile.PSIRF_2022, never_event="wrong_route", national_priority="never_event"
        )
        assert required.allowed == (ResponseType.PSII,)
        assert required.reason.count("never_event") == 1

    def test_never_event_combined_with_a_referral(self, policy: Policy) -> None:
        required = _required(
            policy,
            Profile.PSIRF_2022,
            never_event="wrong_route",
            national_priority="mental_health_homicide",
        )
        # Both must be satisfied: the Never Event's PSII is the one response both allow;
        # the referral to the regional team is still named.
        assert required.allowed == (ResponseType.PSII,)
        assert "Regional Independent Investigation Team" in (required.refer_to or "")
        assert "never_event" in required.reason
        assert "mental_health_homicide" in required.reason

    def test_unknown_national_priority_is_refused(self, policy: Policy) -> None:
        with pytest.raises(InvalidCommand, match="not a known code"):
            _required(policy, Profile.PSIRF_2022, national_priority="falls")


class TestSeriousIncidentFramework:
    def test_serious_incident_needs_level_1_2_or_3(self, policy: Policy) -> None:
        required = _required(policy, Profile.SIF_2015, serious_incident=True)
        assert required is not None
        assert required.required is True
        for level in (ResponseType.LEVEL1, ResponseType.LEVEL2, ResponseType.LEVEL3):
            assert level in required.allowed
        assert ResponseType.LOCAL_REVIEW not in required.allowed
        assert ResponseType.PSII not in required.allowed

    def test_sif_never_event_that_is_serious_needs_an_si_investigation(self, policy: Policy) -> None:
        required = _required(policy, Profile.SIF_2015, serious_incident=True, never_event="wrong_route")
        assert ResponseType.LEVEL2 in required.allowed
        assert ResponseType.PSII not in required.allowed

    @pytest.mark.parametrize("serious", [False, None])
    def test_not_serious_leaves_the_response_open(self, policy: Policy, serious: bool | None) -> None:
        assert _required(policy, Profile.SIF_2015, serious_incident=serious) is None


class TestLocalPriorities:
    def test_local_priority_offers_the_plan_responses_without_requiring_one(self, policy: Policy) -> None:
        required = _required(policy, Profile.PSIRF_2022, local_priority="preventable_wounds")
        assert required is not None
        assert required.required is False
        assert set(required.allowed) == {
            ResponseType.PSII,
            ResponseType.AAR,
            ResponseType.MIR,
            ResponseType.SWARM_HUDDLE,
            ResponseType.LOCAL_REVIEW,
        }
        assert "preventable_wounds" in required.reason

    def test_national_priority_takes_precedence_over_local(self, policy: Policy) -> None:
        required = _required(
            policy, Profile.PSIRF_2022, national_priority="never_event", local_priority="insulin_errors"
        )
        assert required.required is True
        assert required.allowed == (ResponseType.PSII,)

    def test_local_priority_outside_the_plan_period_is_refused(self, policy: Policy) -> None:
        with pytest.raises(InvalidCommand, match="2026-05-01"):
            _required(
                policy, Profile.PSIRF_2022, local_priority="insulin_errors", occurred_on=date(2026, 5, 1)
            )

    def test_nothing_leaves_the_response_open(self, policy: Policy) -> None:
        assert _required(policy, Profile.PSIRF_2022) is None


def test_every_national_priority_must_be_satisfied(policy: Policy) -> None:
    """A Never Event that is also a safeguarding incident still needs its PSII."""
    response = required_response(
        policy,
        Profile.PSIRF_2022,
        organisation="RXA",
        occurred_on=date(2026, 5, 1),
        serious_incident=None,
        never_event="wrong_site_surgery",
        national_priority="safeguarding",
        local_priority=None,
    )
    assert response is not None
    assert response.allowed == (ResponseType.PSII,)
    assert response.refer_to == "Local authority safeguarding lead"
