"""Helpers shared by the lead pages."""

from itertools import islice

from django.contrib import messages
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from crm.errors import TransitionError
from crm.validators import as_id


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


def ticked_ids(request, limit: int) -> list[int]:
    """The lead ids ticked on a list page, at most `limit` of them; anything else is no id."""
    ids = filter(None, map(as_id, request.POST.getlist("lead")))
    return list(islice(ids, limit))


def apply_to_each(request, leads, run, *, done: str, refused_word: str) -> None:
    """Run one service call per lead and say how many went through (`done` takes the count
    and its plural ending) and the first refusal."""
    count, refused = 0, []
    for lead in leads:
        try:
            run(lead)
            count += 1
        except TransitionError as e:
            refused.append(str(e))
    if count:
        messages.success(request, done.format(count=count, s=pluralize(count)))
    if refused:
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        messages.warning(request, f"{len(refused)} {refused_word}: {refused[0]}{more}")
