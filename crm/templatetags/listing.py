"""What list pages share: sortable column headers (through a django-filter OrderingFilter) and
the filter form."""

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language

from crm.templatetags.fields import form_html

register = template.Library()


@register.simple_tag(takes_context=True)
def sortable_th(context, label: str, key: str, css: str = ""):
    """A <th> whose link sorts by `key`, then by `-key`; says the current order to screen
    readers with aria-sort."""
    request = context["request"]
    current = request.GET.get("ordering", "")
    params = request.GET.copy()
    for paging in ("page", "after", "before"):  # a new order starts at its first page
        params.pop(paging, None)
    if current == key:
        params["ordering"], aria, arrow = f"-{key}", "ascending", " ▲"
    elif current == f"-{key}":
        params["ordering"], aria, arrow = key, "descending", " ▼"
    else:
        params["ordering"], aria, arrow = key, "none", ""
    return format_html(
        '<th scope="col" class="{}" aria-sort="{}"><a class="sort-link" href="?{}">{}{}</a></th>',
        css,
        aria,
        params.urlencode(),
        label,
        arrow,
    )


# Filter bars already written, by everything they are written from (see _drawn_from).
_FILTER_BARS: dict[tuple, str] = {}
FILTER_BARS_KEPT = 256


def _read_choices(field) -> tuple | None:
    """A drop-down's choices when they are read from the database; None for a fixed list, which
    belongs to the form's class (nothing changes one per request: crm.listing.FilterSet)."""
    choices = getattr(field, "choices", None)
    given = getattr(choices, "choices", choices)  # django-filter wraps them
    if given is None or isinstance(given, (list, tuple)):
        return None
    return tuple(iter(choices))  # iter(): a ModelChoiceIterator asked for its length counts


def _drawn_from(form) -> tuple | None:
    """What a filter bar's markup depends on: the form's class (one per FilterSet and set of
    filters, crm.listing), its prefix, the active language, the submitted values and the
    choices of every drop-down read from the database (read for this request anyway, to
    validate and to draw). Its errors follow from those too. None when a value cannot be part
    of a key."""
    data = form.data if form.is_bound else {}
    names = tuple(form.add_prefix(name) for name in form.fields)
    suffixed = tuple(f"{name}_" for name in names)
    # The fields' own values only (a widget of several inputs adds suffixes): the page's
    # cursor or tab would make every page of a list another bar.
    values = [
        (key, value)
        for key, value in (data.lists() if hasattr(data, "lists") else data.items())
        if key in names or key.startswith(suffixed)
    ]
    key = (
        type(form),
        form.prefix,
        get_language(),
        form.is_bound,
        tuple(sorted((name, tuple(v) if isinstance(v, list) else v) for name, v in values)),
        tuple(
            (name, choices)
            for name, field in form.fields.items()
            if (choices := _read_choices(field)) is not None
        ),
    )
    try:
        hash(key)
    except TypeError:
        return None
    return key


@register.simple_tag
def filter_fields(form):
    """A filter form's fields in Bootstrap's markup (crm/templatetags/fields.py), without
    required marks: crispy took 10 ms of a 30 ms list page for eleven fields, this about one.

    Most visits draw a list's bar with the same values and choices as the visit before (the
    unfiltered list, above all), so each bar is written once per process for everything it is
    drawn from and kept (the last 256): drawing eleven fields cost a millisecond a page."""
    key = _drawn_from(form)
    html = _FILTER_BARS.get(key) if key is not None else None
    if html is None:
        html = form_html(form, required_marks=False, alert="alert alert-danger py-2 small")
        if key is not None:
            if len(_FILTER_BARS) >= FILTER_BARS_KEPT:
                _FILTER_BARS.clear()
            _FILTER_BARS[key] = html
    return html
