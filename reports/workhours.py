"""Working-hours arithmetic for the SLA's response clock.

An SLA counts its windows in working hours: from `workday_start` to `workday_end` on its working
days, in its own time zone. An MQL that arrives on Friday at 15:30 with a four-hour window on a
9–17 weekday schedule is due on Monday at 11:30; one that arrives on Saturday is due on Monday at
13:00. Times are aware datetimes in and out; daylight-saving days are handled by working in the
SLA's zone and converting each wall-clock instant back.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from crm.db import Compiled

MAX_DAYS_SCANNED = 366 * 2  # a schedule with no working day at all is refused long before


@dataclass(frozen=True)
class Schedule:
    start: dt.time
    end: dt.time
    days: frozenset[int]  # Monday = 0
    tz: zoneinfo.ZoneInfo

    @classmethod
    def of(cls, sla) -> "Schedule":
        return cls(sla.workday_start, sla.workday_end, frozenset(sla.working_days), sla.tz)

    def _day_bounds(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return (
            dt.datetime.combine(day, self.start, tzinfo=self.tz),
            dt.datetime.combine(day, self.end, tzinfo=self.tz),
        )

    def _working_days_from(self, day: dt.date):
        for offset in range(MAX_DAYS_SCANNED):
            candidate = day + dt.timedelta(days=offset)
            if candidate.weekday() in self.days:
                yield candidate
        raise ValueError("The schedule has no working day.")

    def add(self, when: dt.datetime, hours: float) -> dt.datetime:
        """The instant `hours` working hours after `when`."""
        remaining = dt.timedelta(hours=hours)
        local = when.astimezone(self.tz)
        for day in self._working_days_from(local.date()):
            opens, closes = self._day_bounds(day)
            begin = max(opens, local) if day == local.date() else opens
            if begin >= closes:
                continue
            available = closes - begin
            if remaining <= available:
                return (begin + remaining).astimezone(dt.timezone.utc)
            remaining -= available
        raise AssertionError("unreachable")

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time from `start` to `end` (negative when `end` comes first)."""
        if end < start:
            return -self.between(end, start)
        first, last = start.astimezone(self.tz), end.astimezone(self.tz)
        total = dt.timedelta()
        day = first.date()
        while day <= last.date():
            if day.weekday() in self.days:
                opens, closes = self._day_bounds(day)
                overlap = min(closes, last) - max(opens, first)
                if overlap > dt.timedelta():
                    total += overlap
            day += dt.timedelta(days=1)
        return total


def due_at(sla, start: dt.datetime, hours: float) -> dt.datetime:
    return Schedule.of(sla).add(start, hours)


def contact_due_at(sla, start: dt.datetime) -> dt.datetime:
    """When sales must have made first contact with an MQL that arrived at `start`."""
    return due_at(sla, start, sla.first_contact_within_hours)


def decide_due_at(sla, start: dt.datetime) -> dt.datetime:
    """When a lead accepted at `start` must be qualified or recycled: the SLA's working days,
    each as long as its working day."""
    schedule = Schedule.of(sla)
    day = dt.datetime.combine(dt.date(2000, 1, 3), schedule.end) - dt.datetime.combine(
        dt.date(2000, 1, 3), schedule.start
    )
    return schedule.add(start, sla.qualify_within_days * day.total_seconds() / 3600)


def describe(delta: dt.timedelta) -> str:
    """A short span for a badge: "2 h 10 min", "45 min", "3 days"."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def _every_version():
    from reports.models import ServiceLevelAgreement

    return ServiceLevelAgreement.objects.order_by("-effective_from", "-version")


_VERSIONS = Compiled(_every_version)  # read on every inbox visit: compiled once


class SlaHistory:
    """Every SLA version, read once, to find the one in force at many moments (each MQL is
    judged by the terms that applied when it arrived) without a query per lead."""

    def __init__(self):
        self.versions = _VERSIONS()
        self._schedules = {}

    def at(self, when: dt.datetime):
        return next((v for v in self.versions if v.effective_from <= when), None)

    def schedule_at(self, when: dt.datetime) -> Schedule | None:
        sla = self.at(when)
        if sla is None:
            return None
        if sla.pk not in self._schedules:
            self._schedules[sla.pk] = Schedule.of(sla)
        return self._schedules[sla.pk]
