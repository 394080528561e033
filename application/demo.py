"""A reproducible synthetic population of incidents for demonstrations.

Everything goes through :class:`IncidentService` with the same command models the API and
the CLI use, and the deadline sweeper runs at simulated midnights (00:00 Europe/London),
so reminders and breaches appear in history exactly as a scheduler sweeping daily would
have recorded them. All choices come from ``random.Random(seed)``: the same ``(incidents,
seed)`` on an empty store gives the same event history, ids and recorded times included.

How it works: each incident's whole lifecycle is planned from its own seed (business
dates, then a recorded instant for each step on or after that date); the steps of all
incidents run in order of instant, with the clock set to each step's instant, and a sweep
runs at every midnight on which one would record something. Steps planned after the
clock's starting time ("now") do not run, so recent incidents are left open at whatever
step they had reached; about 4 % of older incidents stall part-way and stay open, their
clocks breached.

The mix follows the shared domain reference: harm roughly 68 % none, 25 % low, 6 %
moderate, 1 % severe or fatal; SIF 2015 before each provider's PSIRF switch (autumn 2023)
and PSIRF 2022 after; Never Event types weighted by the 2023/24 national counts (only
types on the list in force when the incident occurred); national priorities, and local
priorities only within the example response plan's period. Rare things are oversampled so
that a small population still shows them: every 40th incident re-enacts one of the
"realistic cases" of the domain reference in turn, and Never Events make up about 1.5 %
of reports rather than the national 0.02 %.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from uuid import UUID

from application import commands as c
from application.clock import FixedClock
from application.errors import ApplicationError
from application.incidents import IncidentService
from application.sweep import DeadlineSweeper
from domain.clocks import due_after
from domain.enums import CandourExceptionReason, PhysicalHarm, Profile, PsychologicalHarm, ResponseType
from domain.errors import DomainError
from domain.incident import Incident
from domain.policy import Policy
from domain.working_days import LONDON, WorkingDayCalendar, business_date, start_of_day

DEFAULT_START = date(2022, 4, 1)
"""First day of the simulated period: the start of reporting year 2022/23."""

SHOWCASE_EVERY = 40
"""Every 40th incident re-enacts one of the domain reference's realistic cases."""

T = TypeVar("T")

ACUTE = "acute"
MENTAL_HEALTH = "mental_health"
COMMUNITY = "community"
KINDS = (ACUTE, MENTAL_HEALTH, COMMUNITY)


# ------------------------------------------------------------------ the population


@dataclass(frozen=True)
class DemoProvider:
    """A provider (ODS-style code), its commissioner (ICB code), its kind of service, its
    relative size, and the date it moved from SIF 2015 to PSIRF 2022."""

    code: str
    commissioner: str
    kind: str
    weight: int
    psirf_from: date


PROVIDERS: tuple[DemoProvider, ...] = (
    DemoProvider("RGT", "QUE", ACUTE, 14, date(2023, 10, 2)),
    DemoProvider("RGN", "QUE", ACUTE, 9, date(2023, 11, 1)),
    DemoProvider("RT1", "QUE", MENTAL_HEALTH, 5, date(2023, 9, 1)),
    DemoProvider("RYV", "QUE", COMMUNITY, 5, date(2023, 9, 1)),
    DemoProvider("RDE", "QJG", ACUTE, 12, date(2023, 10, 2)),
    DemoProvider("RGR", "QJG", ACUTE, 6, date(2023, 12, 1)),
    DemoProvider("RM1", "QMM", ACUTE, 12, date(2023, 11, 1)),
    DemoProvider("RCX", "QMM", ACUTE, 5, date(2023, 10, 2)),
    DemoProvider("RGP", "QMM", ACUTE, 5, date(2023, 10, 2)),
    DemoProvider("RMY", "QMM", MENTAL_HEALTH, 6, date(2023, 9, 1)),
    DemoProvider("RY3", "QMM", COMMUNITY, 4, date(2023, 12, 1)),
    DemoProvider("RC9", "QHG", ACUTE, 10, date(2023, 10, 2)),
    DemoProvider("RD8", "QHG", ACUTE, 6, date(2023, 11, 1)),
)

Place = tuple[str, str]  # (location, care setting)

DEFAULT_PLACES: dict[str, tuple[Place, ...]] = {
    ACUTE: (
        ("Ward 7 (acute medicine)", "acute inpatient"),
        ("Ward 22 (care of older people)", "acute inpatient"),
        ("Ward 14 (general surgery)", "acute inpatient"),
        ("Acute medical unit", "acute inpatient"),
        ("Emergency department", "emergency care"),
        ("Intensive care unit", "critical care"),
        ("Outpatient clinic B", "outpatients"),
        ("Ward 9 (stroke unit)", "acute inpatient"),
    ),
    MENTAL_HEALTH: (
        ("Adult acute inpatient unit", "mental health inpatient"),
        ("Older adult inpatient unit", "mental health inpatient"),
        ("Psychiatric intensive care unit", "mental health inpatient"),
        ("Community mental health team", "community mental health"),
        ("Crisis resolution and home treatment team", "community mental health"),
    ),
    COMMUNITY: (
        ("Patient's home", "community nursing"),
        ("Community hospital ward", "community inpatient"),
        ("Community nursing clinic", "community nursing"),
        ("Health visiting team", "children's community services"),
        ("Care home (district nursing visit)", "community nursing"),
    ),
}


@dataclass(frozen=True)
class DemoCategory:
    """An incident category, how often it occurs per kind of provider (acute, mental
    health, community), what it looks like, and where it happens in an acute trust."""

    name: str
    weights: tuple[int, int, int]
    descriptions: tuple[str, ...]
    acute_places: tuple[Place, ...] = ()


CATEGORIES: tuple[DemoCategory, ...] = (
    DemoCategory(
        "falls",
        (18, 8, 12),
        (
            "Patient found on the floor beside the bed during the night round; unwitnessed fall.",
            "Patient slipped in the bathroom while mobilising without their walking frame.",
            "Fall from a chair in the day room; the patient had been assessed as at high risk of falls.",
        ),
    ),
    DemoCategory(
        "medication",
        (16, 15, 18),
        (
            "Prescribed dose omitted on the evening drug round; noticed at the next round.",
            "Wrong strength of tablet dispensed on discharge; the patient took two doses at home.",
            "Antibiotic given to a patient with a documented penicillin allergy.",
            "Insulin dose not given before the evening meal; blood glucose raised the next morning.",
        ),
    ),
    DemoCategory(
        "pressure ulcer",
        (9, 1, 26),
        (
            "Category 3 pressure ulcer found on the sacrum; repositioning not recorded for two days.",
            "Heel pressure damage found at a home visit; the pressure-relieving boot was not in use.",
            "Device-related pressure damage under an oxygen mask strap.",
        ),
    ),
    DemoCategory(
        "treatment delay",
        (12, 6, 8),
        (
            "Referral for a suspected cancer was not sent for three weeks.",
            "Delay of five hours before sepsis antibiotics were given in the department.",
            "Follow-up appointment not booked after the clinic; the patient was lost to follow-up.",
        ),
    ),
    DemoCategory(
        "diagnosis",
        (7, 2, 2),
        (
            "Fracture missed on the initial X-ray; the patient re-attended with continued pain.",
            "Abnormal blood result not acted on for a week.",
            "Imaging report with an incidental finding was filed without review.",
        ),
        (("Radiology department", "diagnostics"), ("Emergency department", "emergency care")),
    ),
    DemoCategory(
        "surgery",
        (7, 0, 0),
        (
            "Procedure cancelled after induction because the consent form was incomplete.",
            "Unplanned return to theatre for bleeding after a laparoscopic procedure.",
            "Instrument count discrepancy at the end of the list; resolved on recount.",
        ),
        (
            ("Main theatres, theatre 3", "theatres"),
            ("Day surgery unit", "theatres"),
            ("Orthopaedic theatre", "theatres"),
        ),
    ),
    DemoCategory(
        "maternity",
        (7, 0, 0),
        (
            "Delay in escalating an abnormal fetal heart rate trace.",
            "Postpartum haemorrhage; the escalation to the obstetric registrar was delayed.",
            "Baby admitted to the neonatal unit after a difficult instrumental birth.",
        ),
        (("Labour ward", "maternity"), ("Birth centre", "maternity"), ("Neonatal unit", "neonatal care")),
    ),
    DemoCategory(
        "infection control",
        (4, 2, 3),
        (
            "Patient with C. difficile not isolated for two days after the result was known.",
            "Hospital-onset COVID-19 in a bay after a contact was not identified.",
            "Line infection after a peripheral cannula stayed in beyond 72 hours.",
        ),
    ),
    DemoCategory(
        "discharge and transfer",
        (6, 3, 4),
        (
            "Discharged without the planned district nursing referral.",
            "Transferred between wards without a handover of the nil-by-mouth status.",
            "Discharge letter sent to the wrong GP practice.",
        ),
    ),
    DemoCategory(
        "communication and documentation",
        (6, 6, 6),
        (
            "Allergy status missing from the electronic record after a system migration.",
            "Care plan not updated after the multidisciplinary review.",
            "Letter containing the patient's details sent to the wrong address.",
        ),
    ),
    DemoCategory(
        "medical device",
        (4, 0, 4),
        (
            "Infusion pump alarm not responded to; the infusion ran dry.",
            "Syringe driver found with the wrong rate set at a home visit.",
            "Blood glucose meter failed its quality control check but remained in use.",
        ),
    ),
    DemoCategory(
        "deteriorating patient",
        (5, 4, 3),
        (
            "Early warning score of 7 not escalated for four hours.",
            "Physical health observations not recorded for two days on the inpatient unit.",
            "Signs of sepsis not recognised at a home visit.",
        ),
    ),
    DemoCategory(
        "self-harm",
        (2, 24, 1),
        (
            "Patient self-harmed using an item missed at the room search.",
            "Patient on enhanced observations self-harmed during a change of shift.",
            "Overdose of prescribed medication by a patient under the crisis team.",
        ),
    ),
    DemoCategory(
        "violence and aggression",
        (1, 14, 0),
        (
            "Patient assaulted another patient in the communal lounge.",
            "Member of staff injured while restraining an agitated patient.",
        ),
    ),
    DemoCategory(
        "absent without leave",
        (0, 7, 0),
        (
            "Detained patient did not return from section 17 leave.",
            "Patient left the ward by following a visitor through the airlock.",
        ),
    ),
    DemoCategory(
        "safeguarding",
        (2, 8, 9),
        (
            "Concerns about neglect at home not escalated to the safeguarding team.",
            "Disclosure of domestic abuse not recorded or referred.",
            "Child protection plan not shared with the health visiting team.",
        ),
    ),
    DemoCategory(
        "bowel care",
        (1, 3, 4),
        (
            "Constipation not identified for six days; the patient needed admission.",
            "Bowel chart not kept for a patient on clozapine.",
        ),
    ),
    DemoCategory(
        "nutrition and feeding",
        (2, 1, 1),
        (
            "Patient on a modified diet given a normal-texture meal; coughing episode.",
            "Enteral feed not restarted after a procedure for 18 hours.",
        ),
    ),
)


