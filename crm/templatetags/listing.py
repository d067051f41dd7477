"""What list pages share: sortable column headers (through a django-filter OrderingFilter) and
the filter form."""

from django import template
from django.utils.html import format_html

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


@register.simple_tag
def filter_fields(form):
    """A filter form's fields in Bootstrap's markup (crm/templatetags/fields.py), without
    required marks: crispy took 10 ms of a 30 ms list page for eleven fields, this about one."""
    return form_html(form, required_marks=False, alert="alert alert-danger py-2 small")
