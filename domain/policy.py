"""Policy as data: framework clocks, the Never Events list, national priorities and
local response plans, each with effective dates. Loaded from TOML and validated with
pydantic; a bad file fails at start-up naming the file and the field.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from domain.enums import ClockAnchor, ClockCondition, Profile, ResponseType
from domain.errors import InvalidCommand, PolicyError

Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClockRule(_Strict):
    """One clock of a framework profile: ``kind`` is due N working days or months after
    ``anchor``. ``response_types`` limits it to some investigation types."""

    kind: Code
    anchor: ClockAnchor
    working_days: int | None = Field(default=None, ge=0, le=400)
    calendar_months: int | None = Field(default=None, ge=0, le=60)
    applies: ClockCondition = ClockCondition.ALWAYS
    serious_incident_only: bool = False
    response_types: tuple[ResponseType, ...] = ()
    source: str = ""

    @model_validator(mode="after")
    def _one_duration(self) -> ClockRule:
        if (self.working_days is None) == (self.calendar_months is None):
            raise ValueError("give exactly one of working_days or calendar_months")
        return self

    def covers(self, response_type: ResponseType | None) -> bool:
        return not self.response_types or response_type in self.response_types


class FrameworkProfile(_Strict):
    code: Profile
    name: str
    source: str
    response_types: tuple[ResponseType, ...]
    has_serious_incident_label: bool
    has_initial_review: bool
    clocks: tuple[ClockRule, ...]

    def clock(self, kind: str) -> ClockRule | None:
        return next((c for c in self.clocks if c.kind == kind), None)


class NeverEventType(_Strict):
    code: Code
    name: str
    effective_from: date
    effective_to: date | None = None
    note: str = ""

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


class NationalPriority(_Strict):
    """A PSIRF national priority: either a locally-led PSII or a referral elsewhere."""

    code: Code
    description: str
    required_response: ResponseType
    refer_to: str | None = None
    local_alternatives: tuple[ResponseType, ...] = ()

    @model_validator(mode="after")
    def _referral_named(self) -> NationalPriority:
        if self.required_response is ResponseType.EXTERNAL_REFERRAL and not self.refer_to:
            raise ValueError("refer_to must name the body an external referral goes to")
        return self


class LocalPriority(_Strict):
    code: Code
    description: str
    responses: tuple[ResponseType, ...]


class ResponseTimescale(_Strict):
    response_type: ResponseType
    working_days: int | None = Field(default=None, ge=1, le=400)
    calendar_months: int | None = Field(default=None, ge=1, le=24)

    @model_validator(mode="after")
    def _one_duration(self) -> ResponseTimescale:
        if (self.working_days is None) == (self.calendar_months is None):
            raise ValueError("give exactly one of working_days or calendar_months")
        return self


class ResponsePlan(_Strict):
    """A provider's Patient Safety Incident Response Plan (PSIRF)."""

    name: str
    source: str = ""
    organisations: tuple[str, ...] = ()
    effective_from: date
    effective_to: date | None = None
    local_priorities: tuple[LocalPriority, ...] = ()
    timescales: tuple[ResponseTimescale, ...] = ()

    def applies_to(self, organisation: str, day: date) -> bool:
        in_period = self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)
        return in_period and (not self.organisations or organisation in self.organisations)


class CalendarPolicy(_Strict):
    extra_holidays: tuple[date, ...] = ()
    reminder_working_days: int = Field(default=2, ge=0, le=30)


