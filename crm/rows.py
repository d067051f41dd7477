"""What the lists that write their rows in Python share (leads/rows.py says why they do)."""

from django.utils import timezone
from django.utils.timesince import TIME_STRINGS, timesince
from django.utils.translation import get_language

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
        self.people = {}

    def since(self, value) -> str:
        """`timesince(value)`: "3 days, 4 hours" (from now)."""
        return timesince(value, time_strings=self.units)

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
