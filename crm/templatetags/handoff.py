from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def person(user, fallback: str = "—") -> str:
    """A user's full name, else their username; `fallback` when there is nobody."""
    if user is None:
        return fallback
    return user.get_full_name() or user.get_username()


@register.filter
def figure(item) -> str:
    """A metric's value as a person reads it: money with cents, counts with separators, ratios
    as percentages, and a dash where it is undefined (nothing to divide by)."""
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.template.defaultfilters import floatformat

    value = item.value
    if value is None:
        return "—"
    if item.kind == "money":
        return floatformat(value, "2g")
    if item.kind == "ratio":
        return f"{floatformat(value * 100, '-1g')} %"
    return intcomma(value)


@register.filter
def sub(value, other):
    """`value` minus `other` (for money differences in templates)."""
    return value - other


@register.filter
def get_item(mapping, key):
    return mapping.get(key)


@register.filter
def duration(delta) -> str:
    """A time span as a person reads it ("2 h 10 min", "3 days 4 h")."""
    from reports.workhours import describe

    return describe(delta) if delta is not None else "—"


@register.filter
def percent(value) -> str:
    """A ratio (0.875) as a percentage ("87.5 %"); "—" when it is not defined."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value) * 100:.1f} %"


@register.filter
def mul(value, factor) -> float:
    """value × factor, for sizes in server-drawn charts."""
    try:
        return round(float(value) * float(factor), 1)
    except (TypeError, ValueError):
        return 0


@register.filter
def cell(value, kind: str) -> str:
    """A report figure as the page shows it (see reports.tables.cell_text)."""
    from reports.tables import cell_text

    return cell_text(value, kind)
