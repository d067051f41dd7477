"""Leads and everything sales does with them: transitions, activities, accounts, deals, proposals.

Stage changes never happen by assigning `stage`: they go through `leads.services`, which locks
the row, checks the rules below and writes the append-only `LeadTransition` trace.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Channel
from crm.models import TimeStampedModel
from crm.roles import Role, has_role, is_manager, is_marketer, is_rep

CENT = Decimal("0.01")


def to_cents(value: Decimal) -> Decimal:
    """Money is rounded half up to the cent, once per line and once per total."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class CompanySize(models.TextChoices):
    S1 = "1-10", "1–10"
    S11 = "11-50", "11–50"
    S51 = "51-200", "51–200"
    S201 = "201-1000", "201–1,000"
    S1001 = "1001-5000", "1,001–5,000"
    S5001 = "5001+", "5,001+"


class AppendOnlyQuerySet(models.QuerySet):
    """History rows are written once: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only.")


# --- Leads ------------------------------------------------------------------------------------


class RejectReason(models.TextChoices):
    """Why sales sent an MQL back to marketing."""

    NOT_ICP = "not_icp", "Not our ideal customer"
    NO_BUDGET = "no_budget", "No budget"
    WRONG_CONTACT = "wrong_contact", "Wrong contact"
    DUPLICATE = "duplicate", "Duplicate"
    STUDENT_OR_COMPETITOR = "student_or_competitor", "Student or competitor"
    BAD_DATA = "bad_data", "Bad data"
    EXISTING_CUSTOMER = "existing_customer", "Already a customer"
    OTHER = "other", "Other"


class DisqualifyReason(models.TextChoices):
    """Why sales closed a lead for good (disqualify) or handed it back to nurture (recycle)."""

    NO_BUDGET = "no_budget", "No budget"
    NO_AUTHORITY = "no_authority", "No authority"
    NO_NEED = "no_need", "No need"
    BAD_TIMING = "bad_timing", "Bad timing"
    UNRESPONSIVE = "unresponsive", "Did not respond"
    NOT_ICP = "not_icp", "Not our ideal customer"
    COMPETITOR = "competitor", "Chose a competitor"
    OTHER = "other", "Other"


class MqlReason(models.TextChoices):
    """How a lead became an MQL."""

    SCORE = "score", "Met the MQL definition"
    MANUAL = "manual", "Sent to sales by marketing"
    OVERRIDE = "override", "Sent to sales by override"


REASON_LABELS = {
    **dict(MqlReason.choices),
    **dict(DisqualifyReason.choices),
    **dict(RejectReason.choices),
}


class LeadQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Managers and marketers read every lead; a rep reads their own and the open queue."""
        if has_role(user, Role.MARKETING):
            return self
        if is_rep(user):
            return self.filter(Q(owner=user) | Q(owner__isnull=True, stage=Lead.Stage.MQL))
        return self.none()

    def awaiting_acceptance(self):
        return self.filter(stage=Lead.Stage.MQL)

    def unassigned(self):
        return self.filter(owner__isnull=True)

    def owned_by(self, user):
        return self.filter(owner=user)

    def in_nurture(self):
        return self.filter(stage=Lead.Stage.RECYCLED)


class LeadStage(models.TextChoices):
    NEW = "new", "New"
    MQL = "mql", "MQL"
    SAL = "sal", "SAL"
    SQL = "sql", "SQL"
    CONVERTED = "converted", "Converted"
    RECYCLED = "recycled", "Recycled"
    DISQUALIFIED = "disqualified", "Disqualified"