@dataclass(frozen=True)
class DemoNeverEvent:
    """A Never Event type: its 2023/24 national count (the weight), category, kinds of
    provider where it happens, where, and what happened."""

    code: str
    weight: int
    category: str
    kinds: tuple[str, ...]
    place: Place
    description: str


NEVER_EVENTS: tuple[DemoNeverEvent, ...] = (
    DemoNeverEvent(
        "wrong_site_surgery",
        179,
        "surgery",
        (ACUTE,),
        ("Main theatres, theatre 4", "theatres"),
        "Procedure performed on the wrong side: the site marking did not match the consent form.",
    ),
    DemoNeverEvent(
        "retained_foreign_object",
        81,
        "surgery",
        (ACUTE,),
        ("Main theatres, theatre 2", "theatres"),
        "Surgical swab retained after an abdominal procedure; found on imaging.",
    ),
    DemoNeverEvent(
        "wrong_implant",
        37,
        "surgery",
        (ACUTE,),
        ("Orthopaedic theatre", "theatres"),
        "Wrong size of femoral component implanted during a hip replacement.",
    ),
    DemoNeverEvent(
        "misplaced_ng_tube",
        22,
        "nutrition and feeding",
        (ACUTE, COMMUNITY),
        ("Ward 9 (stroke unit)", "acute inpatient"),
        "Nasogastric tube position not confirmed before the feed started; the tube was in the lung.",
    ),
    DemoNeverEvent(
        "wrong_route",
        20,
        "medication",
        (ACUTE, MENTAL_HEALTH, COMMUNITY),
        ("Ward 7 (acute medicine)", "acute inpatient"),
        "Oral liquid medicine drawn up in an intravenous syringe and given intravenously.",
    ),
    DemoNeverEvent(
        "abo_incompatible",
        10,
        "blood transfusion",
        (ACUTE,),
        ("Haematology day unit", "acute day case"),
        "ABO-incompatible red cells transfused after the bedside identity check was missed.",
    ),
    DemoNeverEvent(
        "insulin_overdose",
        10,
        "medication",
        (ACUTE, COMMUNITY),
        ("Ward 22 (care of older people)", "acute inpatient"),
        "Insulin dose written as '10U' and read as 100 units; the patient became hypoglycaemic.",
    ),
    DemoNeverEvent(
        "air_flowmeter",
        3,
        "oxygen therapy",
        (ACUTE,),
        ("Acute medical unit", "acute inpatient"),
        "Patient needing oxygen was connected to the medical air flowmeter.",
    ),
    DemoNeverEvent(
        "methotrexate_overdose",
        3,
        "medication",
        (ACUTE, COMMUNITY),
        ("Patient's home", "community nursing"),
        "Methotrexate for rheumatoid arthritis given daily instead of weekly.",
    ),
    DemoNeverEvent(
        "strong_potassium",
        2,
        "medication",
        (ACUTE,),
        ("Intensive care unit", "critical care"),
        "Strong potassium chloride selected instead of a sodium chloride flush.",
    ),
    DemoNeverEvent(
        "scalding",
        1,
        "burns and scalds",
        (ACUTE, COMMUNITY),
        ("Community hospital ward", "community inpatient"),
        "Patient scalded by bath water that was not temperature-checked.",
    ),
    DemoNeverEvent(
        "window_fall",
        1,
        "falls",
        (ACUTE, MENTAL_HEALTH),
        ("Adult acute inpatient unit", "mental health inpatient"),
        "Patient fell from a window whose restrictor had been removed.",
    ),
    DemoNeverEvent(
        "collapsible_rails",
        1,
        "self-harm",
        (MENTAL_HEALTH,),
        ("Adult acute inpatient unit", "mental health inpatient"),
        "Non-collapsible curtain rail in a bedroom used as a ligature point.",
    ),
)

SHOWCASE_CASES = (
    "wrong_lesion",
    "oral_given_iv",
    "ng_tube_death",
    "swab_found_later",
    "candour_declined",
    "natural_course_death",
    "oesophageal_intubation",
    "mental_health_homicide",
)
"""The eight realistic cases of the shared domain reference, in its order."""

FIRST_NAMES = (
    "Alex", "Sam", "Jordan", "Priya", "Mohammed", "Olivia", "George", "Amelia", "Harry", "Isla",
    "Noah", "Ava", "Jack", "Sophie", "Arjun", "Grace", "Thomas", "Chloe", "Daniel", "Fatima",
    "Edward", "Hannah", "Kwame", "Zara",
)  # fmt: skip
SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Khan", "Okafor", "Nowak", "Clarke", "Lewis", "Hughes",
)  # fmt: skip
IMMEDIATE_ACTIONS = (
    "Patient reviewed by the doctor on call; observations stable.",
    "Nurse in charge informed; patient and family told what happened.",
    "Area made safe and the equipment quarantined.",
    "Medication chart reviewed with the pharmacist.",
    "Escalated to the site manager; additional observations started.",
)
LEADS = (
    "Patient Safety Investigator",
    "Patient Safety Specialist",
    "Consultant (clinical lead for the specialty)",
    "Matron for the division",
    "Head of Nursing, Quality and Safety",
    "Independent investigator (commissioned)",
)
CONTRIBUTING_FACTORS = (
    "staffing below the planned level on the shift",
    "handover did not include the key risk",
    "policy not known to temporary staff",
    "equipment design allows the error",
    "competing priorities and interruptions",
    "electronic record did not prompt the check",
    "training overdue for the staff group",
    "patient moved between wards twice",
)
ROOT_CAUSES = (
    "no reliable safety check at the point of care",
    "escalation pathway unclear out of hours",
    "system design relied on memory and vigilance",
    "learning from previous incidents not embedded",
)
ACTIONS = (
    ("Revise the standard operating procedure and circulate it", "Clinical Governance Lead"),
    ("Deliver targeted training to the ward team", "Practice Development Nurse"),
    ("Introduce a safety checklist at the point of care", "Matron for the division"),
    ("Audit compliance monthly for three months", "Ward Manager"),
    ("Share the learning in the trust safety bulletin", "Patient Safety Specialist"),
    ("Replace the equipment with a safer design", "Head of Medical Devices"),
    ("Add a prompt to the electronic record", "Chief Clinical Information Officer"),
)


