import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Sum
from django.urls import reverse

from crm.links import record_urls
from crm.models import TimeStampedModel
from crm.roles import Role, has_role

_PLAIN_SLUG = re.compile(r"[-A-Za-z0-9_]+")


class Channel(models.TextChoices):
    """Where a lead came from; shared by campaigns and leads."""

    EMAIL = "email", "E-mail"
    PAID_SEARCH = "paid_search", "Paid search"
    PAID_SOCIAL = "paid_social", "Paid social"
    ORGANIC_SOCIAL = "organic_social", "Organic social"
    CONTENT = "content", "Content / SEO"
    WEBINAR = "webinar", "Webinar"
    EVENT = "event", "Event"
    REFERRAL = "referral", "Referral"
    PARTNER = "partner", "Partner"
    DIRECT_MAIL = "direct_mail", "Direct mail"
    DISPLAY = "display", "Display"
    OTHER = "other", "Other"


class CampaignQuerySet(models.QuerySet):
    def choices(self):
        """For a drop-down: by name, reading only what the option shows."""
        return self.order_by("name").only("pk", "name")

    def visible_to(self, user):
        # Campaign figures are shared: every role reads them, only marketers and managers edit.
        return self if has_role(user, Role.MARKETING, Role.SALES) else self.none()

    def with_spend(self):
        return self.annotate(
            spend=models.functions.Coalesce(
                Sum("spend_entries__amount"),
                Decimal("0.00"),
                output_field=models.DecimalField(max_digits=14, decimal_places=2),
            )
        )


class CampaignStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"


class Campaign(TimeStampedModel):
    class Objective(models.TextChoices):
        TOFU = "tofu", "Top of funnel (awareness)"
        MOFU = "mofu", "Middle of funnel (consideration)"
        BOFU = "bofu", "Bottom of funnel (decision)"

    Status = CampaignStatus

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True, help_text="Used in the public form's URL.")
    channel = models.CharField(max_length=20, choices=Channel.choices, db_index=True)
    objective = models.CharField(
        "objective funnel stage", max_length=4, choices=Objective.choices, default=Objective.TOFU
    )
    target_segment = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    budget = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaigns"
    )
    description = models.TextField(blank=True, help_text="For the team; never shown publicly.")
    form_headline = models.CharField(
        "landing-page headline",
        max_length=200,
        blank=True,
        help_text="Shown above the public form; the campaign name when empty.",
    )
    form_intro = models.TextField(
        "landing-page introduction", blank=True, help_text="A short paragraph above the form."
    )

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gte=0), name="campaign_budget_not_negative"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="campaign_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="campaign_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CampaignStatus.values), name="campaign_status_valid"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        # Reversed once per process (crm.links; reverse() cost 50 µs a link) when the slug
        # needs no quoting in a path, as a SlugField's values do.
        if _PLAIN_SLUG.fullmatch(self.slug):
            return record_urls("campaigns:campaign-detail", by="slug")(self.slug)
        return reverse("campaigns:campaign-detail", kwargs={"slug": self.slug})

    def get_public_url(self):
        return reverse("landing-page", kwargs={"slug": self.slug})

    @property
    def accepts_submissions(self) -> bool:
        """Only a live campaign's public form takes leads; planned ones open when they start."""
        return self.status in {self.Status.ACTIVE, self.Status.PLANNED}

    def can_be_edited_by(self, user) -> bool:
        return has_role(user, Role.MARKETING)

    def clean(self):
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The end date must be on or after the start date."})


class CampaignTally(models.Model):
    """How many leads a campaign brought, all time, and how many of them became MQLs.

    Kept by triggers on the lead table (migration 0003), so every way a lead is written counts
    — a form, a landing page, an import's bulk insert, a bulk promotion, a delete — and the
    campaign list reads two numbers per campaign where it counted a million leads (2.8 s). A
    table of its own, so saving a campaign never writes over a count."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, primary_key=True, related_name="tally"
    )
    leads = models.PositiveIntegerField(default=0)
    mqls = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.campaign}: {self.leads} leads, {self.mqls} MQLs"


class SpendEntry(TimeStampedModel):
    """Money spent on a campaign on one day, so spend per period can be reported."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="spend_entries")
    date = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name_plural = "spend entries"
        indexes = [models.Index(fields=["campaign", "date"]), models.Index(fields=["date"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="spend_amount_positive"),
        ]

    def __str__(self):
        return f"{self.campaign}: {self.amount} on {self.date:%Y-%m-%d}"

    def get_absolute_url(self):
        return self.campaign.get_absolute_url()