class Policy(_Strict):
    profiles: tuple[FrameworkProfile, ...]
    never_events: tuple[NeverEventType, ...]
    national_priorities: tuple[NationalPriority, ...]
    response_plans: tuple[ResponsePlan, ...] = ()
    calendar: CalendarPolicy = CalendarPolicy()

    @model_validator(mode="after")
    def _unique_codes(self) -> Policy:
        checks: tuple[tuple[str, list[str]], ...] = (
            ("profiles", [p.code.value for p in self.profiles]),
            ("never_events", [n.code for n in self.never_events]),
            ("national_priorities", [n.code for n in self.national_priorities]),
        )
        for label, codes in checks:
            duplicates = sorted({str(c) for c in codes if codes.count(c) > 1})
            if duplicates:
                raise ValueError(f"{label}: duplicate codes {duplicates}")
        return self

    def profile(self, code: Profile) -> FrameworkProfile:
        for profile in self.profiles:
            if profile.code is code:
                return profile
        raise InvalidCommand(f"profile {code.value!r} is not configured in policy")

    def never_event(self, code: str, occurred_on: date) -> NeverEventType:
        """The Never Event type ``code`` if it was on the list in force on ``occurred_on``."""
        found = next((n for n in self.never_events if n.code == code), None)
        if found is None:
            known = ", ".join(n.code for n in self.never_events)
            raise InvalidCommand(f"never_event {code!r} is not a known code; use one of: {known}")
        if not found.in_force_on(occurred_on):
            in_force = ", ".join(n.code for n in self.never_events if n.in_force_on(occurred_on))
            raise InvalidCommand(
                f"never_event {code!r} ({found.name}) was not on the Never Events list in force "
                f"on {occurred_on.isoformat()}, the date the incident occurred "
                f"({_period(found.effective_from, found.effective_to)}). "
                f"Types in force then: {in_force}."
            )
        return found

    def national_priority(self, code: str) -> NationalPriority:
        found = next((n for n in self.national_priorities if n.code == code), None)
        if found is None:
            known = ", ".join(n.code for n in self.national_priorities)
            raise InvalidCommand(f"national_priority {code!r} is not a known code; use one of: {known}")
        return found

    def plans_for(self, organisation: str, day: date) -> list[ResponsePlan]:
        return [p for p in self.response_plans if p.applies_to(organisation, day)]

    def local_priority(self, code: str, organisation: str, day: date) -> LocalPriority:
        plans = self.plans_for(organisation, day)
        for plan in plans:
            for priority in plan.local_priorities:
                if priority.code == code:
                    return priority
        names = ", ".join(p.name for p in plans) or "none"
        known = ", ".join(lp.code for p in plans for lp in p.local_priorities) or "none"
        raise InvalidCommand(
            f"local_priority {code!r} is not defined by a response plan in force for "
            f"organisation {organisation!r} on {day.isoformat()} (plans in force: {names}; "
            f"their local priorities: {known}). Add or update a response plan in policy."
        )

    def timescale(
        self, organisation: str, day: date, response_type: ResponseType
    ) -> ResponseTimescale | None:
        for plan in self.plans_for(organisation, day):
            for timescale in plan.timescales:
                if timescale.response_type is response_type:
                    return timescale
        return None


def _period(start: date, end: date | None) -> str:
    return f"on the list from {start.isoformat()}" + (
        f" to {end.isoformat()}" if end else " with no end date"
    )


POLICY_FILES = ("profiles.toml", "never_events.toml", "national_priorities.toml", "calendar.toml")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise PolicyError(f"{path}: policy file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{path}: not valid TOML: {error}") from None


def _validate(model: type[_Strict], data: dict[str, Any], path: Path, entry: str = "") -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"field {'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in error.errors()
        )
        where = f" in {entry}" if entry else ""
        raise PolicyError(f"{path}: invalid policy{where}: {problems}") from None


def _entries(model: type[_Strict], data: dict[str, Any], table: str, path: Path) -> list[Any]:
    """Validate each ``[[table]]`` entry, naming the entry (number and code) on error."""
    return [
        _validate(model, item, path, f"[[{table}]] #{n} ({item.get('code', 'no code')})")
        for n, item in enumerate(data.get(table, []), start=1)
    ]


def check_policy_file(path: Path) -> str:
    """Validate one policy file on its own; return what it is. Raises PolicyError."""
    data = _read_toml(path)
    if path.name == "profiles.toml":
        profiles = _entries(FrameworkProfile, data, "profile", path)
        return f"{len(profiles)} framework profiles"
    if path.name == "never_events.toml":
        types = _entries(NeverEventType, data, "never_event", path)
        return f"{len(types)} Never Event types"
    if path.name == "national_priorities.toml":
        items = _entries(NationalPriority, data, "priority", path)
        return f"{len(items)} national priorities"
    if path.name == "calendar.toml":
        _validate(CalendarPolicy, data, path)
        return "calendar settings"
    plan: ResponsePlan = _validate(ResponsePlan, data, path)
    return f"response plan {plan.name!r} with {len(plan.local_priorities)} local priorities"


def load_policy(directory: Path | None = None) -> Policy:
    """Load and validate the whole policy directory (default: the shipped policy)."""
    root = directory if directory is not None else Path(str(resources.files("domain.policy_data")))
    data = {name: _read_toml(root / name) for name in POLICY_FILES}
    plan_paths = sorted((root / "response_plans").glob("*.toml"))
    plans = [_validate(ResponsePlan, _read_toml(p), p) for p in plan_paths]
    profiles = _entries(FrameworkProfile, data["profiles.toml"], "profile", root / "profiles.toml")
    never_events = _entries(
        NeverEventType, data["never_events.toml"], "never_event", root / "never_events.toml"
    )
    priorities = _entries(
        NationalPriority,
        data["national_priorities.toml"],
        "priority",
        root / "national_priorities.toml",
    )
    calendar_policy = _validate(CalendarPolicy, data["calendar.toml"], root / "calendar.toml")
    try:
        return Policy(
            profiles=tuple(profiles),
            never_events=tuple(never_events),
            national_priorities=tuple(priorities),
            response_plans=tuple(plans),
            calendar=calendar_policy,
        )
    except ValidationError as error:
        raise PolicyError(f"{root}: inconsistent policy: {error.errors()[0]['msg']}") from None


def never_event_codes(policy: Policy, day: date) -> Iterable[str]:
    return (n.code for n in policy.never_events if n.in_force_on(day))