# ------------------------------------------------------------------ summary


@dataclass
class DemoSummary:
    """What ``load_demo`` recorded, for the CLI to print (``dataclasses.asdict``)."""

    seed: int
    incidents: int = 0
    events: int = 0
    start: str = ""
    end: str = ""
    by_profile: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    by_provider: dict[str, int] = field(default_factory=dict)
    closed: int = 0
    downgraded: int = 0
    open: int = 0
    serious_incidents: int = 0
    never_events: int = 0
    national_priorities: int = 0
    local_priorities: int = 0
    investigations: dict[str, int] = field(default_factory=dict)
    coroner_initiated: int = 0
    candour_applies: int = 0
    candour_notified: int = 0
    candour_letters: int = 0
    candour_exceptions: int = 0
    safety_actions: int = 0
    actions_completed: int = 0
    actions_reviewed: int = 0
    extensions: int = 0
    downgrades_requested: int = 0
    downgrades_approved: int = 0
    reclassifications: int = 0
    sweeps: int = 0
    reminders: int = 0
    breaches: int = 0
    steps: int = 0
    sweep_refusals: int = 0
    errors: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ the generator


def load_demo(
    service: IncidentService,
    sweeper: DeadlineSweeper,
    clock: FixedClock,
    incidents: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    *,
    start: date = DEFAULT_START,
    sweep_every_day: bool = False,
) -> DemoSummary:
    """Load ``incidents`` synthetic incidents reported between ``start`` and shortly before
    the clock's current time ("now"), with the deadline sweeps a daily scheduler would run.

    ``service`` must run on ``clock`` (the sweeper's service too): the clock is moved to
    each step's instant and left at "now" at the end. ``progress``, if given, is called
    with the number of incidents reported since its previous call (an increment, as for
    ``typer.progressbar(...).update``). Meant for an empty store: the same ``(incidents,
    seed)`` and "now" then give the same event history. A step a domain guard refuses is
    listed in ``errors`` and that incident's later steps are skipped.

    The sweep runs at 00:00 Europe/London of every simulated day on which a scheduler
    sweeping daily would record a reminder or a breach (found from the clocks the events
    set), and once more at "now"; ``sweep_every_day`` sweeps every midnight instead, which
    is slower and records exactly the same events.
    """
    if incidents < 0:
        raise ValueError("incidents must not be negative")
    if service.clock is not clock:
        raise ValueError("the service must run on the clock given to load_demo")
    end = clock.now()
    if business_date(end) < start + timedelta(days=90):
        raise ValueError(f"the clock ({end.isoformat()}) must read at least 90 days after {start}")
    head = service.event_count()
    planner = _Planner(service.policy, service.calendar, start, end)
    steps = planner.schedule(incidents, seed)
    summary = DemoSummary(seed=seed, start=start.isoformat(), end=end.isoformat())
    runner = _Runner(service, sweeper, clock, summary, incidents, progress)
    days = _EveryDay(start) if sweep_every_day else _SweepDays(service, head)
    for step in steps:
        if step.instant > end:
            break
        days.sweep_until(step.instant, runner.sweep)
        runner.run(step)
    days.sweep_until(end, runner.sweep)
    runner.sweep(end)
    clock.set(end)
    runner.finish()
    summary.events = service.event_count() - head
    return summary


@dataclass(frozen=True)
class _Step:
    instant: datetime
    incident: int
    seq: int
    name: str
    command: c.Input
    actor: str


@dataclass
class _Draft:
    day: date
    seq: int
    name: str
    command: c.Input
    actor: str


@dataclass
class _Case:
    """One incident's facts, drawn before its lifecycle is planned."""

    index: int
    rng: random.Random
    provider: DemoProvider
    profile: Profile
    category: str
    place: Place
    description: str
    occurred: datetime
    identified: datetime
    reported: datetime
    reported_harm: PhysicalHarm
    harm: PhysicalHarm
    psychological: PsychologicalHarm = PsychologicalHarm.NONE
    prolonged: bool = False
    age: int = 60
    never_event: str | None = None
    national: str | None = None
    local: str | None = None
    serious: bool | None = None
    showcase: str | None = None
    natural_course: bool = False
    coroner: bool = False
    candour_exception: CandourExceptionReason | None = None
    patient: c.PatientDetails | None = None

    @property
    def reported_on(self) -> date:
        return business_date(self.reported)

    @property
    def identified_on(self) -> date:
        return business_date(self.identified)

    @property
    def occurred_on(self) -> date:
        return business_date(self.occurred)

    @property
    def candour(self) -> bool:
        notifiable = self.harm in (PhysicalHarm.MODERATE, PhysicalHarm.SEVERE, PhysicalHarm.FATAL)
        return notifiable or self.prolonged


