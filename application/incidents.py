"""Incident use cases: one method per command, plain values in and out."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from application import commands as c
from application.clock import Clock, SystemClock
from application.errors import IncidentNotFound, VersionConflict
from application.transcodings import register_domain_transcodings
from application.views import event_view, incident_view
from domain.errors import AlreadyRecorded
from domain.incident import CommandContext, Incident, incident_id_for
from domain.numbering import IncidentNumbering, numbering_id
from domain.policy import Policy
from domain.values import ContactAttempt, Patient
from domain.working_days import WorkingDayCalendar, business_date

REFERENCE_RETRIES = 20


class IncidentStore(Application[UUID]):
    """The event-sourced store of incidents (eventsourcing ``Application``)."""

    name = "incidentflow"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Incident: 50, IncidentNumbering: 100}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)


class IncidentService:
    """Every write goes through here. Methods return plain dicts ready for JSON."""

    def __init__(
        self,
        store: IncidentStore,
        policy: Policy,
        calendar: WorkingDayCalendar | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.policy = policy
        self.calendar = calendar or WorkingDayCalendar(policy.calendar.extra_holidays)
        self.clock: Clock = clock or SystemClock()

    def close(self) -> None:
        self.store.close()

    # --------------------------------------------------------------- commands

    def report(self, command: c.ReportIncident, *, actor: str) -> dict[str, Any]:
        """Record a new incident; allocates its unique reference (INC-YYYY-NNNNNN)."""
        for _ in range(REFERENCE_RETRIES):
            ctx = self._context(actor)
            year = business_date(command.reported_at or ctx.now).year
            numbering = self._numbering(year, ctx.now)
            reference = numbering.allocate(ctx.now)
            incident = Incident.report(ctx, reference=reference, **_report_fields(command))
            try:
                self.store.save(numbering, incident)
            except IntegrityError:
                continue  # another writer took this number: allocate the next one
            return {"id": str(incident.id), "reference": reference, "version": incident.version}
        raise VersionConflict("could not allocate a unique incident reference; try again")

    def classify(self, incident_id: UUID, command: c.Classify, *, actor: str) -> dict[str, Any]:
        return self._run(incident_id, command, actor, Incident.classify)

    def report_to_commissioner(
        self, incident_id: UUID, command: c.ReportToCommissioner, *, actor: str
    ) -> dict[str, Any]:
        return self._run(incident_id, command, actor, Incident.report_to_commissioner)

    def submit_initial_review(
        self, incident_id: UUID, command: c.SubmitInitialReview, *, actor: str
    ) -> dict[str, Any]:
        return self._run(incident_id, command, actor, Incident.submit_initial_review)

    def notify_candour(self, incident_id: UUID, command: c.NotifyCandour, *, actor: str) -> dict[str, Any]:
        return self._run(incident_id, command, actor, Incident.notify_candour)

    def send_candour_letter(
        self, incident_id: UUID, command: c.SendCandourLetter, *, actor: str
    ) -> dict[str, Any]:
        return self._run(incident_id, command, actor, Incident.send_candour_letter)

    def record_candour_exception(
        self, incident_id: UUID, command: c.RecordCandourException, *, actor: str
    ) -> dict[str, Any]:
        attempts = [ContactAttempt(on=a.on, method=a.method, outcome=a.outcome) for a in command.attempts]
        return self._run(incident_id, command, actor, Incident.record_candour_exception, attempts=attempts)

    def start_investigation(
        self, incident_id: UUID, command: c.StartInvestigation, *, actor: str
    ) -> dict[str, Any]:
        return self._run(incident_id, command, actor, Incident.start_investigation)

    def submit_investigation_report(
        self, incident_id: UUID, command: c.SubmitInvestigationReport, *, actor: str
    ) -> dict[str, Any]:
        return self._run(incident_id, command, actor, Incident.submit_investigation_report)

    def agree_action(self, incident_id: UUID, command: c.AgreeAction, *, actor: str) -> dict[str, Any]:
        return self._run(incident_id, command, actor, Incident.agree_action)

    def complete_action(self, incident_id: UUID, command: c.CompleteAction, *, actor: str) -> dict[str, Any]:
        return self._run(incident_id, command, actor, Incident.complete_action)

    def review_action(self, incident_id: UUID, command: c.ReviewAction, *, actor: str) -> dict[str, Any]:
        return self._run(incident_id, command, actor, Incident.review_action)

    def request_downgrade(
        self, incident_id: UUID, command: c.RequestDowngrade, *, actor: str
    ) -> dict[str, Any]:
        return self._run(incident_id, command, actor, Incident.request_downgrade)

    def decide_downgrade(
        self, incident_id: UUID, command: c.DecideDowngrade, *, actor: str
    ) -> dict[str, Any]:
        return self._run(incident_id, command, actor, Incident.decide_downgrade)

    def agree_extension(self, incident_id: UUID, command: c.AgreeExtension, *, actor: str) -> dict[str, Any]:
        return self._run(incident_id, command, actor, Incident.agree_extension)

    def waive_deadline(self, incident_id: UUID, command: c.WaiveDeadline, *, actor: str) -> dict[str, Any]:
        return self._run(incident_id, command, actor, Incident.waive_deadline)

    def record_referral(self, incident_id: UUID, command: c.RecordReferral, *, actor: str) -> dict[str, Any]:
        return self._run(incident_id, command, actor, Incident.record_referral)

    def close_incident(self, incident_id: UUID, command: c.Close, *, actor: str) -> dict[str, Any]:
        return self._run(incident_id, command, actor, Incident.close)

    def record_breach(self, incident_id: UUID, *, kind: str, due: date, actor: str = "scheduler") -> bool:
        """Record that a deadline was breached; False if there was nothing to record."""
        return self._record_clock_event(
            incident_id, actor, lambda i, ctx: i.record_breach(ctx, kind=kind, due=due)
        )

    def record_reminder(self, incident_id: UUID, *, kind: str, due: date, actor: str = "scheduler") -> bool:
        """Record that a deadline is approaching; False if there was nothing to record."""
        return self._record_clock_event(
            incident_id, actor, lambda i, ctx: i.record_reminder(ctx, kind=kind, due=due)
        )

    def dispatch(self, name: str, incident_id: UUID, command: c.Command, *, actor: str) -> dict[str, Any]:
        """Run the command named ``name`` (kebab-case, as in ``commands.COMMANDS``)."""
        handler: Callable[..., dict[str, Any]] = getattr(self, HANDLERS[name])
        return handler(incident_id, command, actor=actor)

    # ------------------------------------------------------------------ reads

    def resolve(self, id_or_reference: str) -> UUID:
        """Accept an incident id (UUID) or its reference (INC-2026-000042)."""
        text = id_or_reference.strip()
        if text.upper().startswith("INC-"):
            return incident_id_for(text.upper())
        try:
            return UUID(text)
        except ValueError:
            raise IncidentNotFound(
                text, f"{text!r} is neither an incident id (UUID) nor a reference (INC-YYYY-NNNNNN)"
            ) from None

    def get(self, incident_id: UUID) -> dict[str, Any]:
        return incident_view(self._load(incident_id), self._today())

    def state_at_version(self, incident_id: UUID, version: int) -> dict[str, Any]:
        current = self._load(incident_id)
        if not 1 <= version <= current.version:
            raise IncidentNotFound(
                incident_id,
                f"{current.reference} has versions 1 to {current.version}; there is no version {version}",
            )
        return incident_view(self._load(incident_id, version=version), self._today())

    def state_as_of(self, incident_id: UUID, instant: datetime) -> dict[str, Any]:
        """The incident as it was recorded at ``instant`` (what was known then)."""
        version = self.version_as_of(incident_id, instant)
        return incident_view(self._load(incident_id, version=version), business_date(instant))

    def version_as_of(self, incident_id: UUID, instant: datetime) -> int:
        version = 0
        for event in self._events(incident_id):
            if event.timestamp > instant:
                break
            version = event.originator_version
        if version == 0:
            raise IncidentNotFound(
                incident_id, f"incident {incident_id} was not yet recorded at {instant.isoformat()}"
            )
        return version

    def history(self, incident_id: UUID, as_of: datetime | None = None) -> dict[str, Any]:
        events = [event_view(e) for e in self._events(incident_id) if as_of is None or e.timestamp <= as_of]
        if not events:
            raise IncidentNotFound(incident_id)
        return {"id": str(incident_id), "events": events}

    def event_count(self) -> int:
        """Number of events in the store's notification log (its head position)."""
        return self.store.recorder.max_notification_id() or 0

    # -------------------------------------------------------------- internals

    def _today(self) -> date:
        return business_date(self.clock.now())

    def _context(self, actor: str) -> CommandContext:
        return CommandContext(actor=actor, now=self.clock.now(), policy=self.policy, calendar=self.calendar)

    def _numbering(self, year: int, now: datetime) -> IncidentNumbering:
        try:
            numbering: IncidentNumbering = self.store.repository.get(numbering_id(year))
        except AggregateNotFoundError:
            return IncidentNumbering.start(year, now)
        return numbering

    def _load(self, incident_id: UUID, version: int | None = None) -> Incident:
        try:
            incident: Incident = self.store.repository.get(incident_id, version=version)
        except AggregateNotFoundError:
            raise IncidentNotFound(incident_id) from None
        if not isinstance(incident, Incident):
            raise IncidentNotFound(incident_id)
        return incident

    def _events(self, incident_id: UUID) -> Iterator[Incident.Event]:
        for event in self.store.repository.event_store.get(incident_id):
            if isinstance(event, Incident.Event):
                yield event

    def _record_clock_event(
        self, incident_id: UUID, actor: str, action: Callable[[Incident, CommandContext], None]
    ) -> bool:
        """Run a scheduler command; another writer winning the race is retried once, and
        the aggregate's refusal of a duplicate means there is nothing left to record."""
        for _ in range(3):
            incident = self._load(incident_id)
            try:
                action(incident, self._context(actor))
            except AlreadyRecorded:
                return False
            try:
                self.store.save(incident)
            except IntegrityError:
                continue
            return True
        return False

    def _run(
        self,
        incident_id: UUID,
        command: c.Command,
        actor: str,
        method: Callable[..., None],
        **converted: Any,
    ) -> dict[str, Any]:
        """Call the aggregate method named for the command with the command's fields
        (``converted`` replaces fields that need turning into domain values)."""
        fields = {
            name: getattr(command, name) for name in type(command).model_fields if name != "expected_version"
        }
        fields.update(converted)
        return self._execute(incident_id, command, actor, lambda i, ctx: method(i, ctx, **fields))

    def _execute(
        self,
        incident_id: UUID,
        command: c.Command,
        actor: str,
        action: Callable[[Incident, CommandContext], None],
    ) -> dict[str, Any]:
        incident = self._load(incident_id)
        expected = command.expected_version
        if expected is not None and expected != incident.version:
            raise VersionConflict(
                f"{incident.reference} is at version {incident.version}, not the expected "
                f"version {expected}: reload it and check what changed"
            )
        action(incident, self._context(actor))
        try:
            self.store.save(incident)
        except IntegrityError:
            raise VersionConflict(
                f"{incident.reference} was changed by someone else at the same time: reload it and try again"
            ) from None
        return {"id": str(incident.id), "reference": incident.reference, "version": incident.version}


HANDLERS: Mapping[str, str] = {
    name: name.replace("-", "_") if name != "close" else "close_incident" for name in c.COMMANDS
}


def _report_fields(command: c.ReportIncident) -> dict[str, Any]:
    patient = None
    if command.patient is not None:
        patient = Patient(
            nhs_number=command.patient.nhs_number,
            name=command.patient.name,
            date_of_birth=command.patient.date_of_birth,
        )
    return {
        "profile": command.profile,
        "organisation": command.organisation.upper(),
        "commissioner": command.commissioner.upper(),
        "occurred_at": command.occurred_at,
        "identified_at": command.identified_at,
        "reported_at": command.reported_at,
        "location": command.location,
        "care_setting": command.care_setting,
        "category": command.category,
        "description": command.description,
        "immediate_actions": command.immediate_actions,
        "physical_harm": command.physical_harm,
        "psychological_harm": command.psychological_harm,
        "patient": patient,
    }
