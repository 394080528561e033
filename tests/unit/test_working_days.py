"""England working days, calendar months and Europe/London business time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from domain.working_days import (
    LONDON,
    WorkingDayCalendar,
    add_calendar_months,
    breach_instant,
    business_date,
)

# England & Wales bank holidays as published on gov.uk (independent of the holidays package).
BANK_HOLIDAYS_2026 = {
    date(2026, 1, 1),
    date(2026, 4, 3),  # Good Friday
    date(2026, 4, 6),  # Easter Monday
    date(2026, 5, 4),
    date(2026, 5, 25),
    date(2026, 8, 31),
    date(2026, 12, 25),
    date(2026, 12, 28),  # Boxing Day (Saturday 26th) substitute
}
BANK_HOLIDAYS_2027 = {
    date(2027, 1, 1),
    date(2027, 3, 26),
    date(2027, 3, 29),
    date(2027, 5, 3),
    date(2027, 5, 31),
    date(2027, 8, 30),
    date(2027, 12, 27),  # Christmas Day (Saturday) substitute
    date(2027, 12, 28),  # Boxing Day (Sunday) substitute
}


def _year(year: int) -> list[date]:
    start = date(year, 1, 1)
    return [start + timedelta(days=n) for n in range((date(year + 1, 1, 1) - start).days)]


@pytest.fixture
def cal() -> WorkingDayCalendar:
    return WorkingDayCalendar()


class TestAddWorkingDays:
    def test_worked_example_skips_the_early_may_bank_holiday(self, cal: WorkingDayCalendar) -> None:
        # Identified Sat 2 May 2026; Mon 4 May is a bank holiday; Tue 5 is day 1.
        assert cal.add_working_days(date(2026, 5, 2), 2) == date(2026, 5, 6)

    def test_day_zero_is_the_trigger_date_whatever_the_weekday(self, cal: WorkingDayCalendar) -> None:
        assert cal.add_working_days(date(2026, 5, 2), 0) == date(2026, 5, 2)  # Saturday
        assert cal.add_working_days(date(2026, 5, 4), 0) == date(2026, 5, 4)  # bank holiday

    @pytest.mark.parametrize(
        ("start", "days", "due"),
        [
            (date(2026, 6, 5), 1, date(2026, 6, 8)),  # Friday + 1 -> Monday
            (date(2026, 6, 6), 1, date(2026, 6, 8)),  # Saturday + 1 -> Monday
            (date(2026, 6, 7), 1, date(2026, 6, 8)),  # Sunday + 1 -> Monday
            (date(2026, 6, 8), 5, date(2026, 6, 15)),  # a plain week
            (date(2026, 6, 3), 3, date(2026, 6, 8)),  # Wednesday + 3 crosses a weekend
        ],
    )
    def test_weekends_are_not_working_days(
        self, cal: WorkingDayCalendar, start: date, days: int, due: date
    ) -> None:
        assert cal.add_working_days(start, days) == due

    def test_easter_2026(self, cal: WorkingDayCalendar) -> None:
        assert cal.is_holiday(date(2026, 4, 3))  # Good Friday
        assert cal.is_holiday(date(2026, 4, 6))  # Easter Monday
        assert not cal.is_working_day(date(2026, 4, 3))
        # Thu 2 Apr + 1 WD skips Good Friday, the weekend and Easter Monday.
        assert cal.add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)

    def test_christmas_2026_substitute_day(self, cal: WorkingDayCalendar) -> None:
        assert cal.is_holiday(date(2026, 12, 28))
        # Thu 24 Dec 2026 + 1 WD: Fri 25 holiday, weekend, Mon 28 substitute -> Tue 29.
        assert cal.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)

    def test_christmas_2027_two_substitute_days(self, cal: WorkingDayCalendar) -> None:
        assert cal.is_holiday(date(2027, 12, 27))
        assert cal.is_holiday(date(2027, 12, 28))
        # Fri 24 Dec 2027 + 1 WD -> Wed 29 Dec 2027.
        assert cal.add_working_days(date(2027, 12, 24), 1) == date(2027, 12, 29)

    def test_one_off_coronation_bank_holiday_8_may_2023(self, cal: WorkingDayCalendar) -> None:
        assert cal.is_holiday(date(2023, 5, 8))
        # Fri 5 May 2023 + 1 WD -> Tue 9 May 2023.
        assert cal.add_working_days(date(2023, 5, 5), 1) == date(2023, 5, 9)

    @pytest.mark.parametrize(("year", "expected"), [(2026, BANK_HOLIDAYS_2026), (2027, BANK_HOLIDAYS_2027)])
    def test_weekday_holidays_match_the_published_list(
        self, cal: WorkingDayCalendar, year: int, expected: set[date]
    ) -> None:
        weekday_holidays = {d for d in _year(year) if d.weekday() < 5 and cal.is_holiday(d)}
        assert weekday_holidays == expected

    def test_configured_extra_holiday_shifts_the_due_date(self) -> None:
        extra = WorkingDayCalendar(extra_holidays=[date(2026, 5, 6)])
        assert extra.is_holiday(date(2026, 5, 6))
        assert not extra.is_working_day(date(2026, 5, 6))
        assert extra.add_working_days(date(2026, 5, 2), 2) == date(2026, 5, 7)
        assert WorkingDayCalendar().add_working_days(date(2026, 5, 2), 2) == date(2026, 5, 6)

    def test_negative_days_are_refused(self, cal: WorkingDayCalendar) -> None:
        with pytest.raises(ValueError, match="negative"):
            cal.add_working_days(date(2026, 5, 6), -1)


class TestWorkingDaysBetween:
    @pytest.mark.parametrize(
        ("start", "end", "count"),
        [
            (date(2026, 5, 1), date(2026, 5, 6), 2),  # Tue 5, Wed 6 (Mon 4 is a holiday)
            (date(2026, 5, 6), date(2026, 5, 1), -2),
            (date(2026, 5, 6), date(2026, 5, 6), 0),
            (date(2026, 5, 8), date(2026, 5, 10), 0),  # Friday to Sunday
            (date(2026, 12, 24), date(2026, 12, 31), 3),  # 29, 30, 31 Dec
            (date(2026, 5, 5), date(2026, 5, 19), 10),  # the candour clock of the worked example
        ],
    )
    def test_counts(self, cal: WorkingDayCalendar, start: date, end: date, count: int) -> None:
        assert cal.working_days_between(start, end) == count

    @pytest.mark.parametrize("start", [date(2026, 4, 1), date(2026, 5, 2), date(2026, 12, 20)])
    def test_inverse_of_add_working_days(self, cal: WorkingDayCalendar, start: date) -> None:
        for days in range(25):
            assert cal.working_days_between(start, cal.add_working_days(start, days)) == days


class TestCalendarMonths:
    @pytest.mark.parametrize(
        ("start", "months", "expected"),
        [
            (date(2026, 1, 31), 1, date(2026, 2, 28)),
            (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
            (date(2026, 3, 31), 1, date(2026, 4, 30)),
            (date(2026, 8, 31), 6, date(2027, 2, 28)),  # year rollover and clamp
            (date(2026, 11, 15), 3, date(2027, 2, 15)),
            (date(2026, 5, 15), 6, date(2026, 11, 15)),
            (date(2026, 5, 15), 12, date(2027, 5, 15)),
            (date(2026, 5, 15), 0, date(2026, 5, 15)),
        ],
    )
    def test_same_day_clamped_to_month_end(self, start: date, months: int, expected: date) -> None:
        assert add_calendar_months(start, months) == expected


class TestLondonTime:
    def test_breach_instant_in_winter_is_midnight_gmt(self) -> None:
        breach = breach_instant(date(2026, 1, 15))
        assert breach.date() == date(2026, 1, 16)
        assert breach.time() == time(0, 0)
        assert breach.utcoffset() == timedelta(0)
        assert breach == datetime(2026, 1, 16, 0, 0, tzinfo=UTC)

    def test_breach_instant_in_summer_is_midnight_bst(self) -> None:
        breach = breach_instant(date(2026, 7, 15))
        assert breach.utcoffset() == timedelta(hours=1)
        assert breach == datetime(2026, 7, 15, 23, 0, tzinfo=UTC)
        assert breach.astimezone(LONDON).date() == date(2026, 7, 16)

    def test_last_moment_of_due_date_is_before_breach(self) -> None:
        due = date(2026, 7, 15)
        assert datetime(2026, 7, 15, 22, 59, 59, tzinfo=UTC) < breach_instant(due)

    def test_business_date_near_midnight_utc_in_summer_is_the_next_london_day(self) -> None:
        assert business_date(datetime(2026, 7, 15, 23, 30, tzinfo=UTC)) == date(2026, 7, 16)

    def test_business_date_near_midnight_utc_in_winter_is_the_same_day(self) -> None:
        assert business_date(datetime(2026, 1, 15, 23, 30, tzinfo=UTC)) == date(2026, 1, 15)

    def test_business_date_from_another_offset(self) -> None:
        # 02:00 on 16 Jan at +05:00 is 21:00 UTC on 15 Jan: still the 15th in London.
        assert business_date(datetime(2026, 1, 16, 2, 0, tzinfo=timezone(timedelta(hours=5)))) == date(
            2026, 1, 15
        )

    def test_business_date_refuses_naive_instants(self) -> None:
        with pytest.raises(ValueError, match="UTC offset"):
            business_date(datetime(2026, 7, 15, 12, 0))