class _Planner:
    """Draws each incident's facts and plans its lifecycle as dated commands."""

    def __init__(self, policy: Policy, calendar: WorkingDayCalendar, start: date, end: datetime) -> None:
        self.policy = policy
        self.calendar = calendar
        self.start = datetime.combine(start, time(0), tzinfo=LONDON)
        self.end = end
        self.latest_occurrence = end - timedelta(hours=30)
        plans = [p for p in policy.response_plans if p.local_priorities]
        self.local_codes = {lp.code for p in plans for lp in p.local_priorities}

    # ---------------------------------------------------------------- facts

    def schedule(self, incidents: int, seed: int) -> Iterator[_Step]:
        """Every incident's steps, in order of recorded instant (then incident, then step).

        Each incident is planned from its own seed, drawn in turn from ``Random(seed)``, when
        the schedule reaches its report, so only incidents under way are held in memory.
        """
        master = random.Random(seed)
        seeds = [master.getrandbits(64) for _ in range(incidents)]
        reports = sorted(
            (self._draw(index, random.Random(s)).reported.astimezone(UTC), index)
            for index, s in enumerate(seeds)
        )
        queue: list[tuple[datetime, int, int, _Step]] = []
        position = 0
        while position < len(reports) or queue:
            while position < len(reports) and (not queue or (*reports[position], 0) <= queue[0][:3]):
                index = reports[position][1]
                for step in self.plan(index, random.Random(seeds[index])):
                    heapq.heappush(queue, (step.instant, step.incident, step.seq, step))
                position += 1
            yield heapq.heappop(queue)[3]

    def plan(self, index: int, rng: random.Random) -> list[_Step]:
        """Incident ``index``'s steps; its first step, the report, is at ``case.reported``."""
        case = self._draw(index, rng)
        lifecycle = _Lifecycle(self, case)
        lifecycle.build()
        return lifecycle.steps()

    def _occurrence(self, rng: random.Random, before: date | None = None) -> datetime:
        latest = self.latest_occurrence
        if before is not None:
            latest = min(latest, datetime.combine(before, time(0), tzinfo=LONDON) - timedelta(days=21))
        if latest <= self.start:
            latest = self.latest_occurrence
        span = int((latest - self.start).total_seconds())
        return (self.start + timedelta(seconds=rng.randint(0, span))).astimezone(LONDON)

    def _draw(self, index: int, rng: random.Random) -> _Case:
        showcase = SHOWCASE_CASES[(index // SHOWCASE_EVERY) % 8] if index % SHOWCASE_EVERY == 20 else None
        kind = None
        if showcase == "mental_health_homicide":
            kind = MENTAL_HEALTH
        elif showcase is not None and showcase != "candour_declined":
            kind = ACUTE
        provider = _provider(rng, kind)
        before = provider.psirf_from if showcase == "natural_course_death" else None
        occurred = self._occurrence(rng, before)
        category_spec = _weighted(
            rng, CATEGORIES, [c.weights[KINDS.index(provider.kind)] for c in CATEGORIES]
        )
        place = _place(rng, provider.kind, category_spec)
        case = _Case(
            index=index,
            rng=rng,
            provider=provider,
            profile=Profile.PSIRF_2022,
            category=category_spec.name,
            place=place,
            description=rng.choice(category_spec.descriptions),
            occurred=occurred,
            identified=occurred,
            reported=occurred,
            reported_harm=PhysicalHarm.NONE,
            harm=PhysicalHarm.NONE,
            showcase=showcase,
        )
        self._harm(case)
        if showcase is not None:
            self._showcase(case, showcase)
        else:
            self._maybe_never_event(case)
        self._times(case)
        case.profile = Profile.SIF_2015 if case.reported_on < provider.psirf_from else Profile.PSIRF_2022
        self._patient(case)
        if case.profile is Profile.SIF_2015:
            self._classify_sif(case)
        else:
            self._classify_psirf(case)
        return case

    def _harm(self, case: _Case) -> None:
        rng = case.rng
        r = rng.random()
        harm = (
            PhysicalHarm.NONE
            if r < 0.68
            else PhysicalHarm.LOW
            if r < 0.93
            else PhysicalHarm.MODERATE
            if r < 0.99
            else PhysicalHarm.SEVERE
            if r < 0.996
            else PhysicalHarm.FATAL
        )
        case.harm = harm
        case.reported_harm = harm
        r = rng.random()
        if harm is PhysicalHarm.MODERATE and r < 0.08:
            case.harm = PhysicalHarm.LOW  # on review, less harm than first reported
        elif harm is PhysicalHarm.LOW and r < 0.03:
            case.harm = PhysicalHarm.MODERATE  # on review, more
        elif harm is PhysicalHarm.NONE and r < 0.05:
            case.reported_harm = PhysicalHarm.LOW
        if case.harm in (PhysicalHarm.MODERATE, PhysicalHarm.SEVERE, PhysicalHarm.FATAL):
            case.psychological = rng.choice(
                (PsychologicalHarm.LOW, PsychologicalHarm.MODERATE, PsychologicalHarm.NONE)
            )
        elif rng.random() < 0.1:
            case.psychological = PsychologicalHarm.LOW
        elif rng.random() < 0.01:
            case.psychological = PsychologicalHarm.MODERATE
            case.prolonged = True  # prolonged psychological harm makes candour notifiable
        if case.harm is PhysicalHarm.FATAL and case.category != "self-harm":
            case.natural_course = rng.random() < 0.3  # found at review to be the natural course

    def _maybe_never_event(self, case: _Case) -> None:
        rng = case.rng
        rate = 0.006 if case.provider.kind == ACUTE else 0.002
        if rng.random() >= rate:
            return
        in_force = {n.code for n in self.policy.never_events if n.in_force_on(case.occurred_on)}
        options = [n for n in NEVER_EVENTS if case.provider.kind in n.kinds and n.code in in_force]
        if not options:
            return
        spec = _weighted(rng, options, [n.weight for n in options])
        self._apply_never_event(case, spec)
        r = rng.random()
        case.harm = (
            PhysicalHarm.NONE
            if r < 0.3
            else PhysicalHarm.LOW
            if r < 0.65
            else PhysicalHarm.MODERATE
            if r < 0.9
            else PhysicalHarm.SEVERE
            if r < 0.97
            else PhysicalHarm.FATAL
        )
        case.reported_harm = case.harm
        case.natural_course = False

    def _apply_never_event(self, case: _Case, spec: DemoNeverEvent) -> None:
        case.never_event = spec.code
        case.category = spec.category
        case.place = spec.place if case.provider.kind == ACUTE else _place(case.rng, case.provider.kind, None)
        case.description = spec.description

    def _showcase(self, case: _Case, name: str) -> None:
        """The realistic cases of the shared domain reference."""
        spec = {n.code: n for n in NEVER_EVENTS}
        case.natural_course = False
        case.psychological = PsychologicalHarm.NONE
        case.prolonged = False
        if name == "wrong_lesion":
            self._apply_never_event(case, spec["wrong_site_surgery"])
            case.place = ("Dermatology minor operations", "outpatients")
            case.description = (
                "Wrong skin lesion excised: the lesion marked on the diagram was not the one removed."
            )
            case.harm = PhysicalHarm.NONE
        elif name == "oral_given_iv":
            self._apply_never_event(case, spec["wrong_route"])
            case.description = "Oral medicine given intravenously; the patient needed treatment in ICU."
            case.harm = PhysicalHarm.MODERATE
        elif name == "ng_tube_death":
            self._apply_never_event(case, spec["misplaced_ng_tube"])
            case.description = "Naso-gastric tube misplaced and the feed started; the patient died."
            case.harm = PhysicalHarm.FATAL
            case.coroner = True
        elif name == "swab_found_later":
            self._apply_never_event(case, spec["retained_foreign_object"])
            case.description = (
                "Swab found on a CT scan six weeks after surgery; removed at a second operation."
            )
            case.harm = PhysicalHarm.MODERATE
        elif name == "candour_declined":
            case.category = "falls"
            case.place = _place(case.rng, case.provider.kind, None)
            case.description = (
                "Fall on the ward with a fractured wrist; the patient declined a candour meeting."
            )
            case.harm = PhysicalHarm.MODERATE
            case.candour_exception = CandourExceptionReason.DECLINED
        elif name == "natural_course_death":
            case.category = "deteriorating patient"
            case.place = ("Ward 22 (care of older people)", "acute inpatient")
            case.description = (
                "Unexpected death reported; the initial review found the natural course of illness."
            )
            case.harm = PhysicalHarm.FATAL
            case.natural_course = True
        elif name == "oesophageal_intubation":
            case.category = "airway management"
            case.place = ("Emergency department", "emergency care")
            case.description = (
                "Undetected oesophageal intubation during a resuscitation; recognised by capnography "
                "after four minutes (suspended from the Never Events list: not a Never Event)."
            )
            case.harm = PhysicalHarm.SEVERE
        elif name == "mental_health_homicide":
            case.category = "violence and aggression"
            case.place = ("Community mental health team", "community mental health")
            case.description = "A person under the care of the community team was charged with a homicide."
            case.harm = PhysicalHarm.FATAL
        case.reported_harm = case.harm

    def _times(self, case: _Case) -> None:
        rng = case.rng
        occurred = case.occurred
        r = rng.random()
        if case.showcase == "swab_found_later":
            delay = timedelta(days=42, hours=rng.randint(0, 8))
        elif (case.category == "pressure ulcer" and r < 0.4) or r < 0.05:
            delay = timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 10))
        elif r < 0.15:
            delay = timedelta(hours=rng.randint(3, 60))
        else:
            delay = timedelta(minutes=rng.randint(0, 180))
        identified = occurred + delay
        r = rng.random()
        if r < 0.7:
            lag = timedelta(minutes=rng.randint(5, 240))
        elif r < 0.96:
            lag = timedelta(hours=rng.randint(4, 36))
        else:
            lag = timedelta(days=rng.randint(2, 9))
        reported = identified + lag
        latest = self.end - timedelta(hours=1)
        if reported > latest:  # keep the whole incident in the past
            shift = reported - latest
            occurred, identified, reported = occurred - shift, identified - shift, reported - shift
        case.occurred = occurred.replace(microsecond=0)
        case.identified = identified.replace(microsecond=0)
        case.reported = reported.replace(microsecond=0)

    def _patient(self, case: _Case) -> None:
        rng = case.rng
        if case.category in ("maternity",):
            age = rng.randint(18, 44)
        elif case.category in ("falls", "pressure ulcer", "bowel care"):
            age = rng.randint(60, 99)
        elif case.provider.kind == MENTAL_HEALTH:
            age = rng.randint(16, 85)
        elif (case.category == "safeguarding" and rng.random() < 0.5) or rng.random() < 0.05:
            age = rng.randint(0, 15)
        else:
            age = min(99, int(rng.triangular(18, 99, 75)))
        case.age = age
        if rng.random() < 0.08 and case.harm is PhysicalHarm.NONE:
            return  # no patient involved (e.g. a near miss found before it reached anyone)
        occurred_on = case.occurred_on
        born = date(occurred_on.year - age - 1, occurred_on.month, 1) + timedelta(days=rng.randint(0, 364))
        born = min(born, occurred_on)
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        case.patient = c.PatientDetails(nhs_number=_nhs_number(rng), name=name, date_of_birth=born)

    def _in_local_plan(self, case: _Case) -> bool:
        return bool(self.policy.plans_for(case.provider.code, case.occurred_on))

    def _classify_sif(self, case: _Case) -> None:
        rng = case.rng
        harm = case.harm
        if case.never_event is not None or harm is PhysicalHarm.FATAL:
            case.serious = True  # Never Events, unexpected deaths and homicides are SIs
        elif harm is PhysicalHarm.SEVERE:
            case.serious = rng.random() < 0.75
        elif harm is PhysicalHarm.MODERATE:
            case.serious = rng.random() < 0.15 and case.showcase is None
        else:
            case.serious = harm is PhysicalHarm.NONE and rng.random() < 0.002  # a near miss judged serious

    def _classify_psirf(self, case: _Case) -> None:
        rng = case.rng
        harm = case.harm
        kind = case.provider.kind
        if case.never_event is not None:
            case.national = "never_event"
            return
        if case.showcase == "mental_health_homicide":
            case.national = "mental_health_homicide"
            return
        if case.showcase is not None:
            return
        if harm is PhysicalHarm.FATAL and not case.natural_course:
            if case.age < 18:
                case.national = "child_death"
            elif case.category == "maternity":
                case.national = "maternity_neonatal"
            elif kind == MENTAL_HEALTH and rng.random() < 0.4:
                case.national = "death_mha_mca"
            elif rng.random() < 0.1:
                case.national = "learning_disability_death"
            else:
                case.national = "death_problems_in_care"
            return
        harmed = harm in (PhysicalHarm.SEVERE, PhysicalHarm.MODERATE)
        if case.category == "maternity" and harm is PhysicalHarm.SEVERE:
            case.national = "maternity_neonatal"
            return
        if case.category == "safeguarding" and harmed and rng.random() < 0.4:
            case.national = "safeguarding"
            return
        if case.category == "diagnosis" and harm is not PhysicalHarm.NONE and rng.random() < 0.05:
            case.national = "screening"
            return
        if not self._in_local_plan(case) or harm is PhysicalHarm.NONE:
            return
        local = {
            "pressure ulcer": "preventable_wounds",
            "bowel care": "constipation",
            "safeguarding": "safeguarding_escalation",
        }.get(case.category)
        if case.category == "medication" and "Insulin" in case.description:
            local = "insulin_errors"
        if case.category == "safeguarding" and kind == COMMUNITY and rng.random() < 0.3:
            local = "large_sibling_groups"
        if local is not None and local in self.local_codes and rng.random() < 0.7:
            case.local = local


