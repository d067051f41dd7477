"""The period and filters every report page offers: this month, last month, this quarter, last
quarter or a custom range; campaign, channel and rep."""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.utils import timezone

from campaigns.models import Campaign, Channel
from crm.widgets import DateInput

PRESETS = [
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("this_quarter", "This quarter"),
    ("last_quarter", "Last quarter"),
    ("custom", "Custom range"),
]
# A custom range longer than this would scan years of history for one page.
LONGEST_RANGE = dt.timedelta(days=731)


@dataclass(frozen=True)
class Period:
    first: dt.date  # the first day
    last: dt.date  # the last day, included
    label: str

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as aware datetimes in the site's time zone."""
        tz = timezone.get_current_timezone()
        return (
            dt.datetime.combine(self.first, dt.time.min, tzinfo=tz),
            dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
        )

    def previous(self) -> "Period":
        """The period just before this one: as many whole months before, when it is whole
        months (so March follows February), else as many days."""
        following = self.last + dt.timedelta(days=1)
        if self.first.day == 1 and following.day == 1:
            months = (following.year - self.first.year) * 12 + following.month - self.first.month
            first = _months_before(self.first, months)
            last = self.first - dt.timedelta(days=1)
        else:
            last = self.first - dt.timedelta(days=1)
            first = last - (self.last - self.first)
        return Period(first, last, span_label(first, last))

    def to_date(self, today: dt.date) -> "Period":
        """The part of this period up to `today` (all of it once it is over)."""
        if not self.first <= today < self.last:
            return self
        return Period(self.first, today, f"{self.label} to date")

    def comparable_previous(self, today: dt.date) -> "Period":
        """The previous period, cut to as many days as have gone of this one when this one is
        still running: the 1st–23rd of this month compares with the 1st–23rd of the last."""
        previous = self.previous()
        if not self.first <= today < self.last:
            return previous
        last = min(previous.first + (today - self.first), previous.last)
        return Period(previous.first, last, span_label(previous.first, last))


def _months_before(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def span_label(first: dt.date, last: dt.date) -> str:
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


def _month(first: dt.date) -> Period:
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return Period(first, following - dt.timedelta(days=1), f"{first:%B %Y}")


def _quarter(first: dt.date) -> Period:
    year, month = divmod(first.month - 1 + 3, 12)
    last = dt.date(first.year + year, month + 1, 1) - dt.timedelta(days=1)
    return Period(first, last, f"Q{(first.month - 1) // 3 + 1} {first.year}")


def preset(name: str, today: dt.date) -> Period:
    this_month = today.replace(day=1)
    this_quarter = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    if name == "last_month":
        return _month((this_month - dt.timedelta(days=1)).replace(day=1))
    if name == "this_quarter":
        return _quarter(this_quarter)
    if name == "last_quarter":
        before = this_quarter - dt.timedelta(days=1)
        return _quarter(dt.date(before.year, (before.month - 1) // 3 * 3 + 1, 1))
    return _month(this_month)


class ReportFilterForm(forms.Form):
    period = forms.ChoiceField(choices=PRESETS, initial="this_month", required=False)
    first = forms.DateField(label="From", required=False, widget=DateInput())
    last = forms.DateField(label="To", required=False, widget=DateInput())
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(), required=False, empty_label="Any campaign"
    )
    channel = forms.ChoiceField(choices=[("", "Any channel"), *Channel.choices], required=False)
    rep = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Any rep", label="Sales rep"
    )

    def __init__(self, *args, **kwargs):
        from leads.filters import sales_reps

        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.choices()
        self.fields["rep"].queryset = sales_reps()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("period") == "custom":
            first, last = cleaned.get("first"), cleaned.get("last")
            if not first or not last:
                raise forms.ValidationError("Give both dates of a custom range.")
            if last < first:
                raise forms.ValidationError("The range ends before it starts.")
            if last - first > LONGEST_RANGE:
                raise forms.ValidationError("Choose a range of two years at most.")
        return cleaned

    def chosen_period(self, today: dt.date | None = None) -> Period:
        today = today or timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("period") == "custom":
            first, last = data["first"], data["last"]
            return Period(first, last, span_label(first, last))
        return preset(data.get("period") or "this_month", today)

    def chosen_filters(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {name: data.get(name) or None for name in ("campaign", "channel", "rep")}
