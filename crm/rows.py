"""What the lists that write their rows in Python share (leads/rows.py says why they do)."""

from django.utils import timezone

from crm.roles import display_name
from crm.templatetags.handoff import person

DASH = "—"


class Writer:
    """What every row of a list needs, looked up once per list rather than once per row: the
    time zone, links, people's names."""

    def __init__(self):
        self.zone = timezone.get_current_timezone()
        self.people = {}

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
