"""England working-day arithmetic and the Europe/London business calendar.

A working day is Monday to Friday and not an England & Wales bank holiday (from the
``holidays`` package, plus one-off days configured in policy). Day 0 is the trigger date
itself, whatever weekday it is; ``add_working_days`` counts forward from there.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


def business_date(instant: datetime) -> date:
    """The Europe/London calendar date of an aware instant."""
    if instant.tzinfo is None:
        raise ValueError("instants must carry a UTC offset")
    return instant.astimezone(LONDON).date()


def breach_instant(due: date) -> datetime:
    """First instant at which a deadline due on ``due`` is breached: 00:00 London, next day."""
    return start_of_day(due + timedelta(days=1))


def start_of_day(day: date) -> datetime:
    """00:00 Europe/London on ``day``."""
    return datetime.combine(day, time(0), tzinfo=LONDON)


def add_calendar_months(start: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


class WorkingDayCalendar:
    """Bank holidays of England & Wales plus configured one-off days."""

    def __init__(self, extra_holidays: Iterable[date] = ()) -> None:
        self._extra = frozenset(extra_holidays)
        self._bank_holidays = holidays.country_holidays("GB", subdiv="ENG")

    def is_holiday(self, day: date) -> bool:
        return day in self._extra or day in self._bank_holidays

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and not self.is_holiday(day)

    def add_working_days(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (``start`` itself is day 0)."""
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        remaining = days
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def subtract_working_days(self, end: date, days: int) -> date:
        """The date ``days`` working days before ``end`` (the inverse of add_working_days
        on working days)."""
        if days < 0:
            raise ValueError("days must not be negative")
        current = end
        remaining = days
        while remaining:
            current -= timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative if end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1
            for offset in range(1, (end - start).days + 1)
            if self.is_working_day(start + timedelta(days=offset))
        )
