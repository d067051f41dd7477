"""The figures a report page shows, as tables of typed columns and bar charts. The page and its
CSV download render the same `Table` objects, so they always agree.

Values stay numbers here (counts, Decimal money, ratios 0–1, seconds, days); `cell_text` and
`csv_cell` are the only two ways they are written out.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat

# Column kinds and their unit in a CSV header.
UNITS = {"ratio": " (%)", "seconds": " (hours)", "days": " (days)"}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"  # text, count, money, ratio, seconds or days
    formula: str = ""


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict]
    total: dict | None = None
    empty: str = "Nothing in this period with these filters."
    sortable: bool = False
    sorted_by: str = ""

    @property
    def formulas(self) -> list[Column]:
        return [column for column in self.columns if column.formula]

    def csv_rows(self):
        """A titled block: the title, the header with units, the rows, the total, a blank line."""
        yield [self.title]
        yield [column.label + UNITS.get(column.kind, "") for column in self.columns]
        for row in [*self.rows, *([self.total] if self.total else [])]:
            yield [csv_cell(row.get(column.key), column.kind) for column in self.columns]
        yield []


def make_table(key, title, first: Column, columns, rows, total=None, **options) -> Table:
    """A table whose first column names the row and whose others are a metric module's
    (key, label, kind, formula) definitions."""
    return Table(key, title, [first, *[Column(*c) for c in columns]], rows, total, **options)


def cell_text(value, kind: str) -> str:
    """A value as the page shows it; "—" where a figure is undefined (nothing to divide by)."""
    if value is None or value == "":
        return "—"
    if kind == "text":
        return str(value)
    if kind == "money":
        return floatformat(value, "0g")
    if kind == "ratio":
        return f"{Decimal(value) * 100:.1f}\u00a0%"
    if kind == "points":  # a change of a ratio
        return f"{abs(Decimal(value)) * 100:.1f}\u00a0points"
    if kind == "change":  # a relative change, its direction told apart
        return f"{abs(Decimal(value)) * 100:.1f}\u00a0%"
    if kind == "seconds":
        return hours_text(value)
    if kind == "days":
        return f"{floatformat(value, '-1g')}\u00a0d"
    return intcomma(value)


def csv_cell(value, kind: str) -> str:
    """A value for a spreadsheet: plain numbers, percentages and hours with one decimal."""
    if value is None:
        return ""
    if kind == "ratio":
        return f"{Decimal(value) * 100:.1f}"
    if kind == "seconds":
        return f"{value / 3600:.1f}"
    if kind == "money":
        return f"{Decimal(value):.2f}"
    if kind == "days":
        return f"{Decimal(value):.1f}"
    return str(value)


def hours_text(seconds: int | float) -> str:
    """A response time: minutes under an hour, hours under two days, then days."""
    if seconds < 3600:
        return f"{round(seconds / 60)}\u00a0min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f}\u00a0h"
    return f"{seconds / 86400:.1f}\u00a0days"


def seconds_of(value) -> int | None:
    """A duration read from the database as seconds: PostgreSQL returns a timedelta, SQLite
    microseconds (a duration expression) or a number."""
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds())
    return round(value / 1_000_000)


@dataclass
class Bar:
    label: str
    values: list  # one per series: (value, width in %, text)


@dataclass
class Chart:
    """A horizontal bar chart drawn on the server (SVG): one group of bars per label, one bar
    per series; each bar carries its value as text, so the chart reads in print and greyscale."""

    title: str
    series: list[str]
    bars: list[Bar] = field(default_factory=list)

    @property
    def height(self) -> int:
        return len(self.bars) * self.group_height + 24

    @property
    def group_height(self) -> int:
        return 12 + 18 * len(self.series)


def bar_chart(title: str, rows: list[dict], label: str, series: list[tuple[str, str]], kind: str):
    """A chart of `rows`: `label` names each group, `series` is (key, name) per bar."""
    top = max((row.get(key) or 0 for row in rows for key, _ in series), default=0)
    chart = Chart(title=title, series=[name for _, name in series])
    for row in rows:
        values = []
        for key, _ in series:
            value = row.get(key) or 0
            width = float(value) * 100 / float(top) if top else 0
            values.append((value, round(width, 1), cell_text(row.get(key), kind)))
        chart.bars.append(Bar(label=str(row.get(label) or "—"), values=values))
    return chart
