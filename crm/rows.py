"""What the lists that write their rows in Python share (leads/rows.py says why they do)."""

import datetime as dt

from django.utils import timezone
from django.utils.html import avoid_wrapping
from django.utils.timesince import TIME_STRINGS, timesince
from django.utils.translation import get_language, gettext

from crm.roles import display_name
from crm.templatetags.handoff import month_names, person

DASH = "—"


class _Unit:
    """One of `timesince()`'s units ("%(num)d day" / "days"), written once per count: Django
    translates the phrase on every use, 30 µs a date in a list of twenty-five."""

    def __init__(self, phrase):
        self.phrase = phrase
        self.texts = {}

    def __mod__(self, values: dict) -> str:
        count = values["num"]
        if count not in self.texts:
            self.texts[count] = self.phrase % values
        return self.texts[count]


# timesince()'s units, per language (the counts are few: up to 59 minutes, 23 hours, …).
_UNITS: dict[str, dict[str, _Unit]] = {}

# The units under a month, in minutes, largest first; and the span under which no month can
# have passed (timesince() counts months by the calendar).
_SHORT_UNITS = (("week", 7 * 24 * 60), ("day", 24 * 60), ("hour", 60), ("minute", 1))
_NO_MONTH = dt.timedelta(days=28)
# "3 days" as since() writes it, per language: (unit, count) → text.
_WRAPPED: dict[str, dict[tuple[str, int], str]] = {}


class Writer:
    """What every row of a list needs, looked up once per list rather than once per row: the
    time zone, the month names, links, people's names."""

    def __init__(self):
        self.zone = timezone.get_current_timezone()
        self.months = month_names()
        language = get_language()
        if language not in _UNITS:
            _UNITS[language] = {name: _Unit(phrase) for name, phrase in TIME_STRINGS.items()}
        self.units = _UNITS[language]
        self.wrapped = _WRAPPED.setdefault(language, {})
        self.comma = None
        self.people = {}

    def since(self, value) -> str:
        """`timesince(value)`: "3 days, 4 hours" (from now). Under four weeks it depends on the
        whole minutes passed alone, and is written here without Django's lazy-text wrappers
        (7 µs a date, 25 a page); longer spans, which count months, are Django's."""
        if value.tzinfo is None:
            return timesince(value, time_strings=self.units)
        # As timesince() measures: on the value's own clock (across a change to summer time, a
        # day of 23 hours is a day).
        passed = dt.datetime.now(value.tzinfo) - value
        if passed >= _NO_MONTH:
            return timesince(value, time_strings=self.units)
        minutes = max(int(passed.total_seconds() // 60), 0)
        parts = []
        for name, size in _SHORT_UNITS:
            count, minutes = divmod(minutes, size)
            if count:
                parts.append(self._unit(name, count))
                if len(parts) == 2:
                    break
            elif parts:  # timesince() gives adjacent units only: "1 week, 2 days", not hours
                break
        if not parts:
            return self._unit("minute", 0)
        if self.comma is None:
            self.comma = gettext(", ")
        return self.comma.join(parts)

    def _unit(self, name: str, count: int) -> str:
        """ "3 days", unbreakable (as timesince() writes it)."""
        key = (name, count)
        if key not in self.wrapped:
            self.wrapped[key] = avoid_wrapping(self.units[name] % {"num": count})
        return self.wrapped[key]

    def local(self, value):
        return value.astimezone(self.zone) if value is not None else None

    def person(self, user) -> str:
        if user is None:
            return DASH
        if user.pk not in self.people:
            self.people[user.pk] = person(user)
        return self.people[user.pk]

    @staticmethod
    def name(first: str | None, last: str | None, username: str | None) -> str:
        """`person()` of a user read as values."""
        return DASH if username is None else display_name(first, last, username)
