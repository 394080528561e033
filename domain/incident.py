"""The Incident aggregate: one patient-safety incident's whole lifecycle.

Each command method checks its guards first (raising a ``DomainError`` and recording
nothing), then records one past-tense event. Events carry who acted (``actor``), the
business dates of what happened, and every deadline change they cause (``clocks``), so
history shows each due date as it was set. The recorded time is the event timestamp.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.clocks import ClockFacts, rule_waiver_reason, wanted_clocks
from domain.enums import (
    TERMINAL_STATUSES,
    CandourExceptionReason,
    ClockAnchor,
    DeadlineStatus,
    PhysicalHarm,
    Profile,
    PsychologicalHarm,
    ResponseType,
    Status,
)
from domain.errors import AlreadyRecorded, CloseRefused, CommandNotAllowed, InvalidCommand
from domain.policy import Policy
from domain.rules import candour_applies, required_response
from domain.values import (
    ActionReview,
    CandourRecord,
    Classification,
    ClockChange,
    ContactAttempt,
    Deadline,
    Downgrade,
    Investigation,
    Patient,
    Referral,
    SafetyAction,
)
from domain.working_days import WorkingDayCalendar, breach_instant, business_date, start_of_day

INCIDENT_NAMESPACE = UUID("6f1c9a4e-3b8d-5c2a-9e71-0d4b2f8a6c13")
CANDOUR_CLOCK = "candour_notification"
COMMISSIONER_CLOCK = "commissioner_report"
INITIAL_REVIEW_CLOCK = "initial_review"
INVESTIGATION_CLOCKS = ("investigation_report", "learning_response")
CLOSURE_CLOCK = "closure_review"


def incident_id_for(reference: str) -> UUID:
    """Incident ids are derived from their unique reference (uuid5)."""
    return uuid5(INCIDENT_NAMESPACE, reference)


def derive_status(
    *,
    closed: bool,
    downgraded: bool,
    investigation_started: bool,
    investigation_submitted: bool,
    open_actions: bool,
    classified: bool,
) -> Status:
    """The lifecycle state from the facts (shared by the aggregate and the read models)."""
    if closed:
        return Status.CLOSED
    if downgraded:
        return Status.DOWNGRADED
    if investigation_submitted:
        return Status.ACTIONS_IN_PROGRESS if open_actions else Status.INVESTIGATED
    if investigation_started:
        return Status.UNDER_INVESTIGATION
    if classified:
        return Status.CLASSIFIED
    return Status.REPORTED


def action_clock(action_id: str) -> str:
    return f"action:{action_id}"


@dataclass(frozen=True)
class CommandContext:
    """Who is acting, the current instant, and the policy and calendar in force."""

    actor: str
    now: datetime
    policy: Policy
    calendar: WorkingDayCalendar

    @property
    def today(self) -> date:
        return business_date(self.now)


class Incident(Aggregate):
    """An NHS patient-safety incident, from report to closure (or downgrade)."""

    class Event(Aggregate.Event):
        actor: str
        clocks: tuple[ClockChange, ...]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Incident)
            self.apply_to(aggregate)
            aggregate._apply_clocks(self.clocks)
            aggregate._refresh_status()

        def apply_to(self, incident: Incident) -> None:
            """State change of this event (other than clocks and status)."""

    class Reported(Event, Aggregate.Created):
        reference: str
        profile: Profile
        organisation: str
        commissioner: str
        occurred_at: datetime
        identified_at: datetime
        reported_at: datetime
        location: str
        care_setting: str
        category: str
        description: str
        immediate_actions: str
        physical_harm: PhysicalHarm
        psychological_harm: PsychologicalHarm
        patient: Patient | None
        candour_applies: bool

        def apply_to(self, incident: Incident) -> None:
            incident._reference = self.reference
            incident._profile = self.profile
            incident._organisation = self.organisation
            incident._commissioner = self.commissioner
            incident._occurred_at = self.occurred_at
            incident._identified_at = self.identified_at
            incident._reported_at = self.reported_at
            incident._location = self.location
            incident._care_setting = self.care_setting
            incident._category = self.category
            incident._description = self.description
            incident._immediate_actions = self.immediate_actions
            incident._physical_harm = self.physical_harm
            incident._psychological_harm = self.psychological_harm
            incident._patient = self.patient
            incident._candour_applies = self.candour_applies

    class Classified(Event):
        classification: Classification

        def apply_to(self, incident: Incident) -> None:
            incident._classification = self.classification
            incident._physical_harm = self.classification.physical_harm
            incident._psychological_harm = self.classification.psychological_harm
            incident._candour_applies = self.classification.candour_applies

    class ReportedToCommissioner(Event):
        reference: str
        reported_on: date

        def apply_to(self, incident: Incident) -> None:
            incident._external_reference = self.reference
            incident._commissioner_reported_on = self.reported_on

    class InitialReviewSubmitted(Event):
        submitted_on: date
        summary: str

        def apply_to(self, incident: Incident) -> None:
            incident._initial_review_on = self.submitted_on

    class CandourNotified(Event):
        relevant_person: str
        notified_on: date
        in_person: bool
        apology_given: bool
        account_given: bool

        def apply_to(self, incident: Incident) -> None:
            incident._candour = replace(
                incident._candour,
                relevant_person=self.relevant_person,
                notified_on=self.notified_on,
                in_person=self.in_person,
                apology_given=self.apology_given,
                account_given=self.account_given,
            )

    class CandourLetterSent(Event):
        sent_on: date
        summary: str

        def apply_to(self, incident: Incident) -> None:
            incident._candour = replace(
                incident._candour, letter_sent_on=self.sent_on, letter_summary=self.summary
            )

    class CandourExceptionRecorded(Event):
        reason: CandourExceptionReason
        attempts: tuple[ContactAttempt, ...]

        def apply_to(self, incident: Incident) -> None:
            incident._candour = replace(
                incident._candour,
                exception_reason=self.reason,
                attempts=(*incident._candour.attempts, *self.attempts),  # lists after replay
            )

    class InvestigationStarted(Event):
        response_type: ResponseType
        lead: str
        started_on: date
        coroner_initiated: bool

        def apply_to(self, incident: Incident) -> None:
            incident._investigation = Investigation(
                response_type=self.response_type,
                lead=self.lead,
                started_on=self.started_on,
                coroner_initiated=self.coroner_initiated,
            )

    class Investigated(Event):
        submitted_on: date
        findings: str
        contributing_factors: tuple[str, ...]
        root_causes: tuple[str, ...]

        def apply_to(self, incident: Incident) -> None:
            assert incident._investigation is not None
            incident._investigation = replace(
                incident._investigation,
                submitted_on=self.submitted_on,
                findings=self.findings,
                contributing_factors=tuple(self.contributing_factors),
                root_causes=tuple(self.root_causes),
            )

    class SafetyActionAgreed(Event):
        action_id: str
        description: str
        owner: str
        due: date
        agreed_on: date

        def apply_to(self, incident: Incident) -> None:
            incident._actions = {
                **incident._actions,
                self.action_id: SafetyAction(
                    action_id=self.action_id,
                    description=self.description,
                    owner=self.owner,
                    due=self.due,
                    agreed_on=self.agreed_on,
                    agreed_at=self.timestamp,
                ),
            }

    class SafetyActionCompleted(Event):
        action_id: str
        completed_on: date
        evidence: str

        def apply_to(self, incident: Incident) -> None:
            action = incident._actions[self.action_id]
            incident._actions = {
                **incident._actions,
                self.action_id: replace(action, completed_on=self.completed_on, evidence=self.evidence),
            }

    class SafetyActionReviewed(Event):
        action_id: str
        effective: bool
        notes: str

        def apply_to(self, incident: Incident) -> None:
            action = incident._actions[self.action_id]
            review = ActionReview(
                effective=self.effective,
                notes=self.notes,
                reviewed_at=self.timestamp,
                actor=self.actor,
            )
            incident._actions = {
                **incident._actions,
                self.action_id: replace(action, reviews=(*action.reviews, review)),
            }

    class DowngradeRequested(Event):
        rationale: str

        def apply_to(self, incident: Incident) -> None:
            incident._downgrade = Downgrade(requested_at=self.timestamp, rationale=self.rationale)

    class DowngradeDecided(Event):
        approved: bool
        rationale: str

        def apply_to(self, incident: Incident) -> None:
            assert incident._downgrade is not None
            incident._downgrade = replace(
                incident._downgrade,
                approved=self.approved,
                decision_rationale=self.rationale,
                decided_at=self.timestamp,
            )

    class DeadlineExtended(Event):
        deadline: str
        new_due: date
        reason: str
        approved_by: str

        def apply_to(self, incident: Incident) -> None:
            action_id = self.deadline.removeprefix("action:")
            if self.deadline.startswith("action:") and action_id in incident._actions:
                action = incident._actions[action_id]
                incident._actions = {**incident._actions, action_id: replace(action, due=self.new_due)}

    class DeadlineWaived(Event):
        deadline: str
        reason: str

    class DeadlineApproaching(Event):
        kind: str
        due: date
        working_days_left: int

    class DeadlineBreached(Event):
        kind: str
        due: date
        breached_at: datetime

    class ReferralRecorded(Event):
        referred_to: str
        referred_on: date
        reference: str

        def apply_to(self, incident: Incident) -> None:
            incident._referrals = (
                *incident._referrals,
                Referral(
                    referred_to=self.referred_to, referred_on=self.referred_on, reference=self.reference
                ),
            )

    class ActionsClosed(Event):
        closed_on: date

        def apply_to(self, incident: Incident) -> None:
            incident._closed_on = self.closed_on

    def __init__(self) -> None:
        self._reference = ""
        self._profile = Profile.PSIRF_2022
        self._organisation = ""
        self._commissioner = ""
        self._occurred_at: datetime | None = None
        self._identified_at: datetime | None = None
        self._reported_at: datetime | None = None
        self._location = ""
        self._care_setting = ""
        self._category = ""
        self._description = ""
        self._immediate_actions = ""
        self._physical_harm = PhysicalHarm.NONE
        self._psychological_harm = PsychologicalHarm.NONE
        self._patient: Patient | None = None
        self._candour_applies = False
        self._classification: Classification | None = None
        self._external_reference: str | None = None
        self._commissioner_reported_on: date | None = None
        self._initial_review_on: date | None = None
        self._candour = CandourRecord()
        self._investigation: Investigation | None = None
        self._actions: dict[str, SafetyAction] = {}
        self._downgrade: Downgrade | None = None
        self._referrals: tuple[Referral, ...] = ()
        self._closed_on: date | None = None
        self._deadlines: dict[str, Deadline] = {}
        self._status = Status.REPORTED

    # ----------------------------------------------------------------- create

    @classmethod
    def report(
        cls,
        ctx: CommandContext,
        *,
        reference: str,
        profile: Profile,
        organisation: str,
        commissioner: str,
        occurred_at: datetime,
        identified_at: datetime,
        reported_at: datetime | None,
        location: str,
        care_setting: str,
        category: str,
        description: str,
        immediate_actions: str,
        physical_harm: PhysicalHarm,
        psychological_harm: PsychologicalHarm,
        patient: Patient | None,
    ) -> Incident:
        """Record a newly reported incident and start the clocks its profile sets."""
        reported = reported_at if reported_at is not None else ctx.now
        for name, instant in (
            ("occurred_at", occurred_at),
            ("identified_at", identified_at),
            ("reported_at", reported),
        ):
            if instant.tzinfo is None:
                raise InvalidCommand(f"{name} must be an ISO 8601 instant with a UTC offset")
            if instant > ctx.now:
                raise InvalidCommand(
                    f"{name} {instant.isoformat()} is in the future; record what has happened"
                )
        if identified_at < occurred_at:
            raise InvalidCommand(
                f"identified_at ({identified_at.isoformat()}) is before occurred_at "
                f"({occurred_at.isoformat()}): an incident cannot be identified before it occurs"
            )
        if reported < identified_at:
            raise InvalidCommand(
                f"reported_at ({reported.isoformat()}) is before identified_at "
                f"({identified_at.isoformat()}): an incident is reported after it is identified"
            )
        birth = patient.date_of_birth if patient is not None else None
        if birth is not None and birth > business_date(occurred_at):
            raise InvalidCommand("patient.date_of_birth is after the incident occurred")
        framework = ctx.policy.profile(profile)
        applies = candour_applies(physical_harm, prolonged_psychological_harm=False)
        facts = ClockFacts(
            profile=framework,
            organisation=organisation,
            occurred_on=business_date(occurred_at),
            anchors={
                ClockAnchor.IDENTIFIED: business_date(identified_at),
                ClockAnchor.REPORTED: business_date(reported),
            },
            candour_applies=applies,
            serious_incident=None,
            response_type=None,
        )
        clocks = tuple(
            ClockChange(kind=kind, change="set", due=due)
            for kind, due in wanted_clocks(facts, ctx.policy, ctx.calendar).items()
        )
        return cls._create(
            cls.Reported,
            id=incident_id_for(reference),
            timestamp=ctx.now,
            actor=ctx.actor,
            clocks=clocks,
            reference=reference,
            profile=profile,
            organisation=organisation,
            commissioner=commissioner,
            occurred_at=occurred_at,
            identified_at=identified_at,
            reported_at=reported,
            location=location,
            care_setting=care_setting,
            category=category,
            description=description,
            immediate_actions=immediate_actions,
            physical_harm=physical_harm,
            psychological_harm=psychological_harm,
            patient=patient,
            candour_applies=applies,
        )

    # --------------------------------------------------------------- commands

    def classify(
        self,
        ctx: CommandContext,
        *,
        physical_harm: PhysicalHarm,
        psychological_harm: PsychologicalHarm,
        prolonged_psychological_harm: bool,
        never_event: str | None,
        national_priority: str | None,
        local_priority: str | None,
        serious_incident: bool | None,
        rationale: str,
        natural_course_death: bool = False,
    ) -> None:
        """Grade harm and classify; derives candour applicability and required response.
        May be repeated (reclassification); each one is recorded. ``natural_course_death``:
        the patient died from the natural course of the illness, not the incident."""
        self._check_open("classify")
        occurred_on = self.occurred_on
        framework = ctx.policy.profile(self._profile)
        if never_event is not None:
            ctx.policy.never_event(never_event, occurred_on)
        if framework.has_serious_incident_label:
            if serious_incident is None:
                raise InvalidCommand(
                    f"serious_incident (true or false) is required for {self._profile.value} "
                    "incidents: record whether this is a Serious Incident and why in rationale"
                )
            previous = self._classification
            if previous is not None and previous.serious_incident and not serious_incident:
                raise CommandNotAllowed(
                    "this incident is classified as a Serious Incident; under SIF 2015 it stops "
                    "being one only when the commissioner agrees: request-downgrade instead"
                )
            if never_event is not None and not serious_incident:
                raise InvalidCommand(
                    "Never Events are Serious Incidents under the Serious Incident Framework "
                    "2015: set serious_incident to true or never_event to null"
                )
            for name, value in (
                ("national_priority", national_priority),
                ("local_priority", local_priority),
            ):
                if value is not None:
                    raise InvalidCommand(
                        f"{name} is a PSIRF concept; {self._profile.value} incidents use "
                        "serious_incident instead (set it to null)"
                    )
        elif serious_incident:
            raise InvalidCommand(
                f"{self._profile.value} has no Serious Incident label: leave serious_incident "
                "null and use national_priority or local_priority"
            )
        else:
            serious_incident = None
        if national_priority is not None:
            ctx.policy.national_priority(national_priority)
        if local_priority is not None:
            ctx.policy.local_priority(local_priority, self._organisation, occurred_on)
        if not rationale.strip():
            raise InvalidCommand("rationale is required: say why the incident is graded so")
        if natural_course_death and physical_harm is not PhysicalHarm.FATAL:
            raise InvalidCommand(
                "natural_course_death is for a death (physical_harm fatal) from the natural "
                "course of the illness; leave it false otherwise"
            )
        applies = candour_applies(physical_harm, prolonged_psychological_harm, natural_course_death)
        response = required_response(
            ctx.policy,
            self._profile,
            organisation=self._organisation,
            occurred_on=occurred_on,
            serious_incident=serious_incident,
            never_event=never_event,
            national_priority=national_priority,
            local_priority=local_priority,
        )
        classification = Classification(
            physical_harm=physical_harm,
            psychological_harm=psychological_harm,
            prolonged_psychological_harm=prolonged_psychological_harm,
            never_event=never_event,
            national_priority=national_priority,
            local_priority=local_priority,
            serious_incident=serious_incident,
            rationale=rationale,
            natural_course_death=natural_course_death,
            candour_applies=applies,
            required_response=response,
        )
        facts = self._facts(ctx, classification=(applies, serious_incident))
        self._record(ctx, self.Classified, self._reconcile(ctx, facts), classification=classification)

    def report_to_commissioner(self, ctx: CommandContext, *, reference: str, reported_on: date) -> None:
        self._check_open("report-to-commissioner")
        if self._commissioner_reported_on is not None:
            raise CommandNotAllowed(
                f"{self._reference} was already reported to the commissioner on "
                f"{self._commissioner_reported_on.isoformat()} (reference {self._external_reference})"
            )
        self._check_business_date(
            ctx, "reported_on", reported_on, self.identified_on, "the incident was identified"
        )
        facts = self._facts(ctx, anchors={ClockAnchor.COMMISSIONER_REPORTED: reported_on})
        clocks = self._met(COMMISSIONER_CLOCK, reported_on) + self._reconcile(ctx, facts)
        self._record(ctx, self.ReportedToCommissioner, clocks, reference=reference, reported_on=reported_on)

    def submit_initial_review(self, ctx: CommandContext, *, submitted_on: date, summary: str) -> None:
        self._check_open("submit-initial-review")
        if not ctx.policy.profile(self._profile).has_initial_review:
            raise CommandNotAllowed(
                f"{self._profile.value} has no initial review (72-hour report); "
                "it belongs to the Serious Incident Framework 2015"
            )
        if self._initial_review_on is not None:
            raise CommandNotAllowed(
                f"the initial review was already submitted on {self._initial_review_on.isoformat()}"
            )
        self._check_business_date(
            ctx, "submitted_on", submitted_on, self.identified_on, "the incident was identified"
        )
        self._record(
            ctx,
            self.InitialReviewSubmitted,
            self._met(INITIAL_REVIEW_CLOCK, submitted_on),
            submitted_on=submitted_on,
            summary=summary,
        )

    def notify_candour(
        self,
        ctx: CommandContext,
        *,
        relevant_person: str,
        notified_on: date,
        in_person: bool,
        apology_given: bool,
        account_given: bool,
    ) -> None:
        """Record the Duty of Candour notification (Regulation 20(2)-(3))."""
        self._check_open("notify-candour", candour=True)
        self._check_candour_applies()
        if self._candour.notified_on is not None:
            raise CommandNotAllowed(
                f"the relevant person was already notified on {self._candour.notified_on.isoformat()}"
            )
        if self._candour.exception_reason is not None:
            raise CommandNotAllowed("a candour exception is already recorded for this incident")
        if not in_person:
            raise InvalidCommand(
                "the Duty of Candour notification is given in person (Regulation 20(2)(a)); if "
                "a meeting could not happen, record-candour-exception with the attempts made"
            )
        if not (apology_given and account_given):
            raise InvalidCommand(
                "a Duty of Candour notification must give a true account of what is known and "
                "an apology (Regulation 20(3)); set account_given and apology_given to true, or "
                "record-candour-exception if the person declined or could not be contacted"
            )
        self._check_business_date(ctx, "notified_on", notified_on, self.occurred_on, "the incident occurred")
        self._record(
            ctx,
            self.CandourNotified,
            self._met(CANDOUR_CLOCK, notified_on),
            relevant_person=relevant_person,
            notified_on=notified_on,
            in_person=in_person,
            apology_given=apology_given,
            account_given=account_given,
        )

    def send_candour_letter(self, ctx: CommandContext, *, sent_on: date, summary: str) -> None:
        self._check_open("send-candour-letter", candour=True)
        if self._candour.notified_on is None:
            raise CommandNotAllowed(
                "the written follow-up comes after the notification in person: notify-candour first"
            )
        if self._candour.letter_sent_on is not None:
            raise CommandNotAllowed(
                f"the candour letter was already sent on {self._candour.letter_sent_on.isoformat()}"
            )
        self._check_business_date(
            ctx, "sent_on", sent_on, self._candour.notified_on, "the relevant person was notified"
        )
        self._record(ctx, self.CandourLetterSent, (), sent_on=sent_on, summary=summary)

    def record_candour_exception(
        self,
        ctx: CommandContext,
        *,
        reason: CandourExceptionReason,
        attempts: Iterable[ContactAttempt],
    ) -> None:
        """The relevant person declined or could not be contacted; every attempt is kept."""
        self._check_open("record-candour-exception", candour=True)
        self._check_candour_applies()
        if self._candour.exception_reason is not None:
            raise CommandNotAllowed("a candour exception is already recorded for this incident")
        if self._candour.letter_sent_on is not None:
            raise CommandNotAllowed("the Duty of Candour was completed: the letter has been sent")
        attempt_list = tuple(sorted(attempts, key=lambda a: a.on))
        if not attempt_list:
            raise InvalidCommand(
                "record at least one dated attempt to contact the relevant person in attempts"
            )
        for attempt in attempt_list:
            self._check_business_date(
                ctx, "attempts[].on", attempt.on, self.occurred_on, "the incident occurred"
            )
        clocks: tuple[ClockChange, ...] = ()
        deadline = self._deadlines.get(CANDOUR_CLOCK)
        if deadline is not None and deadline.status is DeadlineStatus.PENDING:
            clocks = (
                ClockChange(kind=CANDOUR_CLOCK, change="waived", reason=f"candour exception: {reason.value}"),
            )
        self._record(ctx, self.CandourExceptionRecorded, clocks, reason=reason, attempts=attempt_list)

    def start_investigation(
        self,
        ctx: CommandContext,
        *,
        response_type: ResponseType,
        lead: str,
        started_on: date,
        coroner_initiated: bool,
    ) -> None:
        self._check_open("start-investigation")
        if self._classification is None:
            raise CommandNotAllowed(
                "classify the incident first: the classification decides the learning response"
            )
        current = self._investigation
        if current is not None and not self._needs_other_response(current):
            raise CommandNotAllowed(
                f"a {current.response_type.value} learning response was already "
                f"started on {current.started_on.isoformat()}"
            )
        framework = ctx.policy.profile(self._profile)
        if response_type not in framework.response_types:
            allowed = ", ".join(r.value for r in framework.response_types)
            raise InvalidCommand(
                f"response_type {response_type.value!r} is not used under {self._profile.value}; "
                f"use one of: {allowed}"
            )
        required = self._classification.required_response
        if required is not None and response_type not in required.allowed:
            allowed = ", ".join(r.value for r in required.allowed)
            raise InvalidCommand(
                f"the classification calls for one of: {allowed} ({required.reason}); "
                f"{response_type.value!r} is not one of them"
            )
        self._check_business_date(
            ctx, "started_on", started_on, self.identified_on, "the incident was identified"
        )
        facts = self._facts(
            ctx,
            anchors={ClockAnchor.INVESTIGATION_STARTED: started_on},
            response_type=response_type,
        )
        renew = INVESTIGATION_CLOCKS if current is not None else ()
        self._record(
            ctx,
            self.InvestigationStarted,
            self._reconcile(ctx, facts, renew),
            response_type=response_type,
            lead=lead,
            started_on=started_on,
            coroner_initiated=coroner_initiated,
        )

    def submit_investigation_report(
        self,
        ctx: CommandContext,
        *,
        submitted_on: date,
        findings: str,
        contributing_factors: Iterable[str],
        root_causes: Iterable[str],
    ) -> None:
        self._check_open("submit-investigation-report")
        investigation = self._investigation
        if investigation is None:
            raise CommandNotAllowed("start-investigation first: there is no investigation to report")
        if investigation.submitted_on is not None:
            raise CommandNotAllowed(
                f"the investigation report was already submitted on {investigation.submitted_on.isoformat()}"
            )
        self._check_business_date(
            ctx, "submitted_on", submitted_on, investigation.started_on, "the investigation started"
        )
        if not findings.strip():
            raise InvalidCommand("findings are required in an investigation report")
        clocks: tuple[ClockChange, ...] = ()
        for kind in INVESTIGATION_CLOCKS:
            clocks += self._met(kind, submitted_on)
        facts = self._facts(ctx, anchors={ClockAnchor.INVESTIGATION_SUBMITTED: submitted_on})
        clocks += self._reconcile(ctx, facts)
        self._record(
            ctx,
            self.Investigated,
            clocks,
            submitted_on=submitted_on,
            findings=findings,
            contributing_factors=tuple(contributing_factors),
            root_causes=tuple(root_causes),
        )

    def agree_action(
        self,
        ctx: CommandContext,
        *,
        action_id: str,
        description: str,
        owner: str,
        due: date,
        agreed_on: date | None = None,
    ) -> None:
        """Agree a safety action with a named owner and a due date (seed 002 §8.1).
        ``agreed_on`` is the business date it was agreed (default: today)."""
        self._check_open("agree-action")
        if self._classification is None:
            raise CommandNotAllowed("classify the incident before agreeing safety actions")
        if action_id in self._actions:
            raise CommandNotAllowed(f"safety action {action_id!r} already exists on {self._reference}")
        if not owner.strip():
            raise InvalidCommand("every safety action needs a named owner")
        agreed = agreed_on or ctx.today
        self._check_business_date(ctx, "agreed_on", agreed, self.identified_on, "the incident was identified")
        if due < agreed:
            raise InvalidCommand(
                f"due {due.isoformat()} is before the action was agreed ({agreed.isoformat()})"
            )
        clocks = (ClockChange(kind=action_clock(action_id), change="set", due=due),)
        self._record(
            ctx,
            self.SafetyActionAgreed,
            clocks,
            action_id=action_id,
            description=description,
            owner=owner,
            due=due,
            agreed_on=agreed,
        )

    def complete_action(
        self, ctx: CommandContext, *, action_id: str, completed_on: date, evidence: str
    ) -> None:
        self._check_open("complete-action")
        action = self._action(action_id)
        if action.completed_on is not None:
            raise CommandNotAllowed(
                f"safety action {action_id!r} was already completed on {action.completed_on.isoformat()}"
            )
        self._check_business_date(
            ctx,
            "completed_on",
            completed_on,
            action.agreed_on,
            "the action was agreed",
        )
        if not evidence.strip():
            raise InvalidCommand("evidence of completion is required")
        self._record(
            ctx,
            self.SafetyActionCompleted,
            self._met(action_clock(action_id), completed_on),
            action_id=action_id,
            completed_on=completed_on,
            evidence=evidence,
        )

    def review_action(self, ctx: CommandContext, *, action_id: str, effective: bool, notes: str) -> None:
        """Record whether a completed action was effective (effectiveness is monitored too)."""
        self._check_open("review-action", monitoring=True)
        action = self._action(action_id)
        if action.completed_on is None:
            raise CommandNotAllowed(
                f"safety action {action_id!r} is not completed yet; review its effectiveness "
                "after complete-action"
            )
        self._record(
            ctx,
            self.SafetyActionReviewed,
            (),
            action_id=action_id,
            effective=effective,
            notes=notes,
        )

    def request_downgrade(self, ctx: CommandContext, *, rationale: str) -> None:
        self._check_open("request-downgrade")
        if not ctx.policy.profile(self._profile).has_serious_incident_label:
            raise CommandNotAllowed(
                f"{self._profile.value} has no Serious Incident label to downgrade; reclassify "
                "the incident (classify) to change the response it requires"
            )
        if self._classification is None or not self._classification.serious_incident:
            raise CommandNotAllowed("only an incident classified as a Serious Incident can be downgraded")
        if self._downgrade is not None and self._downgrade.approved is None:
            raise CommandNotAllowed("a downgrade request is already awaiting the commissioner")
        if not rationale.strip():
            raise InvalidCommand("rationale is required: say why this is not a serious incident")
        self._record(ctx, self.DowngradeRequested, (), rationale=rationale)

    def decide_downgrade(self, ctx: CommandContext, *, approved: bool, rationale: str) -> None:
        """The commissioner's decision; an approved downgrade ends the lifecycle."""
        self._check_open("decide-downgrade")
        if self._downgrade is None or self._downgrade.approved is not None:
            raise CommandNotAllowed("there is no downgrade request awaiting a decision")
        if not rationale.strip():
            raise InvalidCommand("rationale is required for the commissioner's decision")
        clocks: tuple[ClockChange, ...] = ()
        if approved:
            clocks = self._waive_pending("downgrade approved by the commissioner", exclude={CANDOUR_CLOCK})
        self._record(ctx, self.DowngradeDecided, clocks, approved=approved, rationale=rationale)

    def agree_extension(
        self, ctx: CommandContext, *, deadline: str, new_due: date, reason: str, approved_by: str
    ) -> None:
        """A deadline extension agreed with the commissioner (there is no 'stop the clock')."""
        self._check_open("agree-extension")
        current = self._pending_deadline(deadline, "extended")
        if new_due <= current.due:
            raise InvalidCommand(
                f"new_due {new_due.isoformat()} must be after the current due date {current.due.isoformat()}"
            )
        if not reason.strip() or not approved_by.strip():
            raise InvalidCommand("an extension needs a reason and who approved it (approved_by)")
        clocks = (
            ClockChange(
                kind=deadline,
                change="extended",
                due=new_due,
                reason=f"{reason} (approved by {approved_by})",
            ),
        )
        self._record(
            ctx,
            self.DeadlineExtended,
            clocks,
            deadline=deadline,
            new_due=new_due,
            reason=reason,
            approved_by=approved_by,
        )

    def record_referral(
        self, ctx: CommandContext, *, referred_to: str, referred_on: date, reference: str = ""
    ) -> None:
        """The incident was referred to another body (a national priority's referral, such
        as the Regional Independent Investigation Team or the Child Death Overview Panel)."""
        self._check_open("record-referral")
        if self._classification is None:
            raise CommandNotAllowed("classify the incident first: it says where to refer it")
        self._check_business_date(
            ctx, "referred_on", referred_on, self.identified_on, "the incident was identified"
        )
        self._record(
            ctx,
            self.ReferralRecorded,
            (),
            referred_to=referred_to,
            referred_on=referred_on,
            reference=reference,
        )

    def waive_deadline(self, ctx: CommandContext, *, deadline: str, reason: str) -> None:
        """A deadline no longer applies (e.g. agreed with the commissioner); says why."""
        # The candour clock stays open after a downgrade (statutory duty); so may its waiver,
        # e.g. a death found to be from the natural course of illness.
        self._check_open("waive-deadline", candour=deadline == CANDOUR_CLOCK)
        current = self._pending_deadline(deadline, "waived")
        if not reason.strip():
            raise InvalidCommand("reason is required: say why the deadline no longer applies")
        clocks = (ClockChange(kind=current.kind, change="waived", reason=reason),)
        self._record(ctx, self.DeadlineWaived, clocks, deadline=deadline, reason=reason)

    def record_reminder(self, ctx: CommandContext, *, kind: str, due: date) -> None:
        """A pending deadline is within the reminder horizon (recorded once per due date)."""
        current = self._clock_to_mark(kind, due, "reminder")
        if due in current.reminded_dues:
            raise AlreadyRecorded(f"a reminder for {kind} due {due.isoformat()} is already recorded")
        horizon = ctx.policy.calendar.reminder_working_days
        remind_from = start_of_day(ctx.calendar.subtract_working_days(due, horizon))
        if ctx.now < remind_from:
            raise InvalidCommand(
                f"{kind} due {due.isoformat()} is not yet within the reminder horizon "
                f"(from {remind_from.isoformat()})"
            )
        if ctx.now >= breach_instant(due):
            raise InvalidCommand(f"{kind} due {due.isoformat()} is already past due; record a breach")
        left = ctx.calendar.working_days_between(ctx.today, due)
        self._record(
            ctx,
            self.DeadlineApproaching,
            (ClockChange(kind=kind, change="reminded", due=due),),
            kind=kind,
            due=due,
            working_days_left=left,
        )

    def record_breach(self, ctx: CommandContext, *, kind: str, due: date) -> None:
        """A pending deadline passed its due date: breached from 00:00 Europe/London the day
        after. ``breached_at`` is that moment; the event's timestamp is when it was detected."""
        current = self._clock_to_mark(kind, due, "breach")
        if due in current.breached_dues:
            raise AlreadyRecorded(f"a breach of {kind} due {due.isoformat()} is already recorded")
        breached_at = breach_instant(due)
        if ctx.now < breached_at:
            raise InvalidCommand(
                f"{kind} due {due.isoformat()} is not breached before {breached_at.isoformat()}"
            )
        self._record(
            ctx,
            self.DeadlineBreached,
            (ClockChange(kind=kind, change="breached", due=due),),
            kind=kind,
            due=due,
            breached_at=breached_at,
        )

    def close(self, ctx: CommandContext, *, closed_on: date) -> None:
        """Close the incident once every required step is done; else list what is missing."""
        self._check_open("close")
        self._check_business_date(
            ctx, "closed_on", closed_on, self.identified_on, "the incident was identified"
        )
        missing = self.missing_for_closure()
        if missing:
            raise CloseRefused(missing)
        last_step, label = self._last_step()
        if closed_on < last_step:
            raise InvalidCommand(
                f"closed_on {closed_on.isoformat()} is before {label} ({last_step.isoformat()}); "
                "an incident closes on or after the last step it depends on"
            )
        clocks = self._met(CLOSURE_CLOCK, closed_on)
        clocks += self._waive_pending("incident closed", exclude={CLOSURE_CLOCK})
        self._record(ctx, self.ActionsClosed, clocks, closed_on=closed_on)

    # ------------------------------------------------------------- read side

    def missing_for_closure(self) -> list[str]:
        missing: list[str] = []
        classification = self._classification
        if classification is None:
            return ["the incident has not been classified"]
        if self._downgrade is not None and self._downgrade.approved is None:
            missing.append("a downgrade request awaits the commissioner's decision")
        required = classification.required_response
        investigation = self._investigation
        if required is not None and required.required and investigation is None:
            allowed = ", ".join(r.value for r in required.allowed)
            missing.append(f"a learning response is required ({required.reason}): start one of {allowed}")
        referred = bool(self._referrals) or (
            investigation is not None and investigation.response_type is ResponseType.EXTERNAL_REFERRAL
        )
        if required is not None and required.refer_to and not referred:
            missing.append(
                f"the referral to {required.refer_to} has not been recorded (record-referral, or "
                "an external_referral learning response)"
            )
        if investigation is not None and self._needs_other_response(investigation):
            assert required is not None
            allowed = ", ".join(r.value for r in required.allowed)
            missing.append(
                f"the classification now calls for one of {allowed} ({required.reason}), but the "
                f"learning response is {investigation.response_type.value}: start-investigation "
                "again with a response it allows"
            )
        elif investigation is not None and investigation.submitted_on is None:
            missing.append(
                f"the {investigation.response_type.value} investigation report has not been submitted"
            )
        if classification.serious_incident:
            if self._commissioner_reported_on is None and not self._waived(COMMISSIONER_CLOCK):
                missing.append("the Serious Incident has not been reported to the commissioner")
            if self._initial_review_on is None and not self._waived(INITIAL_REVIEW_CLOCK):
                missing.append("the initial review (72-hour report) has not been submitted")
        if self._candour_applies and not self._candour.is_done:
            if self._candour.notified_on is None:
                missing.append("Duty of Candour: notify the relevant person, or record an exception")
            else:
                missing.append("Duty of Candour: send the written follow-up letter")
        open_actions = sorted(a.action_id for a in self._actions.values() if not a.is_completed)
        if open_actions:
            missing.append("safety actions not completed: " + ", ".join(open_actions))
        return missing

    @property
    def reference(self) -> str:
        return self._reference

    @property
    def status(self) -> Status:
        return self._status

    @property
    def profile(self) -> Profile:
        return self._profile

    @property
    def organisation(self) -> str:
        return self._organisation

    @property
    def commissioner(self) -> str:
        return self._commissioner

    @property
    def occurred_at(self) -> datetime:
        assert self._occurred_at is not None
        return self._occurred_at

    @property
    def identified_at(self) -> datetime:
        assert self._identified_at is not None
        return self._identified_at

    @property
    def reported_at(self) -> datetime:
        assert self._reported_at is not None
        return self._reported_at

    @property
    def occurred_on(self) -> date:
        return business_date(self.occurred_at)

    @property
    def identified_on(self) -> date:
        return business_date(self.identified_at)

    @property
    def reported_on(self) -> date:
        return business_date(self.reported_at)

    @property
    def details(self) -> Mapping[str, str]:
        return {
            "location": self._location,
            "care_setting": self._care_setting,
            "category": self._category,
            "description": self._description,
            "immediate_actions": self._immediate_actions,
        }

    @property
    def physical_harm(self) -> PhysicalHarm:
        return self._physical_harm

    @property
    def psychological_harm(self) -> PsychologicalHarm:
        return self._psychological_harm

    @property
    def patient(self) -> Patient | None:
        return self._patient

    @property
    def candour_applies(self) -> bool:
        return self._candour_applies

    @property
    def classification(self) -> Classification | None:
        return self._classification

    @property
    def commissioner_report(self) -> tuple[str | None, date | None]:
        return self._external_reference, self._commissioner_reported_on

    @property
    def initial_review_on(self) -> date | None:
        return self._initial_review_on

    @property
    def candour(self) -> CandourRecord:
        return self._candour

    @property
    def investigation(self) -> Investigation | None:
        return self._investigation

    @property
    def actions(self) -> list[SafetyAction]:
        return list(self._actions.values())

    @property
    def downgrade(self) -> Downgrade | None:
        return self._downgrade

    @property
    def referrals(self) -> tuple[Referral, ...]:
        return self._referrals

    @property
    def closed_on(self) -> date | None:
        return self._closed_on

    @property
    def deadlines(self) -> list[Deadline]:
        return list(self._deadlines.values())

    # -------------------------------------------------------------- internals

    def _record(
        self,
        ctx: CommandContext,
        event_class: type[Incident.Event],
        clocks: tuple[ClockChange, ...],
        **fields: Any,
    ) -> None:
        if ctx.now < self.modified_on:
            raise CommandNotAllowed(
                f"{self._reference} already has events recorded up to "
                f"{self.modified_on.isoformat()}; nothing can be recorded as at the earlier "
                f"instant {ctx.now.isoformat()}"
            )
        self.trigger_event(event_class, timestamp=ctx.now, actor=ctx.actor, clocks=clocks, **fields)

    def _check_open(self, command: str, candour: bool = False, monitoring: bool = False) -> None:
        """Refuse commands on a finished incident. The Duty of Candour is statutory and
        separate from SI status, so candour commands stay open after a downgrade; the
        effectiveness of safety actions is monitored after closure too (seed 002 §8.1)."""
        if candour and self._status is Status.DOWNGRADED:
            return
        if monitoring and self._status is Status.CLOSED:
            return
        if self._status in TERMINAL_STATUSES:
            when = f" on {self._closed_on.isoformat()}" if self._closed_on else ""
            raise CommandNotAllowed(
                f"{self._reference} is {self._status.value}{when}; {command} is not allowed on a "
                "finished incident"
            )

    def _check_candour_applies(self) -> None:
        if not self._candour_applies:
            raise CommandNotAllowed(
                f"the Duty of Candour does not apply to {self._reference}: physical harm is "
                f"{self._physical_harm.value} and no prolonged psychological harm is recorded "
                "(a notifiable safety incident is moderate harm or worse, or prolonged "
                "psychological harm; Regulation 20). Reclassify first if that has changed"
            )

    def _check_business_date(
        self, ctx: CommandContext, name: str, value: date, not_before: date, label: str
    ) -> None:
        if value > ctx.today:
            raise InvalidCommand(
                f"{name} {value.isoformat()} is in the future (today is {ctx.today.isoformat()} "
                "in Europe/London)"
            )
        if value < not_before:
            raise InvalidCommand(
                f"{name} {value.isoformat()} is before the date {label} ({not_before.isoformat()})"
            )

    def _waived(self, kind: str) -> bool:
        deadline = self._deadlines.get(kind)
        return deadline is not None and deadline.status is DeadlineStatus.WAIVED

    def _last_step(self) -> tuple[date, str]:
        """The latest business date among the steps closure depends on, and what it was."""
        steps: list[tuple[date, str]] = [(self.identified_on, "the date the incident was identified")]
        if self._commissioner_reported_on:
            steps.append((self._commissioner_reported_on, "the report to the commissioner"))
        if self._initial_review_on:
            steps.append((self._initial_review_on, "the initial review"))
        if self._investigation and self._investigation.submitted_on:
            steps.append((self._investigation.submitted_on, "the investigation report"))
        if self._candour.letter_sent_on:
            steps.append((self._candour.letter_sent_on, "the candour letter"))
        for attempt in self._candour.attempts:
            steps.append((attempt.on, "the last candour contact attempt"))
        for action in self._actions.values():
            if action.completed_on:
                steps.append((action.completed_on, f"the completion of safety action {action.action_id}"))
        return max(steps, key=lambda step: step[0])

    def _needs_other_response(self, investigation: Investigation) -> bool:
        """A reclassification made the running learning response inadequate (escalation)."""
        required = self._classification.required_response if self._classification else None
        return (
            required is not None and required.required and investigation.response_type not in required.allowed
        )

    def _pending_deadline(self, kind: str, verb: str) -> Deadline:
        current = self._deadlines.get(kind)
        if current is None:
            known = ", ".join(sorted(self._deadlines)) or "none"
            raise InvalidCommand(f"{self._reference} has no deadline {kind!r}; its deadlines: {known}")
        if current.status is not DeadlineStatus.PENDING:
            raise CommandNotAllowed(
                f"deadline {kind!r} is {current.state.value}; only pending deadlines can be {verb}"
            )
        return current

    def _clock_to_mark(self, kind: str, due: date, what: str) -> Deadline:
        current = self._deadlines.get(kind)
        if current is None or current.status is not DeadlineStatus.PENDING or current.due != due:
            state = "absent" if current is None else f"{current.state.value}, due {current.due}"
            raise AlreadyRecorded(f"no {what} for {kind} due {due.isoformat()}: that deadline is now {state}")
        return current

    def _action(self, action_id: str) -> SafetyAction:
        try:
            return self._actions[action_id]
        except KeyError:
            known = ", ".join(sorted(self._actions)) or "none"
            raise InvalidCommand(
                f"{self._reference} has no safety action {action_id!r}; its actions: {known}"
            ) from None

    def _facts(
        self,
        ctx: CommandContext,
        *,
        anchors: Mapping[ClockAnchor, date] | None = None,
        classification: tuple[bool, bool | None] | None = None,
        response_type: ResponseType | None = None,
    ) -> ClockFacts:
        """The facts the clocks depend on, as they will be after the command.

        ``classification`` overrides (candour applies, serious incident) when reclassifying.
        """
        known: dict[ClockAnchor, date] = {
            ClockAnchor.IDENTIFIED: self.identified_on,
            ClockAnchor.REPORTED: self.reported_on,
        }
        if self._commissioner_reported_on is not None:
            known[ClockAnchor.COMMISSIONER_REPORTED] = self._commissioner_reported_on
        investigation = self._investigation
        if investigation is not None:
            known[ClockAnchor.INVESTIGATION_STARTED] = investigation.started_on
            if investigation.submitted_on is not None:
                known[ClockAnchor.INVESTIGATION_SUBMITTED] = investigation.submitted_on
        known.update(anchors or {})
        if classification is None:
            current = self._classification
            classification = (
                self._candour_applies,
                current.serious_incident if current is not None else None,
            )
        return ClockFacts(
            profile=ctx.policy.profile(self._profile),
            organisation=self._organisation,
            occurred_on=self.occurred_on,
            anchors=known,
            candour_applies=classification[0],
            serious_incident=classification[1],
            response_type=response_type or (investigation.response_type if investigation else None),
        )

    def _reconcile(
        self, ctx: CommandContext, facts: ClockFacts, renew: Iterable[str] = ()
    ) -> tuple[ClockChange, ...]:
        """Set clocks the facts now call for; waive pending ones they no longer call for.
        Kinds in ``renew`` start again even if already set (a new learning response)."""
        wanted = wanted_clocks(facts, ctx.policy, ctx.calendar)
        renewed = set(renew)
        changes: list[ClockChange] = []
        for kind, due in wanted.items():
            current = self._deadlines.get(kind)
            # Only a clock a rule waived comes back when the rule applies again; a waiver
            # someone recorded (waive-deadline, a candour exception) stands.
            waived_by_rule = (
                current is not None and current.status is DeadlineStatus.WAIVED and current.waived_by_rule
            )
            if current is None or kind in renewed or waived_by_rule:
                changes.append(ClockChange(kind=kind, change="set", due=due))
        for kind, deadline in self._deadlines.items():
            if (
                deadline.status is DeadlineStatus.PENDING
                and not kind.startswith("action:")
                and kind not in wanted
            ):
                reason = rule_waiver_reason(facts.profile, kind, facts)
                changes.append(ClockChange(kind=kind, change="waived", reason=reason, by_rule=True))
        return tuple(changes)

    def _met(self, kind: str, on: date) -> tuple[ClockChange, ...]:
        deadline = self._deadlines.get(kind)
        if deadline is None or deadline.status is not DeadlineStatus.PENDING:
            return ()
        return (ClockChange(kind=kind, change="met", on=on),)

    def _waive_pending(
        self, reason: str, exclude: frozenset[str] | set[str] = frozenset()
    ) -> tuple[ClockChange, ...]:
        return tuple(
            ClockChange(kind=kind, change="waived", reason=reason)
            for kind, deadline in self._deadlines.items()
            if deadline.status is DeadlineStatus.PENDING and kind not in exclude
        )

    def _apply_clocks(self, clocks: Iterable[ClockChange]) -> None:
        deadlines = dict(self._deadlines)
        for change in clocks:
            current = deadlines.get(change.kind)
            if change.change == "set":
                assert change.due is not None
                # A clock set again (a new learning response, a rule applying again) keeps
                # its earlier due dates and recorded breaches in its history.
                deadlines[change.kind] = Deadline(
                    kind=change.kind,
                    due=change.due,
                    previous_dues=(*current.previous_dues, current.due) if current else (),
                    breached_dues=current.breached_dues if current else (),
                    reminded_dues=current.reminded_dues if current else (),
                )
            elif current is not None:
                deadlines[change.kind] = current.apply(change)
        self._deadlines = deadlines

    def _refresh_status(self) -> None:
        investigation = self._investigation
        self._status = derive_status(
            closed=self._closed_on is not None,
            downgraded=self._downgrade is not None and bool(self._downgrade.approved),
            investigation_started=investigation is not None,
            investigation_submitted=investigation is not None and investigation.submitted_on is not None,
            open_actions=any(not a.is_completed for a in self._actions.values()),
            classified=self._classification is not None,
        )
