"""Errors the domain raises when it refuses a command. A refused command records nothing."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: a command was refused. ``str(error)`` is meant for a person."""


class InvalidCommand(DomainError):
    """The command's values are wrong in themselves or against policy (HTTP 422)."""


class CommandNotAllowed(DomainError):
    """The incident's current state does not allow the command (HTTP 409)."""


class CloseRefused(CommandNotAllowed):
    """Closing was refused; ``missing`` lists what still has to happen."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__("The incident cannot be closed yet: " + "; ".join(missing) + ".")


class PolicyError(Exception):
    """A policy file is missing or invalid (raised at start-up)."""


class AlreadyRecorded(CommandNotAllowed):
    """Nothing to record: the reminder or breach is already recorded for that deadline and
    due date, or the deadline has since been met, waived or extended. Schedulers treat it
    as done; this refusal is what makes duplicate reminders and breaches impossible."""
