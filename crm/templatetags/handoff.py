from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.dates import MONTHS_3
from django.utils.html import format_html
from django.utils.translation import get_language

from crm.roles import display_name
from leads.models import LeadStage, OpportunityStage

register = template.Library()

# Lead and deal stages share the badge styles; their values do not overlap.
STAGE_LABELS = {**dict(LeadStage.choices), **dict(OpportunityStage.choices)}
BADGE = '<span class="badge stage stage-{}">{}</span>'
STAGE_BADGES = {stage: format_html(BADGE, stage, label) for stage, label in STAGE_LABELS.items()}


@register.filter
def person(user, fallback: str = "—") -> str:
    """A user's full name, else their username; `fallback` when there is nobody."""
    if user is None:
        return fallback
    return display_name(user.first_name, user.last_name, user.get_username())


def month_names() -> list[str]:
    """Month abbreviations of the active language, as `date:"M"` writes them (index 1–12).
    Lists writing many rows look them up once (crm.rows.Writer) and pass them on: finding the
    active language cost 7 µs a date."""
    language = get_language()
    if language not in _MONTHS:
        _MONTHS[language] = [""] + [str(MONTHS_3[m]).title() for m in range(1, 13)]
    return _MONTHS[language]


_MONTHS: dict[str, list[str]] = {}


@register.filter(expects_localtime=True)
def day(value, months=None) -> str:
    """`value|date:"j M Y"` ("23 Nov 2026") at a tenth of its cost: lists format one per row.
    (`months`, here and below: `month_names()`, when the caller has them already.)"""
    if not value:
        return ""
    return f"{day_month(value, months)} {value.year}"


@register.filter(expects_localtime=True)
def day_time(value, months=None) -> str:
    """`value|date:"j M Y H:i"` ("23 Nov 2026 14:05"), the same way."""
    if not value:
        return ""
    return f"{day(value, months)} {value:%H:%M}"


@register.filter(expects_localtime=True)
def day_month(value, months=None) -> str:
    """`value|date:"j M"` ("23 Nov"), the same way."""
    if not value:
        return ""
    return f"{value.day} {(months or month_names())[value.month]}"


def month_year(value, months=None) -> str:
    """`value|date:"M Y"` ("Nov 2026")."""
    if not value:
        return ""
    return f"{(months or month_names())[value.month]} {value.year}"


def short_day(value, months=None) -> str:
    """`value|date:"j M y"` ("23 Nov 26")."""
    if not value:
        return ""
    return f"{day_month(value, months)} {value:%y}"


def whole_money(value) -> str:
    """`value|floatformat:"0g"` (12,001 for 12,000.50, rounding half up)."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"


@register.filter
def money(value) -> str:
    """An amount with thousands separators and cents (`floatformat:"2g"` in en-GB: 12,000.00)
    at a tenth of the cost; an empty string for no amount."""
    if value is None or value == "":
        return ""
    return f"{_rounded(_decimal(value), CENT):,.2f}"


CENT, TENTH = Decimal("0.01"), Decimal("0.1")


def _decimal(value) -> Decimal:
    """`value` as floatformat reads it: a float by its shortest repr, not its binary value."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _rounded(value: Decimal, step: Decimal) -> Decimal:
    """Rounded half up, as floatformat rounds, and never "-0.00"."""
    rounded = value.quantize(step, ROUND_HALF_UP)
    return rounded if rounded else abs(rounded)


@register.filter
def stage_badge(stage: str) -> str:
    """A lead's or deal's stage as its coloured badge (what includes/_stage.html draws), without
    `get_stage_display()`, which builds a dict of the choices on every call."""
    return STAGE_BADGES.get(stage) or format_html(BADGE, stage, stage)


@register.filter
def figure(item) -> str:
    """A metric's value as a person reads it: money with cents, counts with separators, ratios
    as percentages, and a dash where it is undefined (nothing to divide by). What
    `floatformat` ("2g" for money, "-1g" for a ratio's percent) and `intcomma` wrote, in
    English, at a tenth of their cost: a campaign page shows thirteen figures."""
    value = item.value
    if value is None:
        return "—"
    if item.kind == "money":
        return money(value)
    if item.kind == "ratio":
        percent = _decimal(value * 100)
        if percent == percent.to_integral_value():  # "-1": no decimals for a whole number
            return f"{int(percent):,} %"
        return f"{_rounded(percent, TENTH):,.1f} %"
    return f"{value:,}"


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


@register.filter
def minutes(value) -> str:
    """A timedelta as "15 minutes" (the lock-out page's wait)."""
    count = round(value.total_seconds() / 60) if value else 0
    return f"{count} minute{'' if count == 1 else 's'}"


@register.filter
def audit_changes(entry) -> list[tuple[str, str]]:
    """An audit entry's changed fields as (label, text): "before → after" for a change, the
    value it was made with or removed with for a create or delete; the id left out (the page
    names the record) and an emptied value shown as a dash."""

    def text(value) -> str:
        return "—" if value in (None, "", "None") else str(value)

    pairs = []
    for label, (before, after) in entry.changes_display_dict.items():
        if label.casefold() == "id":
            continue
        if entry.action == entry.Action.CREATE:
            pairs.append((label, text(after)))
        elif entry.action == entry.Action.DELETE:
            pairs.append((label, text(before)))
        else:
            pairs.append((label, f"{text(before)} → {text(after)}"))
    return pairs
