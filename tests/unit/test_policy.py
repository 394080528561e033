"""Policy as data: the shipped TOML, effective dates, and clear errors for bad files."""

from __future__ import annotations

import shutil
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from domain.enums import ClockAnchor, ClockCondition, Profile, ResponseType
from domain.errors import InvalidCommand, PolicyError
from domain.policy import Policy, check_policy_file, load_policy, never_event_codes

SHIPPED = Path(str(resources.files("domain.policy_data")))

# The list in force now, per the domain reference (Never Events framework, Feb 2021 revision).
CURRENT_NEVER_EVENTS = {
    "wrong_site_surgery",
    "wrong_implant",
    "retained_foreign_object",
    "strong_potassium",
    "wrong_route",
    "insulin_overdose",
    "methotrexate_overdose",
    "high_strength_midazolam",
    "collapsible_rails",
    "window_fall",
    "bed_rail_entrapment",
    "abo_incompatible",
    "misplaced_ng_tube",
    "scalding",
    "air_flowmeter",
}


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped policy directory."""
    target = tmp_path / "policy"
    shutil.copytree(SHIPPED, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not found in {path.name}"
    path.write_text(text.replace(old, new, 1))


class TestShippedPolicy:
    def test_loads_with_both_profiles(self, policy: Policy) -> None:
        assert {p.code for p in policy.profiles} == {Profile.SIF_2015, Profile.PSIRF_2022}

    def test_sif_profile_clocks(self, policy: Policy) -> None:
        sif = policy.profile(Profile.SIF_2015)
        assert sif.has_serious_incident_label
        assert sif.has_initial_review
        commissioner = sif.clock("commissioner_report")
        assert commissioner is not None
        assert (commissioner.anchor, commissioner.working_days) == (ClockAnchor.IDENTIFIED, 2)
        initial = sif.clock("initial_review")
        assert initial is not None
        assert (initial.anchor, initial.working_days) == (ClockAnchor.IDENTIFIED, 3)
        closure = sif.clock("closure_review")
        assert closure is not None
        assert (closure.anchor, closure.working_days) == (ClockAnchor.INVESTIGATION_SUBMITTED, 20)

    def test_psirf_profile_has_no_si_label_and_no_initial_review(self, policy: Policy) -> None:
        psirf = policy.profile(Profile.PSIRF_2022)
        assert not psirf.has_serious_incident_label
        assert not psirf.has_initial_review
        assert psirf.clock("commissioner_report") is None
        assert psirf.clock("initial_review") is None
        learning = psirf.clock("learning_response")
        assert learning is not None
        assert learning.calendar_months == 3
        assert learning.response_types == (ResponseType.PSII,)

    @pytest.mark.parametrize("profile", list(Profile))
    def test_candour_clock_is_ten_working_days_from_reporting(self, policy: Policy, profile: Profile) -> None:
        candour = policy.profile(profile).clock("candour_notification")
        assert candour is not None
        assert candour.anchor is ClockAnchor.REPORTED
        assert candour.working_days == 10
        assert candour.applies is ClockCondition.CANDOUR_APPLIES

    def test_calendar_policy_defaults(self, policy: Policy) -> None:
        assert policy.calendar.extra_holidays == ()
        assert policy.calendar.reminder_working_days == 2

    @pytest.mark.parametrize(
        "path",
        [*sorted(SHIPPED.glob("*.toml")), *sorted((SHIPPED / "response_plans").glob("*.toml"))],
        ids=lambda p: p.name,
    )
    def test_check_policy_file_accepts_each_shipped_file(self, path: Path) -> None:
        summary = check_policy_file(path)
        assert isinstance(summary, str)
        assert summary

    def test_check_policy_file_describes_contents(self) -> None:
        assert check_policy_file(SHIPPED / "profiles.toml") == "2 framework profiles"
        assert check_policy_file(SHIPPED / "national_priorities.toml") == "11 national priorities"
        assert "5 local priorities" in check_policy_file(SHIPPED / "response_plans" / "example_seed_002.toml")


class TestNeverEventsByOccurrenceDate:
    def test_list_in_force_in_2026_is_the_current_list(self, policy: Policy) -> None:
        assert set(never_event_codes(policy, date(2026, 5, 1))) == CURRENT_NEVER_EVENTS

    def test_wrong_tooth_extraction_in_force_until_31_march_2021(self, policy: Policy) -> None:
        assert policy.never_event("wrong_tooth_extraction", date(2020, 6, 1)).code == "wrong_tooth_extraction"
        assert (
            policy.never_event("wrong_tooth_extraction", date(2021, 3, 31)).code == "wrong_tooth_extraction"
        )
        for day in (date(2021, 4, 1), date(2026, 5, 1)):
            with pytest.raises(InvalidCommand):
                policy.never_event("wrong_tooth_extraction", day)

    def test_oesophageal_intubation_not_in_force_in_2026(self, policy: Policy) -> None:
        assert policy.never_event("oesophageal_intubation", date(2019, 6, 1)).code == "oesophageal_intubation"
        with pytest.raises(InvalidCommand, match="oesophageal_intubation"):
            policy.never_event("oesophageal_intubation", date(2026, 5, 1))

    def test_air_flowmeter_only_from_1_february_2018(self, policy: Policy) -> None:
        with pytest.raises(InvalidCommand):
            policy.never_event("air_flowmeter", date(2018, 1, 31))
        assert policy.never_event("air_flowmeter", date(2018, 2, 1)).code == "air_flowmeter"

    def test_refusal_names_the_occurrence_date_and_the_period(self, policy: Policy) -> None:
        with pytest.raises(InvalidCommand) as info:
            policy.never_event("wrong_tooth_extraction", date(2026, 5, 1))
        message = str(info.value)
        assert "2026-05-01" in message
        assert "2021-03-31" in message
        assert "wrong_site_surgery" in message  # lists the types in force then
        assert "wrong_tooth_extraction" not in message.split("Types in force then:")[1]

    def test_unknown_code_lists_known_codes(self, policy: Policy) -> None:
        with pytest.raises(InvalidCommand) as info:
            policy.never_event("wrong_patient", date(2026, 5, 1))
        message = str(info.value)
        assert "'wrong_patient' is not a known code" in message
        for code in CURRENT_NEVER_EVENTS:
            assert code in message


class TestNationalAndLocalPriorities:
    def test_unknown_national_priority_lists_known_codes(self, policy: Policy) -> None:
        with pytest.raises(InvalidCommand) as info:
            policy.national_priority("falls")
        assert "child_death" in str(info.value)
        assert "never_event" in str(info.value)

    @pytest.mark.parametrize("day", [date(2024, 12, 1), date(2025, 7, 1), date(2026, 4, 30)])
    def test_local_priority_inside_the_plan_period(self, policy: Policy, day: date) -> None:
        priority = policy.local_priority("insulin_errors", "RXA", day)
        assert ResponseType.AAR in priority.responses

    @pytest.mark.parametrize("day", [date(2024, 11, 30), date(2026, 5, 1)])
    def test_local_priority_outside_the_plan_period_is_refused(self, policy: Policy, day: date) -> None:
        with pytest.raises(InvalidCommand) as info:
            policy.local_priority("insulin_errors", "RXA", day)
        message = str(info.value)
        assert "'insulin_errors'" in message
        assert "'RXA'" in message
        assert day.isoformat() in message
        assert "plans in force: none" in message

    def test_unknown_local_priority_lists_the_plan_and_its_priorities(self, policy: Policy) -> None:
        with pytest.raises(InvalidCommand) as info:
            policy.local_priority("falls", "RXA", date(2025, 7, 1))
        assert "Example response plan" in str(info.value)
        assert "preventable_wounds" in str(info.value)

    def test_shipped_plan_sets_no_timescales(self, policy: Policy) -> None:
        assert policy.timescale("RXA", date(2025, 7, 1), ResponseType.AAR) is None


class TestBadPolicyFiles:
    def test_clock_with_both_durations(self, policy_copy: Path) -> None:
        _edit(policy_copy / "profiles.toml", "working_days = 2\n", "working_days = 2\ncalendar_months = 1\n")
        with pytest.raises(PolicyError) as info:
            load_policy(policy_copy)
        message = str(info.value)
        assert str(policy_copy / "profiles.toml") in message
        assert "clocks.0" in message
        assert "exactly one of working_days or calendar_months" in message

    def test_clock_with_neither_duration(self, policy_copy: Path) -> None:
        _edit(policy_copy / "profiles.toml", "working_days = 2\n", "")
        with pytest.raises(PolicyError, match="exactly one of working_days or calendar_months"):
            load_policy(policy_copy)

    def test_wrong_type(self, policy_copy: Path) -> None:
        _edit(policy_copy / "never_events.toml", "effective_from = 2018-02-01", 'effective_from = "soon"')
        with pytest.raises(PolicyError) as info:
            load_policy(policy_copy)
        assert str(policy_copy / "never_events.toml") in str(info.value)
        assert "field effective_from" in str(info.value)

    def test_negative_working_days(self, policy_copy: Path) -> None:
        _edit(policy_copy / "profiles.toml", "working_days = 60", "working_days = -60")
        with pytest.raises(PolicyError, match=r"profiles\.toml.*working_days"):
            load_policy(policy_copy)

    def test_unknown_field_is_refused(self, policy_copy: Path) -> None:
        _edit(
            policy_copy / "national_priorities.toml",
            'required_response = "psii"',
            'required_respons = "psii"',
        )
        with pytest.raises(PolicyError) as info:
            load_policy(policy_copy)
        assert "national_priorities.toml" in str(info.value)
        assert "required_respons" in str(info.value)

    def test_unknown_response_type(self, policy_copy: Path) -> None:
        _edit(
            policy_copy / "national_priorities.toml",
            'required_response = "psii"',
            'required_response = "rca"',
        )
        with pytest.raises(PolicyError, match=r"national_priorities\.toml.*required_response"):
            load_policy(policy_copy)

    def test_external_referral_must_name_the_body(self, policy_copy: Path) -> None:
        _edit(
            policy_copy / "national_priorities.toml",
            'refer_to = "Child Death Overview Panel"\n',
            "",
        )
        with pytest.raises(PolicyError, match="refer_to must name the body"):
            load_policy(policy_copy)

    def test_bad_response_plan_names_its_file(self, policy_copy: Path) -> None:
        plan = policy_copy / "response_plans" / "example_seed_002.toml"
        _edit(plan, "effective_from = 2024-12-01", "effective_from = 2024-13-01")
        with pytest.raises(PolicyError) as info:
            load_policy(policy_copy)
        assert str(plan) in str(info.value)

    def test_invalid_toml(self, policy_copy: Path) -> None:
        (policy_copy / "calendar.toml").write_text("extra_holidays = [\n")
        with pytest.raises(PolicyError, match=r"calendar\.toml: not valid TOML"):
            load_policy(policy_copy)

    def test_missing_file(self, policy_copy: Path) -> None:
        (policy_copy / "never_events.toml").unlink()
        with pytest.raises(PolicyError, match=r"never_events\.toml: policy file not found"):
            load_policy(policy_copy)

    def test_duplicate_codes(self, policy_copy: Path) -> None:
        _edit(policy_copy / "never_events.toml", 'code = "wrong_implant"', 'code = "wrong_site_surgery"')
        with pytest.raises(PolicyError, match=r"never_events: duplicate codes \['wrong_site_surgery'\]"):
            load_policy(policy_copy)

    def test_check_policy_file_reports_the_bad_field(self, policy_copy: Path) -> None:
        _edit(policy_copy / "profiles.toml", "working_days = 2\n", "working_days = 2\ncalendar_months = 1\n")
        with pytest.raises(
            PolicyError,
            match=r"profiles\.toml: invalid policy in \[\[profile\]\] #1 \(sif-2015\): field clocks\.0",
        ):
            check_policy_file(policy_copy / "profiles.toml")

    def test_configured_extra_holiday_is_loaded(self, policy_copy: Path) -> None:
        _edit(policy_copy / "calendar.toml", "extra_holidays = []", "extra_holidays = [2026-05-06]")
        assert load_policy(policy_copy).calendar.extra_holidays == (date(2026, 5, 6),)