class _Lifecycle:
    """Plans one incident's commands from report to closure (or as far as it gets)."""

    def __init__(self, planner: _Planner, case: _Case) -> None:
        self.planner = planner
        self.case = case
        self.rng = case.rng
        self.calendar = planner.calendar
        self.drafts: list[_Draft] = []
        code = case.provider.code.lower()
        self.staff = f"staff.{code}"
        self.safety = f"patient-safety.{code}"
        self.commissioner = f"quality.{case.provider.commissioner.lower()}"
        self.approver = f"Head of Quality, {case.provider.commissioner} ICB"
        self.ready = case.reported_on  # the day everything before closure is done by

    # ---------------------------------------------------------------- helpers

    def add(self, day: date, name: str, command: c.Input, actor: str | None = None) -> None:
        self.drafts.append(_Draft(day, len(self.drafts), name, command, actor or self.safety))

    def wd(self, day: date, n: int) -> date:
        return self.calendar.add_working_days(day, max(0, n))

    def between(self, first: date, last: date) -> date:
        """A working day from ``first`` to ``last`` (``first`` if the range is empty)."""
        if last <= first:
            return first
        return self.wd(first, self.rng.randint(0, self.calendar.working_days_between(first, last)))

    def due(self, kind: str, anchor: date, response: ResponseType | None = None) -> date | None:
        """The due date the policy sets for clock ``kind`` counted from ``anchor``."""
        case = self.case
        for rule in self.planner.policy.profile(case.profile).clocks:
            if rule.kind == kind and rule.covers(response):
                return due_after(
                    anchor, self.calendar, working_days=rule.working_days, months=rule.calendar_months
                )
        if kind == "learning_response" and response is not None:
            timescale = self.planner.policy.timescale(case.provider.code, case.occurred_on, response)
            if timescale is not None:
                return due_after(
                    anchor,
                    self.calendar,
                    working_days=timescale.working_days,
                    months=timescale.calendar_months,
                )
        return None

    def steps(self) -> list[_Step]:
        """The drafts in order, each with a recorded instant on or after its business date."""
        case, rng = self.case, self.rng
        drafts = sorted(self.drafts, key=lambda d: (d.day, d.seq))
        old = case.reported_on < self.planner.end.date() - timedelta(days=200)
        if case.showcase is None and old and rng.random() < 0.04:
            # an older incident that stalled: still open, its clocks running
            drafts = drafts[: rng.randint(1, max(1, len(drafts) - 1))]
        cursor = case.reported.astimezone(UTC)
        steps: list[_Step] = []
        for seq, draft in enumerate(drafts):
            if seq == 0:
                instant = cursor
            else:
                minutes = rng.randint(0, 9 * 60 + 30)
                instant = datetime.combine(draft.day, time(8, 0), tzinfo=LONDON) + timedelta(minutes=minutes)
                instant = instant.astimezone(UTC)
                if instant <= cursor:
                    instant = cursor + timedelta(minutes=rng.randint(3, 60))
            cursor = instant
            steps.append(_Step(instant, case.index, seq, draft.name, draft.command, draft.actor))
        return steps

    # ---------------------------------------------------------------- plan

    def build(self) -> None:
        case = self.case
        self.report()
        classified = self.classify()
        if case.candour:
            self.candour(classified)
        if case.profile is Profile.SIF_2015:
            self.sif(classified)
        else:
            self.psirf(classified)

    def report(self) -> None:
        case, rng = self.case, self.rng
        self.add(
            case.reported_on,
            "report",
            c.ReportIncident(
                organisation=case.provider.code,
                commissioner=case.provider.commissioner,
                profile=case.profile,
                occurred_at=case.occurred,
                identified_at=case.identified,
                reported_at=case.reported,
                location=case.place[0],
                care_setting=case.place[1],
                category=case.category,
                description=case.description,
                immediate_actions=rng.choice(IMMEDIATE_ACTIONS),
                physical_harm=case.reported_harm,
                psychological_harm=PsychologicalHarm.NONE,
                patient=case.patient,
            ),
            actor=self.staff,
        )

    def classify(self) -> date:
        case, rng = self.case, self.rng
        r = rng.random()
        if case.profile is Profile.SIF_2015 or case.harm is not PhysicalHarm.NONE:
            days = 0 if r < 0.55 else 1 if r < 0.9 else rng.randint(2, 6)
        else:
            days = 0 if r < 0.3 else rng.randint(1, 3) if r < 0.8 else rng.randint(4, 15)
        day = self.wd(case.reported_on, days)
        self.add(day, "classify", self.classification(self.rationale()))
        return day

    def classification(self, rationale: str, harm: PhysicalHarm | None = None) -> c.Classify:
        case = self.case
        return c.Classify(
            physical_harm=harm or case.harm,
            psychological_harm=case.psychological,
            prolonged_psychological_harm=case.prolonged,
            never_event=case.never_event,
            national_priority=case.national,
            local_priority=case.local,
            serious_incident=case.serious,
            rationale=rationale,
        )

    def rationale(self) -> str:
        case = self.case
        parts = [f"Physical harm graded {case.harm.value} after review of the notes."]
        if case.harm is not case.reported_harm:
            parts.append(f"Reported as {case.reported_harm.value}; regraded on review.")
        if case.never_event is not None:
            name = next(n.name for n in self.planner.policy.never_events if n.code == case.never_event)
            parts.append(f"Never Event on the list in force when it occurred: {name}.")
        if case.showcase == "oesophageal_intubation":
            parts.append(
                "Undetected oesophageal intubation is suspended from the Never Events list, so this "
                "is not a Never Event; the response follows the harm."
            )
        if case.serious:
            parts.append("Meets the Serious Incident Framework 2015 criteria.")
        elif case.profile is Profile.SIF_2015:
            parts.append("Does not meet the Serious Incident criteria; managed locally.")
        if case.national is not None:
            parts.append(f"PSIRF national priority: {case.national.replace('_', ' ')}.")
        if case.local is not None:
            parts.append(f"Local priority in the response plan: {case.local.replace('_', ' ')}.")
        if case.prolonged:
            parts.append("Psychological harm expected to last 28 days or more.")
        if case.natural_course and case.profile is Profile.PSIRF_2022:
            parts.append(
                "Death consistent with the natural course of illness; reviewed by the mortality process."
            )
        return " ".join(parts)

    def candour(self, classified: date) -> None:
        case, rng = self.case, self.rng
        due = self.due("candour_notification", case.reported_on)
        if due is None:
            return
        due = max(due, classified)
        if case.showcase == "mental_health_homicide":
            person = "family of the person who died"
        elif case.harm is PhysicalHarm.FATAL:
            person = "next of kin (the patient died)"
        elif case.age < 16:
            person = "parent (the patient is a child)"
        elif rng.random() < 0.06:
            person = "holder of a lasting power of attorney (the patient lacks capacity)"
        else:
            person = "patient"
        r = rng.random()
        reason = case.candour_exception
        if reason is None and case.showcase is None and r < 0.08:
            reason = CandourExceptionReason.DECLINED if r < 0.05 else CandourExceptionReason.NOT_CONTACTABLE
        if reason is not None:
            tries = 1 if reason is CandourExceptionReason.DECLINED else rng.randint(2, 4)
            day = classified
            attempts = []
            for n in range(tries):
                day = self.wd(day, rng.randint(0 if n == 0 else 1, 3))
                if reason is CandourExceptionReason.DECLINED:
                    method, outcome = "telephone", "declined a meeting and did not want further contact"
                else:
                    method = ("telephone", "letter", "home visit", "email")[n % 4]
                    outcome = "no answer" if method != "letter" else "no reply received"
                attempts.append(c.Attempt(on=day, method=method, outcome=outcome))
            recorded = self.wd(day, rng.randint(0, 2))
            self.add(
                recorded,
                "record-candour-exception",
                c.RecordCandourException(reason=reason, attempts=attempts),
            )
            self.ready = max(self.ready, recorded)
            return
        notified = self.between(classified, due) if r < 0.78 else self.wd(due, rng.randint(1, 25))
        self.add(
            notified,
            "notify-candour",
            c.NotifyCandour(
                relevant_person=person,
                notified_on=notified,
                in_person=True,
                apology_given=True,
                account_given=True,
            ),
        )
        sent = self.wd(notified, rng.randint(1, 12) if rng.random() < 0.93 else rng.randint(20, 60))
        self.add(
            sent,
            "send-candour-letter",
            c.SendCandourLetter(
                sent_on=sent,
                summary="Written account of what happened, the apology, and the enquiries planned.",
            ),
        )
        self.ready = max(self.ready, sent)

    # ---------------------------------------------------------------- SIF 2015

    def sif(self, classified: date) -> None:
        case, rng = self.case, self.rng
        if not case.serious:
            response = None
            if case.harm is not PhysicalHarm.NONE and rng.random() < (
                0.5 if case.harm is not PhysicalHarm.LOW else 0.08
            ):
                response = ResponseType.LOCAL_REVIEW
            self.learning(self.wd(classified, rng.randint(1, 10)), response, anchor=None)
            return
        identified = case.identified_on
        reported_due = self.due("commissioner_report", identified) or classified
        review_due = self.due("initial_review", identified) or classified
        if rng.random() < 0.85:
            to_commissioner = self.between(classified, max(classified, reported_due))
        else:
            to_commissioner = self.wd(max(classified, reported_due), rng.randint(1, 8))
        steis = f"{to_commissioner.year}/{rng.randint(10000, 99999)}"
        self.add(
            to_commissioner,
            "report-to-commissioner",
            c.ReportToCommissioner(reference=steis, reported_on=to_commissioner),
        )
        if rng.random() < 0.8:
            reviewed = self.between(classified, max(classified, review_due))
        else:
            reviewed = self.wd(max(classified, review_due), rng.randint(1, 10))
        summary = "Initial review: immediate actions taken, patient safe, terms of reference drafted."
        if case.natural_course:
            summary = "Initial review: the death was consistent with the natural course of the illness."
        self.add(
            reviewed, "submit-initial-review", c.SubmitInitialReview(submitted_on=reviewed, summary=summary)
        )
        after = max(reviewed, to_commissioner)
        downgrade = case.natural_course or (
            case.harm is PhysicalHarm.MODERATE and case.never_event is None and rng.random() < 0.08
        )
        if downgrade:
            requested = self.wd(after, rng.randint(1, 8))
            self.add(
                requested,
                "request-downgrade",
                c.RequestDowngrade(
                    rationale="The review found the outcome was not caused by problems in care: "
                    "not a Serious Incident.",
                ),
            )
            decided = self.wd(requested, rng.randint(2, 15))
            approved = case.natural_course or rng.random() < 0.75
            self.add(
                decided,
                "decide-downgrade",
                c.DecideDowngrade(
                    approved=approved,
                    rationale="Agreed at the SI panel."
                    if approved
                    else "Rejected: the care problems identified need a Serious Incident investigation.",
                ),
                actor=self.commissioner,
            )
            if approved:
                return
            after = decided
        if case.showcase == "mental_health_homicide":
            response = ResponseType.EXTERNAL_REFERRAL
        elif case.harm in (PhysicalHarm.SEVERE, PhysicalHarm.FATAL) or case.never_event is not None:
            r = rng.random()
            response = (
                ResponseType.LEVEL2 if r < 0.85 else ResponseType.LEVEL3 if r < 0.93 else ResponseType.LEVEL1
            )
        else:
            response = ResponseType.LEVEL1 if rng.random() < 0.75 else ResponseType.LEVEL2
        self.learning(self.wd(after, rng.randint(0, 8)), response, anchor=to_commissioner)

    # ---------------------------------------------------------------- PSIRF 2022

    def psirf(self, classified: date) -> None:
        rng = self.rng
        response = self.psirf_response()
        start = self.wd(
            classified, rng.randint(0, 3) if response is ResponseType.SWARM_HUDDLE else rng.randint(2, 15)
        )
        self.learning(start, response, anchor=None)

    def psirf_response(self) -> ResponseType | None:
        case, rng = self.case, self.rng
        if case.national is not None:
            priority = self.planner.policy.national_priority(case.national)
            if priority.required_response is ResponseType.PSII or not priority.local_alternatives:
                return priority.required_response
            if rng.random() < 0.7:
                return priority.required_response
            return rng.choice(priority.local_alternatives)
        if case.showcase == "oesophageal_intubation":
            return ResponseType.PSII
        if case.showcase == "natural_course_death" or case.natural_course:
            return ResponseType.LOCAL_REVIEW
        if case.local is not None:
            return _weighted(
                rng,
                (
                    ResponseType.AAR,
                    ResponseType.SWARM_HUDDLE,
                    ResponseType.MIR,
                    ResponseType.PSII,
                    ResponseType.LOCAL_REVIEW,
                ),
                (35, 25, 15, 10, 15),
            )
        r = rng.random()
        if case.harm in (PhysicalHarm.MODERATE, PhysicalHarm.SEVERE):
            options = (
                ResponseType.PSII,
                ResponseType.AAR,
                ResponseType.MIR,
                ResponseType.SWARM_HUDDLE,
                ResponseType.LOCAL_REVIEW,
            )
            choice = _weighted(rng, options, (15, 30, 15, 15, 15))
            return choice if r < 0.9 else None
        if case.harm is PhysicalHarm.LOW:
            if r < 0.07:
                return ResponseType.SWARM_HUDDLE
            if r < 0.12:
                return ResponseType.AAR
            if r < 0.14:
                return ResponseType.THEMATIC
            return ResponseType.LOCAL_REVIEW if r < 0.18 else None
        if r < 0.01:
            return ResponseType.THEMATIC
        return ResponseType.SWARM_HUDDLE if r < 0.03 else None

    # ---------------------------------------------------------------- learning, actions, closure

    def learning(self, start: date, response: ResponseType | None, anchor: date | None) -> None:
        """Start and report the learning response, agree and follow up actions, close."""
        case, rng = self.case, self.rng
        done = submitted = start
        closure_due: date | None = None
        if response is not None:
            coroner = case.coroner or (case.harm is PhysicalHarm.FATAL and rng.random() < 0.4)
            lead = (
                LEADS[5]
                if response in (ResponseType.LEVEL3, ResponseType.EXTERNAL_REFERRAL)
                else rng.choice(LEADS[:5])
            )
            self.add(
                start,
                "start-investigation",
                c.StartInvestigation(
                    response_type=response, lead=lead, started_on=start, coroner_initiated=coroner
                ),
            )
            submitted = self.investigate(start, response, anchor, coroner)
            if case.harm in (PhysicalHarm.MODERATE, PhysicalHarm.SEVERE) and rng.random() < 0.1:
                regrade = PhysicalHarm.SEVERE if case.harm is PhysicalHarm.MODERATE else PhysicalHarm.MODERATE
                self.add(
                    self.between(start, submitted),
                    "classify",
                    self.classification(
                        f"Regraded {regrade.value} on the investigation's findings; otherwise unchanged.",
                        harm=regrade,
                    ),
                )
            self.add(
                submitted,
                "submit-investigation-report",
                c.SubmitInvestigationReport(
                    submitted_on=submitted,
                    findings=_findings(response),
                    contributing_factors=rng.sample(CONTRIBUTING_FACTORS, rng.randint(1, 3)),
                    root_causes=rng.sample(ROOT_CAUSES, rng.randint(0, 2))
                    if response is not ResponseType.SWARM_HUDDLE
                    else [],
                ),
            )
            if case.serious:
                closure_due = self.due("closure_review", submitted)
            done = self.actions(submitted, response)
        elif case.harm is not PhysicalHarm.NONE and rng.random() < 0.1:
            done = self.actions(start, None)
        ready = max(done, self.ready)
        if case.harm is PhysicalHarm.NONE and response is None:
            closed = self.wd(ready, rng.randint(0, 10))
        else:
            closed = self.wd(ready, rng.randint(1, 15))
        if closure_due is not None and closed > closure_due and rng.random() < 0.4:
            asked = self.between(max(submitted, closure_due - timedelta(days=10)), closure_due)
            self.add(
                asked,
                "agree-extension",
                c.AgreeExtension(
                    deadline="closure_review",
                    new_due=max(closed, closure_due + timedelta(days=1)) + timedelta(days=rng.randint(0, 10)),
                    reason="Closure after the action plan is complete (agreed at the SI panel).",
                    approved_by=self.approver,
                ),
            )
        self.add(
            closed, "close", c.Close(closed_on=closed), actor=self.commissioner if case.serious else None
        )

    def investigate(self, start: date, response: ResponseType, anchor: date | None, coroner: bool) -> date:
        """Plan the report's submission (and an extension); return its date."""
        case, rng = self.case, self.rng
        clock = "investigation_report" if case.profile is Profile.SIF_2015 else "learning_response"
        if clock == "investigation_report" and response in (ResponseType.LEVEL1, ResponseType.LEVEL2):
            due = self.due(clock, anchor) if anchor is not None else None
        else:
            due = self.due(clock, start, response)
        typical = {
            ResponseType.SWARM_HUDDLE: (0, 2),
            ResponseType.AAR: (5, 20),
            ResponseType.MIR: (10, 40),
            ResponseType.LOCAL_REVIEW: (10, 40),
            ResponseType.THEMATIC: (40, 120),
            ResponseType.EXTERNAL_REFERRAL: (60, 180),
            ResponseType.PSII: (25, 62),
            ResponseType.LEVEL1: (20, 58),
            ResponseType.LEVEL2: (35, 60),
            ResponseType.LEVEL3: (80, 125),
        }[response]
        if due is None:
            return self.wd(start, rng.randint(*typical))
        r = rng.random()
        inquest = coroner and case.harm is PhysicalHarm.FATAL and (case.coroner or rng.random() < 0.7)
        if inquest or r < 0.15:
            asked = self.between(max(start, due - timedelta(days=20)), due)
            new_due = due + timedelta(days=rng.randint(28, 90))
            reason = (
                "Awaiting the inquest; investigation continues (agreed, not paused)."
                if inquest
                else "Key witnesses unavailable; more time agreed with the commissioner."
            )
            self.add(
                asked,
                "agree-extension",
                c.AgreeExtension(deadline=clock, new_due=new_due, reason=reason, approved_by=self.approver),
            )
            if rng.random() < 0.85:
                return self.between(max(asked, due), new_due)
            return self.wd(new_due, rng.randint(1, 20))
        if r < 0.8:
            earliest = self.wd(start, typical[0])
            return self.between(min(earliest, due), due)
        return self.wd(due, rng.randint(1, 40))  # late

    def actions(self, agreed_from: date, response: ResponseType | None) -> date:
        """Agree, complete and review safety actions; return when the last one is done."""
        case, rng = self.case, self.rng
        counts = {
            None: (1, 1),
            ResponseType.SWARM_HUDDLE: (0, 1),
            ResponseType.AAR: (0, 2),
            ResponseType.LOCAL_REVIEW: (0, 2),
            ResponseType.MIR: (1, 3),
            ResponseType.THEMATIC: (2, 4),
            ResponseType.EXTERNAL_REFERRAL: (1, 3),
            ResponseType.PSII: (2, 5),
            ResponseType.LEVEL1: (1, 3),
            ResponseType.LEVEL2: (2, 4),
            ResponseType.LEVEL3: (2, 5),
        }[response]
        done = agreed_from
        for n, (text, owner) in enumerate(rng.sample(ACTIONS, rng.randint(*counts)), start=1):
            action_id = f"SA{n}"
            agreed = self.wd(agreed_from, rng.randint(0, 10))
            due = self.wd(agreed, rng.randint(10, 60) if not case.serious else rng.randint(8, 35))
            self.add(
                agreed,
                "agree-action",
                c.AgreeAction(action_id=action_id, description=text, owner=owner, due=due, agreed_on=agreed),
            )
            r = rng.random()
            if r < 0.1:
                asked = self.between(agreed, due)
                new_due = self.wd(due, rng.randint(10, 40))
                self.add(
                    asked,
                    "agree-extension",
                    c.AgreeExtension(
                        deadline=f"action:{action_id}",
                        new_due=new_due,
                        reason="Depends on equipment delivery; new date agreed.",
                        approved_by=self.approver
                        if case.serious
                        else f"Director of Nursing, {case.provider.code}",
                    ),
                )
                completed = self.between(asked, new_due)
            elif r < 0.78:
                completed = self.between(self.wd(agreed, 2), due)
            else:
                completed = self.wd(due, rng.randint(1, 30))  # late
            self.add(
                completed,
                "complete-action",
                c.CompleteAction(
                    action_id=action_id,
                    completed_on=completed,
                    evidence="Evidence filed with the action plan.",
                ),
            )
            finished = completed
            if rng.random() < 0.5:
                finished = self.wd(completed, rng.randint(5, 30))
                effective = rng.random() < 0.85
                self.add(
                    finished,
                    "review-action",
                    c.ReviewAction(
                        action_id=action_id,
                        effective=effective,
                        notes="Re-audit shows the change is sustained."
                        if effective
                        else "Re-audit shows the change has not held; a further action is being considered.",
                    ),
                )
            done = max(done, finished)
        return done


