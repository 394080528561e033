"""A large population of incidents, made quickly for benchmarks: domain commands run on
the aggregates in memory (every guard applies) and many aggregates are saved per
transaction through the event store."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import typer

from application.clock import FixedClock
from domain.enums import PhysicalHarm, Profile, PsychologicalHarm, ResponseType
from domain.incident import CommandContext, Incident
from domain.numbering import IncidentNumbering
from infrastructure.bootstrap import System

BATCH = 500
CATEGORIES = ("medication", "falls", "pressure ulcer", "surgery", "diagnosis", "maternity")


def populate(
    system: System,
    clock: FixedClock,
    incidents: int,
    *,
    first_identified: datetime,
    spread: timedelta,
    lifecycle: bool,
    label: str = "populate",
) -> float:
    """``incidents`` open incidents identified evenly over ``spread`` from
    ``first_identified``; with ``lifecycle`` each is also classified and most get a
    learning response and a safety action (about five events an incident). Shows a
    progress bar on stderr; returns the seconds taken."""
    started = time.perf_counter()
    with typer.progressbar(length=incidents, label=label, file=sys.stderr) as bar:
        _populate(system, clock, incidents, first_identified, spread, lifecycle, bar.update)
    return time.perf_counter() - started


def _populate(
    system: System,
    clock: FixedClock,
    incidents: int,
    first_identified: datetime,
    spread: timedelta,
    lifecycle: bool,
    progress: Callable[[int], None],
) -> None:
    service = system.service
    numbering = IncidentNumbering.start(first_identified.year, clock.now())
    for first in range(0, incidents, BATCH):
        ctx = CommandContext("loader", clock.now(), service.policy, service.calendar)
        batch = []
        for n in range(first, min(first + BATCH, incidents)):
            identified = first_identified + spread * n / incidents
            psirf = n % 2 == 0
            harm = PhysicalHarm.MODERATE if n % 3 == 0 else PhysicalHarm.LOW
            incident = Incident.report(
                ctx,
                reference=numbering.allocate(clock.now()),
                profile=Profile.PSIRF_2022 if psirf else Profile.SIF_2015,
                organisation=f"R{n % 40:02d}",
                commissioner=f"Q{n % 5}",
                occurred_at=identified - timedelta(hours=2),
                identified_at=identified,
                reported_at=identified + timedelta(hours=1),
                location=f"Ward {n % 30}",
                care_setting="acute",
                category=CATEGORIES[n % len(CATEGORIES)],
                description="benchmark incident",
                immediate_actions="",
                physical_harm=harm,
                psychological_harm=PsychologicalHarm.NONE,
                patient=None,
            )
            if lifecycle:
                _progress_lifecycle(incident, ctx, n, psirf, harm, identified)
            batch.append(incident)
        clock.advance(seconds=1)
        service.store.save(numbering, *batch)
        progress(len(batch))


def _progress_lifecycle(
    incident: Incident, ctx: CommandContext, n: int, psirf: bool, harm: PhysicalHarm, identified: datetime
) -> None:
    never_event = "wrong_site_surgery" if n % 50 == 0 else None
    incident.classify(
        ctx,
        physical_harm=harm,
        psychological_harm=PsychologicalHarm.NONE,
        prolonged_psychological_harm=False,
        never_event=never_event,
        national_priority=None,
        local_priority=None,
        serious_incident=None if psirf else n % 4 == 1 or never_event is not None,
        rationale="graded at the safety huddle",
    )
    required = incident.classification.required_response if incident.classification else None
    if required is not None and required.required:
        response = required.allowed[0]
    elif n % 3 == 0:
        response = ResponseType.AAR if psirf else ResponseType.LOCAL_REVIEW
    else:
        return
    started = identified.date() + timedelta(days=1)
    incident.start_investigation(
        ctx, response_type=response, lead="Lead", started_on=started, coroner_initiated=n % 97 == 0
    )
    incident.agree_action(
        ctx,
        action_id="A1",
        description="Safety action",
        owner="Ward manager",
        due=started + timedelta(days=60),
        agreed_on=started,
    )
