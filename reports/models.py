import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Channel
from crm.models import TimeStampedModel

WEEKDAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

# Lead fields the MQL definition may require, with the words the SLA page uses for them.
MQL_FIELD_CHOICES = [
    ("email", "E-mail"),
    ("phone", "Phone"),
    ("company", "Company"),
    ("job_title", "Job title"),
    ("industry", "Industry"),
    ("company_size", "Company size"),
    ("country", "Country"),
]


@dataclass(frozen=True)
class MqlCheck:
    """The answer to "does this lead meet the MQL definition?", with the reasons."""

    met: bool
    score: int
    min_score: int
    missing_fields: list[str] = field(default_factory=list)

    @property
    def problems(self) -> str:
        parts = []
        if self.score < self.min_score:
            parts.append(f"score {self.score} is below {self.min_score}")
        if self.missing_fields:
            labels = dict(MQL_FIELD_CHOICES)
            parts.append("missing " + ", ".join(labels[f] for f in self.missing_fields))
        return "; ".join(parts)

    def as_trace(self) -> dict:
        return {
            "score": self.score,
            "min_score": self.min_score,
            "missing_fields": self.missing_fields,
        }


class ServiceLevelAgreementQuerySet(models.QuerySet):
    def in_force_at(self, when: dt.datetime):
        """The version that applied at `when`, or None before the first one."""
        return self.filter(effective_from__lte=when).order_by("-effective_from", "-version").first()

    def current(self):
        return self.in_force_at(timezone.now())