class Lead(TimeStampedModel):
    Stage = LeadStage

    # The funnel: which stage may follow which. Services enforce it; tests walk all of it.
    TRANSITIONS = {
        Stage.NEW: {Stage.MQL},
        Stage.MQL: {Stage.SAL, Stage.RECYCLED},
        Stage.SAL: {Stage.SQL, Stage.DISQUALIFIED, Stage.RECYCLED},
        Stage.SQL: {Stage.CONVERTED, Stage.DISQUALIFIED, Stage.RECYCLED},
        Stage.RECYCLED: {Stage.MQL},
        Stage.CONVERTED: set(),
        Stage.DISQUALIFIED: set(),
    }

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField("e-mail", max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    company = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    company_size = models.CharField(max_length=10, choices=CompanySize.choices, blank=True)
    country = models.CharField(max_length=100, blank=True)
    external_id = models.CharField(
        "external id", max_length=100, blank=True, help_text="The lead's id in an imported file."
    )

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
        help_text="The campaign that brought the lead in.",
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    # The source as an import named it, when it is not one of our channels.
    source_detail = models.CharField("original source", max_length=100, blank=True)
    score = models.IntegerField(default=0)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
        help_text="The sales rep working the lead; empty means the shared queue.",
    )
    account = models.ForeignKey(
        "Account",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
        help_text="The company this person belongs to, once sales knows it.",
    )
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.NEW)
    stage_changed_at = models.DateTimeField(default=timezone.now)
    # The reason code of the last stage change (why it was recycled or disqualified).
    stage_reason = models.CharField(max_length=30, blank=True)
    recycle_count = models.PositiveIntegerField(default=0)
    # How many times the person filled in a campaign form (a scoring input).
    submission_count = models.PositiveIntegerField(default=0)

    # The timestamps describe the lead's current pass through the funnel (a re-sent lead
    # starts a new response clock); the transition log keeps every pass.
    mql_at = models.DateTimeField("became MQL", null=True, blank=True)
    # When sales must have accepted or rejected the current MQL, in the SLA's working hours.
    response_due_at = models.DateTimeField("response due", null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField("first sales response", null=True, blank=True)
    qualified_at = models.DateTimeField(null=True, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["stage", "owner", "mql_at"], name="lead_inbox_idx"),
            models.Index(fields=["stage", "response_due_at"], name="lead_due_idx"),
            models.Index(fields=["owner", "stage"], name="lead_owner_stage_idx"),
            models.Index(fields=["campaign", "created_at"], name="lead_campaign_created_idx"),
            models.Index(fields=["channel", "created_at"], name="lead_channel_created_idx"),
            models.Index(fields=["mql_at"], name="lead_mql_at_idx"),
            models.Index(fields=["accepted_at"], name="lead_accepted_at_idx"),
            models.Index(fields=["first_response_at"], name="lead_first_response_idx"),
            models.Index(fields=["qualified_at"], name="lead_qualified_at_idx"),
            models.Index(fields=["converted_at"], name="lead_converted_at_idx"),
            models.Index(fields=["closed_at"], name="lead_closed_at_idx"),
            models.Index(Lower("last_name"), Lower("first_name"), name="lead_name_idx"),
            models.Index(Lower("company"), name="lead_company_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="lead_email_unique_ci"
            ),
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="lead_external_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(stage__in=LeadStage.values), name="lead_stage_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel="") | Q(channel__in=Channel.values), name="lead_channel_valid"
            ),
            # Every stage after `new` is reached through MQL.
            models.CheckConstraint(
                condition=Q(stage="new") | Q(mql_at__isnull=False), name="lead_past_new_has_mql_at"
            ),
        ]

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        return reverse("leads:lead-detail", kwargs={"pk": self.pk})

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def stage_reason_label(self) -> str:
        return REASON_LABELS.get(self.stage_reason, self.stage_reason)

    def clean(self):
        if self.email:
            self.email = self.email.strip()
            duplicates = Lead.objects.filter(email__iexact=self.email).exclude(pk=self.pk)
            if duplicates.exists():
                raise ValidationError({"email": "Another lead already has this e-mail address."})

    # --- Questions about one lead, asked by the services and by the templates -----------------

    def can_move_to(self, stage: str) -> bool:
        return stage in self.TRANSITIONS[self.stage]

    def is_sales_actor(self, user) -> bool:
        """May `user` act for sales on this lead: its owner, any rep while unowned, a manager."""
        if is_manager(user):
            return True
        return is_rep(user) and (self.owner_id is None or self.owner_id == user.pk)

    def is_marketing_actor(self, user) -> bool:
        return is_manager(user) or is_marketer(user)

    def can_be_edited_by(self, user) -> bool:
        """Marketing edits any lead; a rep edits the contact details of their own."""
        return self.is_marketing_actor(user) or (is_rep(user) and self.owner_id == user.pk)

    def can_be_sent_to_sales_by(self, user) -> bool:
        return self.stage in {self.Stage.NEW, self.Stage.RECYCLED} and self.is_marketing_actor(user)

    def can_be_accepted_by(self, user) -> bool:
        return self.stage == self.Stage.MQL and self.is_sales_actor(user)

    def can_be_rejected_by(self, user) -> bool:
        return self.can_be_accepted_by(user)

    def can_be_qualified_by(self, user) -> bool:
        return (
            self.stage == self.Stage.SAL
            and self.owner_id is not None
            and (is_manager(user) or self.owner_id == user.pk)
        )

    def can_be_disqualified_by(self, user) -> bool:
        return self.stage in {self.Stage.SAL, self.Stage.SQL} and (
            is_manager(user) or (is_rep(user) and self.owner_id == user.pk)
        )

    can_be_recycled_by = can_be_disqualified_by

    def can_be_converted_by(self, user) -> bool:
        return self.stage == self.Stage.SQL and (
            is_manager(user) or (is_rep(user) and self.owner_id == user.pk)
        )

    def move_to(self, stage: str, *, by=None, reason: str = "", detail: str = "", **trace):
        """Change the stage and write its trace. Callers (the services) hold the row lock and
        have checked the rules; this only refuses what the funnel never allows."""
        if not self.can_move_to(stage):
            raise ValueError(f"{self.stage} → {stage} is not a funnel transition.")
        now = trace.pop("at", None) or timezone.now()
        transition = LeadTransition.objects.create(
            lead=self,
            from_stage=self.stage,
            to_stage=stage,
            actor=by,
            at=now,
            reason=reason,
            detail=detail,
            **trace,
        )
        self.stage = stage
        self.stage_changed_at = now
        self.stage_reason = reason
        return transition