Sweep = Callable[[datetime], None]


class _EveryDay:
    """Sweep at every simulated midnight."""

    def __init__(self, start: date) -> None:
        self.next_day = start

    def sweep_until(self, instant: datetime, sweep: Sweep) -> None:
        while start_of_day(self.next_day) <= instant:
            sweep(start_of_day(self.next_day).astimezone(UTC))
            self.next_day += timedelta(days=1)


class _SweepDays:
    """The midnights at which a daily sweep would record something, and only those.

    Follows the clocks the events set (like the deadlines read model does): a deadline
    due D set or extended on day X is reminded by the first sweep from
    max(D - reminder horizon, X + 1) up to D, and breached by the first sweep from
    max(D + 1, X + 1), unless it is met or waived first. Sweeping at the earliest such
    day, in order, records what a sweep at every midnight would, on the same days.
    """

    def __init__(self, service: IncidentService, position: int) -> None:
        self.store = service.store
        self.calendar = service.calendar
        self.horizon = service.policy.calendar.reminder_working_days
        self.position = position
        self.read_day: date | None = None
        self.pending: dict[tuple[str, str], date] = {}
        self.alarms: list[tuple[date, str, str, date]] = []

    def sweep_until(self, instant: datetime, sweep: Sweep) -> None:
        today = business_date(instant)
        if today != self.read_day:  # events of earlier days set alarms for later days only
            self._read()
            self.read_day = today
        while self.alarms:
            day, incident, kind, due = self.alarms[0]
            if self.pending.get((incident, kind)) != due:
                heapq.heappop(self.alarms)  # met, waived or extended since
                continue
            midnight = start_of_day(day)
            if midnight > instant:
                return
            sweep(midnight.astimezone(UTC))
            while self.alarms and self.alarms[0][0] <= day:
                heapq.heappop(self.alarms)

    def _read(self) -> None:
        while True:
            notifications = self.store.recorder.select_notifications(
                start=self.position, limit=500, inclusive_of_start=False
            )
            if not notifications:
                return
            for notification in notifications:
                event = self.store.mapper.to_domain_event(notification)
                if isinstance(event, Incident.Event):
                    self._clocks(event)
            self.position = notifications[-1].id

    def _clocks(self, event: Incident.Event) -> None:
        incident = str(event.originator_id)
        next_day = business_date(event.timestamp) + timedelta(days=1)
        for change in event.clocks:
            key = (incident, change.kind)
            if change.change in ("set", "extended") and change.due is not None:
                due = change.due
                self.pending[key] = due
                remind = max(self.calendar.subtract_working_days(due, self.horizon), next_day)
                if remind <= due:
                    heapq.heappush(self.alarms, (remind, incident, change.kind, due))
                heapq.heappush(
                    self.alarms, (max(due + timedelta(days=1), next_day), incident, change.kind, due)
                )
            elif change.change in ("met", "waived"):
                self.pending.pop(key, None)