class ServiceLevelAgreement(models.Model):
    """The agreement between marketing and sales. Versioned: a change is a new row, never an
    edit, so past periods are judged against the terms that applied then."""

    class Assignment(models.TextChoices):
        ROUND_ROBIN = "round_robin", "Round-robin to active reps"
        SHARED_QUEUE = "shared_queue", "Shared queue: reps claim MQLs"

    version = models.PositiveIntegerField(unique=True)
    effective_from = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    change_note = models.CharField("what changed and why", max_length=300, blank=True)

    # Marketing's side.
    mql_target_per_month = models.PositiveIntegerField("MQLs marketing delivers per month")
    mql_min_score = models.IntegerField("minimum score for an MQL")
    mql_required_fields = models.JSONField("fields an MQL must have", default=list, blank=True)
    mql_targets_by_channel = models.JSONField(
        "MQLs per channel per month",
        default=dict,
        blank=True,
        help_text="Optional parts of the monthly target, by channel: {channel: MQLs}.",
    )
    # Sales' side, counted in working hours and days.
    accept_within_hours = models.PositiveSmallIntegerField(
        "accept or reject an MQL within (working hours)"
    )
    first_contact_within_hours = models.PositiveSmallIntegerField(
        "first contact within (working hours)"
    )
    qualify_within_days = models.PositiveSmallIntegerField(
        "qualify or recycle within (working days)"
    )
    escalate_after_hours = models.PositiveSmallIntegerField(
        "reassign an untouched MQL after (working hours)",
        null=True,
        blank=True,
        help_text="Leave empty to never reassign automatically.",
    )
    workday_start = models.TimeField(default=dt.time(9, 0))
    workday_end = models.TimeField(default=dt.time(17, 0))
    working_days = models.JSONField(
        default=list, help_text="Weekday numbers, Monday = 0 … Sunday = 6."
    )
    timezone = models.CharField(max_length=64, default="Europe/London")
    assignment = models.CharField(
        max_length=12, choices=Assignment.choices, default=Assignment.ROUND_ROBIN
    )

    objects = ServiceLevelAgreementQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name = "service-level agreement"
        constraints = [
            models.CheckConstraint(
                condition=Q(workday_end__gt=F("workday_start")), name="sla_workday_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(accept_within_hours__gt=0, first_contact_within_hours__gt=0),
                name="sla_windows_positive",
            ),
            models.CheckConstraint(
                condition=Q(qualify_within_days__gt=0), name="sla_qualify_window_positive"
            ),
            models.CheckConstraint(
                condition=Q(escalate_after_hours__isnull=True)
                | Q(escalate_after_hours__gt=F("accept_within_hours")),
                name="sla_escalation_after_window",
            ),
        ]

    def __str__(self):
        return f"SLA v{self.version} from {self.effective_from:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("An SLA version is never edited: create the next version.")
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("reports:sla")

    def clean(self):
        errors = {}
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors["timezone"] = f"“{self.timezone}” is not a time zone name (e.g. Europe/London)."
        days = self.working_days
        if (
            not isinstance(days, list)
            or not days
            or any(not isinstance(d, int) or not 0 <= d <= 6 for d in days)
            or len(set(days)) != len(days)
        ):
            errors["working_days"] = "Choose at least one working day."
        known = {name for name, _ in MQL_FIELD_CHOICES}
        if (
            not isinstance(self.mql_required_fields, list)
            or not set(self.mql_required_fields) <= known
        ):
            errors["mql_required_fields"] = "Choose required fields from the list."
        targets = self.mql_targets_by_channel
        channels = {name for name, _ in Channel.choices}
        if (
            not isinstance(targets, dict)
            or not set(targets) <= channels
            or any(not isinstance(n, int) or isinstance(n, bool) or n < 1 for n in targets.values())
        ):
            errors["mql_targets_by_channel"] = "Give each channel's target as a whole number ≥ 1."
        elif self.mql_target_per_month is not None and (
            sum(targets.values()) > self.mql_target_per_month
        ):
            errors["mql_targets_by_channel"] = (
                f"The channels' targets add up to {sum(targets.values())}, more than the "
                f"{self.mql_target_per_month} MQLs a month in all."
            )
        if self.workday_start and self.workday_end and self.workday_end <= self.workday_start:
            errors["workday_end"] = "The working day must end after it starts."
        if (
            self.escalate_after_hours is not None
            and self.accept_within_hours
            and self.escalate_after_hours <= self.accept_within_hours
        ):
            errors["escalate_after_hours"] = (
                "Escalation must come after the acceptance window has passed."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def working_days_label(self) -> str:
        return ", ".join(WEEKDAY_NAMES[d] for d in sorted(self.working_days))

    @property
    def channel_targets(self) -> list[tuple[str, str, int]]:
        """The channels' targets as (channel, label, MQLs), in the channels' order."""
        targets = self.mql_targets_by_channel or {}
        return [(key, label, targets[key]) for key, label in Channel.choices if key in targets]

    def required_fields_labels(self) -> list[str]:
        labels = dict(MQL_FIELD_CHOICES)
        return [labels.get(name, name) for name in self.mql_required_fields]

    def check_lead(self, lead) -> MqlCheck:
        missing = [name for name in self.mql_required_fields if not getattr(lead, name, "")]
        return MqlCheck(
            met=lead.score >= self.mql_min_score and not missing,
            score=lead.score,
            min_score=self.mql_min_score,
            missing_fields=missing,
        )


class QuotaQuerySet(models.QuerySet):
    def covering(self, day: dt.date):
        return self.filter(period_start__lte=day, period_end__gte=day)

    def with_attainment(self):
        """Annotate `won`: the rep's won revenue closed within the quota's period."""
        from leads.models import Opportunity

        money = models.DecimalField(max_digits=14, decimal_places=2)
        won = (
            Opportunity.objects.won()
            .filter(
                owner=OuterRef("rep"),
                closed_date__gte=OuterRef("period_start"),
                closed_date__lte=OuterRef("period_end"),
            )
            .order_by()
            .values("owner")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        return self.annotate(
            won=Coalesce(Subquery(won, output_field=money), Decimal("0.00"), output_field=money)
        )


class Quota(TimeStampedModel):
    """A rep's revenue target for one month or one quarter."""

    class Period(models.TextChoices):
        MONTH = "month", "Month"
        QUARTER = "quarter", "Quarter"

    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quotas"
    )
    period = models.CharField(max_length=7, choices=Period.choices, default=Period.MONTH)
    period_start = models.DateField(help_text="The first day of the month or quarter.")
    # The last day of the period, kept by save() so attainment is one query over many quotas.
    period_end = models.DateField(editable=False)
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    objects = QuotaQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start", "rep"]
        constraints = [
            models.UniqueConstraint(
                fields=["rep", "period", "period_start"], name="quota_one_per_rep_period"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="quota_amount_positive"),
        ]

    def __str__(self):
        return f"{self.rep}: {self.amount} for {self.period_label}"

    def get_absolute_url(self):
        return reverse("reports:quota-list")

    def save(self, *args, **kwargs):
        self.period_end = self.last_day()
        super().save(*args, **kwargs)

    @property
    def attainment(self) -> Decimal | None:
        """Won revenue in the period ÷ quota, in percent (needs `with_attainment()`)."""
        won = getattr(self, "won", None)
        if won is None or not self.amount:
            return None
        return (won * 100 / self.amount).quantize(Decimal("0.1"))

    def last_day(self) -> dt.date:
        """The last day of the period."""
        months = 3 if self.period == self.Period.QUARTER else 1
        year, month = divmod(self.period_start.month - 1 + months, 12)
        return dt.date(self.period_start.year + year, month + 1, 1) - dt.timedelta(days=1)

    @property
    def period_label(self) -> str:
        if self.period == self.Period.QUARTER:
            return f"Q{(self.period_start.month - 1) // 3 + 1} {self.period_start.year}"
        return f"{self.period_start:%B %Y}"

    def clean(self):
        start = self.period_start
        if start is None:
            return
        if start.day != 1:
            raise ValidationError({"period_start": "A period starts on the first of a month."})
        if self.period == self.Period.QUARTER and start.month not in (1, 4, 7, 10):
            raise ValidationError(
                {"period_start": "A quarter starts on 1 January, April, July or October."}
            )
        if self.amount is not None and self.amount <= Decimal("0"):
            raise ValidationError({"amount": "A quota must be more than zero."})