class LeadTransition(AppendOnlyModel):
    """One stage change of one lead: who (empty = the system), when, why. Never edited."""

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="transitions")
    from_stage = models.CharField(max_length=12, choices=Lead.Stage.choices)
    to_stage = models.CharField(max_length=12, choices=Lead.Stage.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lead_transitions",
        help_text="Empty when the system made the change.",
    )
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=30, blank=True)
    detail = models.TextField(blank=True)
    sla = models.ForeignKey(
        "reports.ServiceLevelAgreement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The SLA version in force when the lead became an MQL.",
    )
    # Why a lead qualified as MQL: its score, the definition checked and the rules that matched.
    qualification = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["lead", "at"], name="transition_lead_at_idx"),
            models.Index(fields=["to_stage", "at"], name="transition_to_at_idx"),
            models.Index(fields=["actor", "at"], name="transition_actor_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_stage=F("to_stage")), name="transition_changes_stage"
            ),
        ]

    def __str__(self):
        return f"{self.lead}: {self.from_stage} → {self.to_stage} at {self.at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return self.lead.get_absolute_url()

    @property
    def actor_label(self) -> str:
        if self.actor is None:
            return "system"
        return self.actor.get_full_name() or self.actor.get_username()

    @property
    def reason_label(self) -> str:
        return REASON_LABELS.get(self.reason, self.reason)


# --- Activities -------------------------------------------------------------------------------


class ActivityKind(models.TextChoices):
    NOTE = "note", "Note"
    CALL = "call", "Call"
    EMAIL = "email", "E-mail"
    MEETING = "meeting", "Meeting"


class Activity(TimeStampedModel):
    """A note, call, e-mail or meeting logged on a lead or an opportunity."""

    Kind = ActivityKind

    class Outcome(models.TextChoices):
        NONE = "", "—"
        CONNECTED = "connected", "Connected"
        LEFT_MESSAGE = "left_message", "Left a message"
        NO_ANSWER = "no_answer", "No answer"
        MEETING_BOOKED = "meeting_booked", "Meeting booked"
        HELD = "held", "Held"
        NO_SHOW = "no_show", "No-show"
        REPLIED = "replied", "Replied"

    # Kinds that are a sales touch (they stop the response clock); a note is not.
    TOUCH_KINDS = {Kind.CALL, Kind.EMAIL, Kind.MEETING}

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, null=True, blank=True, related_name="activities"
    )
    opportunity = models.ForeignKey(
        "Opportunity", on_delete=models.CASCADE, null=True, blank=True, related_name="activities"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NOTE)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="activities"
    )
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["lead", "occurred_at"], name="activity_lead_idx"),
            models.Index(fields=["opportunity", "occurred_at"], name="activity_opportunity_idx"),
            models.Index(fields=["author", "occurred_at"], name="activity_author_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(lead__isnull=False, opportunity__isnull=True)
                    | Q(lead__isnull=True, opportunity__isnull=False)
                ),
                name="activity_on_lead_or_opportunity",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ActivityKind.values), name="activity_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.author} on {self.subject}"

    # How long an author may still correct or remove what they logged.
    EDIT_WINDOW = dt.timedelta(minutes=15)

    @property
    def subject(self):
        return self.lead or self.opportunity

    def can_be_changed_by(self, user, now=None) -> bool:
        now = now or timezone.now()
        return self.author_id == user.pk and now - self.created_at <= self.EDIT_WINDOW

    def get_absolute_url(self):
        return self.subject.get_absolute_url()


