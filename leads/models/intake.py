"""How leads come in and are routed: form submissions, scoring rules, CSV imports,
round-robin cursors and SLA breaches."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from crm.models import TimeStampedModel
from leads.models.leads import Lead

# --- Landing-page submissions and scoring -----------------------------------------------------


class FormSubmission(models.Model):
    """One filled-in public campaign form: a touch on a lead, with where it came from."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="submissions")
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="submissions"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    # What the person typed, as typed (the lead keeps the cleaned, current values).
    answers = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    consent = models.BooleanField(default=False)
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    referrer = models.URLField(max_length=1000, blank=True)
    landing_url = models.URLField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["lead", "submitted_at"], name="submission_lead_idx"),
            models.Index(fields=["campaign", "submitted_at"], name="submission_campaign_idx"),
        ]

    def __str__(self):
        return f"{self.lead} via {self.campaign} at {self.submitted_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return self.lead.get_absolute_url()


class ScoringRule(TimeStampedModel):
    """Points a lead earns (or loses) when one of its fields meets a condition."""

    class Field(models.TextChoices):
        JOB_TITLE = "job_title", "Job title"
        COMPANY = "company", "Company"
        COMPANY_SIZE = "company_size", "Company size"
        INDUSTRY = "industry", "Industry"
        COUNTRY = "country", "Country"
        CHANNEL = "channel", "Channel"
        EMAIL = "email", "E-mail"
        SUBMISSIONS = "submission_count", "Form submissions"

    class Condition(models.TextChoices):
        EQUALS = "equals", "equals"
        CONTAINS = "contains", "contains"
        AT_LEAST = "at_least", "is at least"
        IN_LIST = "in_list", "is one of"

    field = models.CharField(max_length=20, choices=Field.choices)
    condition = models.CharField(max_length=10, choices=Condition.choices)
    value = models.CharField(
        max_length=500, help_text="For “is one of”, separate the values with commas."
    )
    points = models.IntegerField(help_text="Negative points lower the score.")
    is_active = models.BooleanField("active", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["field", "condition", "value", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(points__gte=-1000, points__lte=1000), name="rule_points_bounded"
            ),
        ]

    def __str__(self):
        sign = "+" if self.points >= 0 else "−"
        return (
            f"{self.get_field_display()} {self.get_condition_display()} “{self.value}”: "
            f"{sign}{abs(self.points)}"
        )

    def get_absolute_url(self):
        return reverse("leads:rule-list")


class LeadImport(TimeStampedModel):
    """One CSV file on its way in — leads or deals: uploaded, mapped, then imported in the
    background with its progress and row-level errors kept here, so any server can show them."""

    class Kind(models.TextChoices):
        LEADS = "leads", "Leads"
        OPPORTUNITIES = "opportunities", "Deals"

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Waiting for its column mapping"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class OnDuplicate(models.TextChoices):
        UPDATE = "update", "Update the existing lead"
        SKIP = "skip", "Skip the row"

    kind = models.CharField(max_length=13, choices=Kind.choices, default=Kind.LEADS)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lead_imports"
    )
    filename = models.CharField(max_length=255)
    # The file's text, in the database: the server that runs the import may not be the one
    # that received the upload.
    content = models.TextField()
    header = models.JSONField(default=list)
    mapping = models.JSONField(default=dict, blank=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel_map = models.JSONField(default=dict, blank=True)
    stage_map = models.JSONField(default=dict, blank=True)
    create_users = models.BooleanField("create reps for unknown owners", default=False)
    dayfirst = models.BooleanField("dates are day first (31/12/2026)", default=True)
    on_duplicate = models.CharField(
        "when a lead already exists",
        max_length=6,
        choices=OnDuplicate.choices,
        default=OnDuplicate.UPDATE,
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    promoted_count = models.PositiveIntegerField(default=0)
    error_report = models.TextField(blank=True, help_text="CSV: row, column, value, message.")
    message = models.TextField(blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="import_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["leads", "opportunities"]), name="import_kind_valid"
            )
        ]

    def __str__(self):
        return f"{self.filename} ({self.get_status_display().lower()})"

    def get_absolute_url(self):
        page = "mapping" if self.status == self.Status.UPLOADED else "status"
        return reverse(f"leads:{self.url_prefix}-{page}", kwargs={"pk": self.pk})

    @property
    def url_prefix(self) -> str:
        return "import" if self.kind == self.Kind.LEADS else "opportunity-import"

    @property
    def errors_url(self) -> str:
        return reverse(f"leads:{self.url_prefix}-errors", kwargs={"pk": self.pk})

    @property
    def upload_url(self) -> str:
        return reverse(f"leads:{self.url_prefix}-upload")

    @property
    def list_url(self) -> str:
        return reverse(
            "leads:lead-list" if self.kind == self.Kind.LEADS else "leads:opportunity-list"
        )

    @property
    def progress(self) -> int:
        return round(self.processed_rows * 100 / self.total_rows) if self.total_rows else 0

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}


class AssignmentCursor(models.Model):
    """Where the round-robin stands: the rep who got the last MQL. One row, locked while MQLs
    are handed out, so two MQLs created at the same moment never take the same turn."""

    last_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Round-robin after {self.last_rep or 'nobody'}"


class SlaBreach(models.Model):
    """An MQL that went past its response window: recorded once, alerted once, and escalated
    once when the SLA says so. `check_sla` (cron) writes these."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="breaches")
    due_at = models.DateTimeField(help_text="The response due time that was missed.")
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sla_breaches",
        help_text="Who owned the lead when the window closed.",
    )
    detected_at = models.DateTimeField(default=timezone.now)
    alerted_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-due_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "due_at"], name="breach_once_per_window"),
        ]
        indexes = [models.Index(fields=["alerted_at"], name="breach_alerted_idx")]

    def __str__(self):
        return f"{self.lead} missed {self.due_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return self.lead.get_absolute_url()
