"""Sortable column headers for list pages that sort through a django-filter OrderingFilter."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def sortable_th(context, label: str, key: str, css: str = ""):
    """A <th> whose link sorts by `key`, then by `-key`; says the current order to screen
    readers with aria-sort."""
    request = context["request"]
    current = request.GET.get("ordering", "")
    params = request.GET.copy()
    params.pop("page", None)
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