class _Runner:
    """Runs planned steps and daily sweeps, keeping the summary."""

    def __init__(
        self,
        service: IncidentService,
        sweeper: DeadlineSweeper,
        clock: FixedClock,
        summary: DemoSummary,
        incidents: int,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.service = service
        self.sweeper = sweeper
        self.clock = clock
        self.summary = summary
        self.progress = progress
        self.ids: list[UUID | None] = [None] * incidents
        self.failed: set[int] = set()
        self.state: dict[int, _Status] = {}
        self.pending_progress = 0
        self.counted: dict[str, set[int]] = {}

    def sweep(self, at: datetime) -> None:
        self.clock.set(at)
        result = self.sweeper.sweep(at)
        self.summary.sweeps += 1
        self.summary.reminders += result.approaching
        self.summary.breaches += result.breached
        self.summary.sweep_refusals += len(result.refused)

    def run(self, step: _Step) -> None:
        if step.incident in self.failed:
            return
        self.clock.set(step.instant)
        command = step.command
        try:
            if isinstance(command, c.ReportIncident):
                created = self.service.report(command, actor=step.actor)
                self.ids[step.incident] = UUID(created["id"])
            else:
                incident_id = self.ids[step.incident]
                assert incident_id is not None and isinstance(command, c.Command)
                self.service.dispatch(step.name, incident_id, command, actor=step.actor)
        except (DomainError, ApplicationError) as error:
            self.failed.add(step.incident)
            self.summary.errors.append(f"incident #{step.incident} {step.name} at {step.instant}: {error}")
            return
        self.summary.steps += 1
        self.tally(step.incident, command)
        if isinstance(command, c.ReportIncident):
            self.pending_progress += 1
            if self.progress is not None and self.pending_progress >= 10:
                self.progress(self.pending_progress)
                self.pending_progress = 0

    def mark(self, what: str, incident: int) -> None:
        self.counted.setdefault(what, set()).add(incident)

    def tally(self, incident: int, command: c.Input) -> None:
        summary = self.summary
        state = self.state.setdefault(incident, _Status())
        if isinstance(command, c.ReportIncident):
            summary.incidents += 1
            profile = command.profile.value
            summary.by_profile[profile] = summary.by_profile.get(profile, 0) + 1
            summary.by_provider[command.organisation] = summary.by_provider.get(command.organisation, 0) + 1
        elif isinstance(command, c.Classify):
            if state.classified:
                summary.reclassifications += 1
            state.classified = True
            for what, flag in (
                ("serious", command.serious_incident),
                ("never_event", command.never_event),
                ("national", command.national_priority),
                ("local", command.local_priority),
                ("candour", command.physical_harm in _NOTIFIABLE or command.prolonged_psychological_harm),
            ):
                if flag:
                    self.mark(what, incident)
        elif isinstance(command, c.StartInvestigation):
            state.investigating = True
            kind = command.response_type.value
            summary.investigations[kind] = summary.investigations.get(kind, 0) + 1
            if command.coroner_initiated:
                summary.coroner_initiated += 1
        elif isinstance(command, c.SubmitInvestigationReport):
            state.submitted = True
        elif isinstance(command, c.NotifyCandour):
            summary.candour_notified += 1
        elif isinstance(command, c.SendCandourLetter):
            summary.candour_letters += 1
        elif isinstance(command, c.RecordCandourException):
            summary.candour_exceptions += 1
        elif isinstance(command, c.AgreeAction):
            summary.safety_actions += 1
            state.open_actions += 1
        elif isinstance(command, c.CompleteAction):
            summary.actions_completed += 1
            state.open_actions -= 1
        elif isinstance(command, c.ReviewAction):
            summary.actions_reviewed += 1
        elif isinstance(command, c.AgreeExtension):
            summary.extensions += 1
        elif isinstance(command, c.RequestDowngrade):
            summary.downgrades_requested += 1
        elif isinstance(command, c.DecideDowngrade) and command.approved:
            summary.downgrades_approved += 1
            state.final = "downgraded"
        elif isinstance(command, c.Close):
            state.final = "closed"

    def finish(self) -> None:
        summary = self.summary
        if self.progress is not None and self.pending_progress:
            self.progress(self.pending_progress)
        statuses = Counter(state.status() for state in self.state.values())
        summary.by_status = dict(sorted(statuses.items()))
        summary.closed = statuses.get("closed", 0)
        summary.downgraded = statuses.get("downgraded", 0)
        summary.open = summary.incidents - summary.closed - summary.downgraded
        summary.serious_incidents = len(self.counted.get("serious", ()))
        summary.never_events = len(self.counted.get("never_event", ()))
        summary.national_priorities = len(self.counted.get("national", ()))
        summary.local_priorities = len(self.counted.get("local", ()))
        summary.candour_applies = len(self.counted.get("candour", ()))
        summary.by_profile = dict(sorted(summary.by_profile.items()))
        summary.by_provider = dict(sorted(summary.by_provider.items()))
        summary.investigations = dict(sorted(summary.investigations.items()))


_NOTIFIABLE = frozenset({PhysicalHarm.MODERATE, PhysicalHarm.SEVERE, PhysicalHarm.FATAL})


@dataclass
class _Status:
    classified: bool = False
    investigating: bool = False
    submitted: bool = False
    open_actions: int = 0
    final: str | None = None

    def status(self) -> str:
        """The incident's status as the aggregate derives it."""
        if self.final is not None:
            return self.final
        if self.submitted:
            return "actions_in_progress" if self.open_actions else "investigated"
        if self.investigating:
            return "under_investigation"
        return "classified" if self.classified else "reported"


# ------------------------------------------------------------------ small helpers


def _weighted(rng: random.Random, items: Sequence[T], weights: Sequence[int]) -> T:
    return rng.choices(items, weights=weights)[0]


def _provider(rng: random.Random, kind: str | None) -> DemoProvider:
    options = [p for p in PROVIDERS if kind is None or p.kind == kind]
    return _weighted(rng, options, [p.weight for p in options])


def _place(rng: random.Random, kind: str, category: DemoCategory | None) -> Place:
    if kind == ACUTE and category is not None and category.acute_places and rng.random() < 0.85:
        return rng.choice(category.acute_places)
    return rng.choice(DEFAULT_PLACES[kind])


def _nhs_number(rng: random.Random) -> str:
    """A valid NHS number in the 999 range, which is reserved for test data."""
    while True:
        digits = [9, 9, 9, *(rng.randint(0, 9) for _ in range(6))]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(str(d) for d in digits) + str(check)


def _findings(response: ResponseType) -> str:
    label = {
        ResponseType.PSII: "Patient Safety Incident Investigation",
        ResponseType.AAR: "After Action Review",
        ResponseType.MIR: "Multidisciplinary review",
        ResponseType.SWARM_HUDDLE: "Hot debrief (swarm huddle)",
        ResponseType.THEMATIC: "Thematic review",
        ResponseType.LOCAL_REVIEW: "Local review",
        ResponseType.LEVEL1: "Level 1 concise investigation",
        ResponseType.LEVEL2: "Level 2 comprehensive investigation",
        ResponseType.LEVEL3: "Level 3 independent investigation",
        ResponseType.EXTERNAL_REFERRAL: "External investigation report received",
    }[response]
    return f"{label}: the systems and processes involved were reviewed with staff and the family."
