"""JSON transcodings for the domain's value types, so events and snapshots round-trip."""

from __future__ import annotations

import dataclasses
from datetime import date
from enum import Enum
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain import enums, values


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class EnumAsValue(Transcoding):
    def __init__(self, enum_type: type[Enum]) -> None:
        self.type = enum_type
        self.name = f"enum:{enum_type.__name__}"

    def encode(self, obj: Enum) -> Any:
        return obj.value

    def decode(self, data: Any) -> Enum:
        decoded: Enum = self.type(data)
        return decoded


class DataclassAsDict(Transcoding):
    """Frozen dataclass ↔ dict of its fields; lists come back as tuples where declared."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = f"value:{cls.__name__}"
        self._tuple_fields = frozenset(
            f.name for f in dataclasses.fields(cls) if str(f.type).startswith("tuple")
        )

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        fields = {k: tuple(v) if k in self._tuple_fields else v for k, v in data.items()}
        return self.type(**fields)


ENUM_TYPES: tuple[type[Enum], ...] = (
    enums.Profile,
    enums.PhysicalHarm,
    enums.PsychologicalHarm,
    enums.ResponseType,
    enums.Status,
    enums.DeadlineStatus,
    enums.CandourExceptionReason,
)
VALUE_TYPES: tuple[type[Any], ...] = (
    values.Patient,
    values.ContactAttempt,
    values.RequiredResponse,
    values.Classification,
    values.ClockChange,
    values.Deadline,
    values.ActionReview,
    values.SafetyAction,
    values.CandourRecord,
    values.Investigation,
    values.Downgrade,
    values.Referral,
)


def register_domain_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    for enum_type in ENUM_TYPES:
        transcoder.register(EnumAsValue(enum_type))
    for value_type in VALUE_TYPES:
        transcoder.register(DataclassAsDict(value_type))
