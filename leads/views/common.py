"""Helpers shared by the lead pages."""

from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme


def back_to(request, fallback):
    """Where a form asked to go back to, if it is on this site; else `fallback`."""
    back = request.POST.get("next")
    return back if is_local_url(back) else fallback


def with_edit_rights(activities, user) -> list:
    now = timezone.now()
    activities = list(activities)
    for activity in activities:
        activity.editable = activity.can_be_changed_by(user, now)
    return activities


def is_local_url(url) -> bool:
    return bool(url) and url_has_allowed_host_and_scheme(url, allowed_hosts=None)