# --- Accounts and opportunities ---------------------------------------------------------------


class AccountQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self if has_role(user, Role.MARKETING, Role.SALES) else self.none()


class Account(TimeStampedModel):
    """The company a deal is with; a customer from its first won deal."""

    name = models.CharField(max_length=200)
    industry = models.CharField(max_length=100, blank=True)
    company_size = models.CharField(max_length=10, choices=CompanySize.choices, blank=True)
    website = models.URLField(blank=True)
    country = models.CharField(max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
    )
    customer_since = models.DateField(null=True, blank=True, db_index=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="account_name_unique_ci"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("leads:account-detail", kwargs={"pk": self.pk})

    @property
    def is_customer(self) -> bool:
        return self.customer_since is not None


class OpportunityQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Managers and marketers read every deal; a rep reads their own."""
        if has_role(user, Role.MARKETING):
            return self
        if is_rep(user):
            return self.filter(owner=user)
        return self.none()

    def open(self):
        return self.exclude(stage__in=Opportunity.CLOSED_STAGES)

    def won(self):
        return self.filter(stage=Opportunity.Stage.WON)


class OpportunityStage(models.TextChoices):
    DISCOVERY = "discovery", "Discovery"
    DEMO = "demo", "Demo"
    PROPOSAL = "proposal", "Proposal"
    NEGOTIATION = "negotiation", "Negotiation"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class Opportunity(TimeStampedModel):
    Stage = OpportunityStage

    class Type(models.TextChoices):
        NEW_BUSINESS = "new_business", "New business"
        UPSELL = "upsell", "Upsell"
        RENEWAL = "renewal", "Renewal"

    class LostReason(models.TextChoices):
        PRICE = "price", "Price"
        COMPETITOR = "competitor", "Competitor"
        NO_DECISION = "no_decision", "No decision"
        TIMING = "timing", "Timing"
        PRODUCT_FIT = "product_fit", "Product fit"
        OTHER = "other", "Other"

    OPEN_STAGES = [Stage.DISCOVERY, Stage.DEMO, Stage.PROPOSAL, Stage.NEGOTIATION]
    CLOSED_STAGES = [Stage.WON, Stage.LOST]
    DEFAULT_PROBABILITY = {
        Stage.DISCOVERY: 10,
        Stage.DEMO: 25,
        Stage.PROPOSAL: 50,
        Stage.NEGOTIATION: 75,
        Stage.WON: 100,
        Stage.LOST: 0,
    }

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="opportunities")
    lead = models.OneToOneField(
        Lead,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunity",
        help_text="The lead this deal was converted from; empty for sales-sourced deals.",
    )
    name = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opportunities"
    )
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.DISCOVERY)
    probability = models.PositiveSmallIntegerField(
        default=10, help_text="Chance of winning, in percent."
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    expected_close_date = models.DateField()
    closed_date = models.DateField(null=True, blank=True)
    lost_reason = models.CharField(max_length=20, choices=LostReason.choices, blank=True)
    lost_detail = models.TextField(blank=True)
    type = models.CharField(max_length=12, choices=Type.choices, default=Type.NEW_BUSINESS)
    stage_changed_at = models.DateTimeField(default=timezone.now)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        ordering = ["expected_close_date", "pk"]
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(fields=["owner", "stage"], name="opportunity_owner_stage_idx"),
            models.Index(
                fields=["stage", "expected_close_date"], name="opportunity_stage_close_idx"
            ),
            models.Index(fields=["closed_date", "stage"], name="opportunity_closed_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="opportunity_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100),
                name="opportunity_probability_percent",
            ),
            models.CheckConstraint(
                condition=Q(stage__in=OpportunityStage.values), name="opportunity_stage_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(stage__in=["won", "lost"], closed_date__isnull=False)
                    | (~Q(stage__in=["won", "lost"]) & Q(closed_date__isnull=True))
                ),
                name="opportunity_closed_date_iff_closed",
            ),
            models.CheckConstraint(
                condition=~Q(stage="lost") | ~Q(lost_reason=""),
                name="opportunity_lost_has_reason",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("leads:opportunity-detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.stage not in self.CLOSED_STAGES

    @property
    def weighted_amount(self) -> Decimal:
        return to_cents(self.amount * self.probability / 100)

    def is_sales_actor(self, user) -> bool:
        return is_manager(user) or (is_rep(user) and self.owner_id == user.pk)

    def record_change(self, *, by, from_stage="", from_amount=None, note="", at=None):
        return OpportunityStageChange.objects.create(
            opportunity=self,
            from_stage=from_stage,
            to_stage=self.stage,
            from_amount=from_amount,
            to_amount=self.amount,
            actor=by,
            at=at or timezone.now(),
            note=note,
        )


class OpportunityStageChange(AppendOnlyModel):
    """A deal's stage or amount change (the first row, with no `from_stage`, is its creation)."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.PROTECT, related_name="stage_changes"
    )
    from_stage = models.CharField(max_length=12, choices=Opportunity.Stage.choices, blank=True)
    to_stage = models.CharField(max_length=12, choices=Opportunity.Stage.choices)
    from_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    to_amount = models.DecimalField(max_digits=12, decimal_places=2)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunity_changes",
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["opportunity", "at"], name="oppchange_opportunity_at_idx"),
            models.Index(fields=["to_stage", "at"], name="oppchange_to_at_idx"),
        ]

    def __str__(self):
        return f"{self.opportunity}: {self.from_stage or 'created'} → {self.to_stage}"

    def get_absolute_url(self):
        return self.opportunity.get_absolute_url()


