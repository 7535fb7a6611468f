"""The working calendar: office hours per weekday, Indonesian public holidays and cuti bersama
(the `holidays` package, categories public and government), and the institution's own closures.

Rules (issue 4), so that everyone computes the same instant:
- `menit`/`jam` count working minutes only.
- `hari` counts working days: due at the same local time on the N-th following working day; a
  start outside office hours counts from the next opening.
- `minggu` is N×7 calendar days; a due time on a closed day or outside office hours moves to the
  next opening.
- wall-clock durations count plain elapsed time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from app.sop.durations import Duration

DEFAULT_OFFICE_HOURS = {wd: (time(8), time(16)) for wd in range(5)}  # Monday..Friday 08:00–16:00
MAX_SCAN_DAYS = 3660


@lru_cache(maxsize=64)
def national_holidays(year: int) -> dict[date, str]:
    """Indonesian public holidays and cuti bersama of one year, with Indonesian names."""
    days = holidays.country_holidays("ID", years=year, categories=("public", "government"), language="id")
    return dict(days.items())


@dataclass
class WorkingCalendar:
    timezone: str = "Asia/Jakarta"
    office_hours: dict[int, tuple[time, time]] = field(default_factory=lambda: dict(DEFAULT_OFFICE_HOURS))
    closed: dict[date, str] = field(default_factory=dict)  # the institution's own closures
    opened: set[date] = field(default_factory=set)  # national holidays the institution works on

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    # -- days ---------------------------------------------------------------------------
    def closure_reason(self, day: date) -> str | None:
        if day in self.closed:
            return self.closed[day]
        if day not in self.opened:
            name = national_holidays(day.year).get(day)
            if name:
                return name
        if day.weekday() not in self.office_hours:
            return "akhir pekan"
        return None

    def is_working_day(self, day: date) -> bool:
        return self.closure_reason(day) is None

    def hours(self, day: date) -> tuple[datetime, datetime] | None:
        """Opening and closing instants (local) of a working day, or None when closed."""
        if not self.is_working_day(day):
            return None
        start, end = self.office_hours[day.weekday()]
        return (datetime.combine(day, start, self.tz), datetime.combine(day, end, self.tz))

    def _days_from(self, day: date):
        for offset in range(MAX_SCAN_DAYS):
            yield day + timedelta(days=offset)
        raise ValueError("kalender kerja tidak memiliki hari kerja dalam 10 tahun")

    # -- instants -----------------------------------------------------------------------
    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        return moment.astimezone(self.tz)

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` itself when the office is open then, else the next opening."""
        moment = self.local(moment)
        for day in self._days_from(moment.date()):
            span = self.hours(day)
            if span is None:
                continue
            start, end = span
            if moment < end:
                return max(moment, start)

    def add_working_minutes(self, moment: datetime, minutes: int) -> datetime:
        """Count `minutes` of office time forward from `moment`."""
        moment = self.next_opening(moment)
        remaining = timedelta(minutes=minutes)
        for day in self._days_from(moment.date()):
            span = self.hours(day)
            if span is None:
                continue
            start, end = span
            begin = max(moment, start)
            if begin >= end:
                continue
            if begin + remaining <= end:
                return begin + remaining
            remaining -= end - begin

    def working_minutes_between(self, start: datetime, end: datetime) -> int:
        """Office minutes between two instants (0 when end is not after start)."""
        start, end = self.local(start), self.local(end)
        total = timedelta()
        day = start.date()
        while day <= end.date():
            span = self.hours(day)
            if span is not None:
                lo, hi = max(span[0], start), min(span[1], end)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return int(total.total_seconds() // 60)

    def add_working_days(self, moment: datetime, days: int) -> datetime:
        """The same local time on the N-th following working day (from the next opening)."""
        moment = self.next_opening(moment)
        clock = moment.timetz().replace(tzinfo=None)
        day, counted = moment.date(), 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        start, end = self.hours(day)
        due = datetime.combine(day, clock, self.tz)
        return min(max(due, start), end)

    def due(self, start: datetime, duration: Duration) -> datetime:
        """When a step that becomes active at `start` with this standard time is due (UTC)."""
        start = self.local(start)
        if duration.wall_clock:
            result = start + timedelta(minutes=duration.minutes)
        elif duration.unit in ("minutes", "hours"):
            result = self.add_working_minutes(start, duration.minutes)
        elif duration.unit == "days":
            result = self.add_working_days(start, duration.amount)
        else:  # weeks: calendar days, then the next opening
            result = self.next_opening(start + timedelta(days=7 * duration.amount))
        return result.astimezone(timezone.utc)