# --- Proposals --------------------------------------------------------------------------------


class Proposal(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"

    opportunity = models.ForeignKey(Opportunity, on_delete=models.PROTECT, related_name="proposals")
    version = models.PositiveIntegerField(default=1)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    valid_until = models.DateField()
    tax_rate = models.DecimalField(
        "tax rate (%)", max_digits=5, decimal_places=2, default=Decimal("0.00")
    )
    terms = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposals"
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["opportunity", "-version"]
        indexes = [models.Index(fields=["status", "valid_until"], name="proposal_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "version"], name="proposal_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="proposal_tax_rate_percent"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="proposal_version_positive"),
        ]

    def __str__(self):
        return f"{self.title} (v{self.version})"

    def get_absolute_url(self):
        return self.opportunity.get_absolute_url()

    def totals(self) -> dict[str, Decimal]:
        """Subtotal, tax and total in cents; uses prefetched lines when present."""
        subtotal = sum((line.total for line in self.lines.all()), Decimal("0.00"))
        tax = to_cents(subtotal * self.tax_rate / 100)
        return {"subtotal": subtotal, "tax": tax, "total": subtotal + tax}


class ProposalLine(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("1"))
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    discount_percent = models.DecimalField(
        "discount (%)", max_digits=5, decimal_places=2, default=Decimal("0.00")
    )

    class Meta:
        ordering = ["proposal", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="line_unit_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100),
                name="line_discount_percent",
            ),
        ]

    def __str__(self):
        return self.description

    @property
    def total(self) -> Decimal:
        gross = self.quantity * self.unit_price
        return to_cents(gross - gross * self.discount_percent / 100)


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
    """One CSV file on its way in: uploaded, mapped, then imported in the background with its
    progress and row-level errors kept here, so any server can show them."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Waiting for its column mapping"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class OnDuplicate(models.TextChoices):
        UPDATE = "update", "Update the existing lead"
        SKIP = "skip", "Skip the row"

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

    def __str__(self):
        return f"{self.filename} ({self.get_status_display().lower()})"

    def get_absolute_url(self):
        if self.status == self.Status.UPLOADED:
            return reverse("leads:import-mapping", kwargs={"pk": self.pk})
        return reverse("leads:import-status", kwargs={"pk": self.pk})

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
