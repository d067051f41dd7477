"""Leads, their stage history and the notes and activities logged on them.

Stage changes never happen by assigning `stage`: they go through `leads.services`, which locks
the row, checks the rules below and writes the append-only `LeadTransition` trace.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Lower
from django.utils import timezone

from campaigns.models import Channel
from crm.db import allocate_pks, bulk_insert, one_of
from crm.links import record_url
from crm.models import TimeStampedModel
from crm.roles import Role, has_role, is_manager, is_marketer, is_rep
from leads.models.base import AppendOnlyModel, AppendOnlyQuerySet, CompanySize

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
    def with_email(self, email: str):
        """The lead with this address in any case, found through the unique index on
        LOWER(email) (`email__iexact` compares UPPER(email) and reads every lead)."""
        if not email:
            return self.none()
        return self._by_lowered_email("", Lower(Value(email)))

    def with_emails(self, addresses: list[str]):
        """The leads with one of `addresses`, in any case, through the same index: an import's
        batch in one query, the addresses in one parameter."""
        return self._by_lowered_email("__in", one_of(addresses, lower=True))

    def _by_lowered_email(self, lookup: str, value):
        # LOWER(email) is what the unique index holds, and the index leaves out empty
        # addresses: the lookup says so too, or SQLite cannot use the (partial) index and reads
        # every lead (2 s an import batch at a million leads).
        return (
            self.annotate(email_lower=Lower("email"))
            .filter(**{f"email_lower{lookup}": value})
            .exclude(email="")
        )

    def visible_to(self, user):
        """Managers and marketers read every lead; a rep reads their own and the open queue."""
        if has_role(user, Role.MARKETING):
            return self
        if is_rep(user):
            return self.open_to_rep(user.pk)
        return self.none()

    def open_to_rep(self, rep_id: int):
        """A rep's own leads and the unassigned MQLs (the open queue)."""
        return self.filter(Q(owner_id=rep_id) | Q(owner__isnull=True, stage=Lead.Stage.MQL))

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

    # The foreign keys' own indexes, and created_at's, are left out where a composite index
    # starts with the same column (below): every index costs each of an import's inserts.
    created_at = models.DateTimeField(default=timezone.now)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
        help_text="The campaign that brought the lead in.",
        db_index=False,
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
        db_index=False,
    )
    account = models.ForeignKey(
        "Account",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
        help_text="The company this person belongs to, once sales knows it.",
        db_index=False,
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
    # Whether the lead ever reached each stage (kept with the transition log, which stays the
    # record): the funnel counts a cohort's leads without a lookup per lead and stage.
    reached_mql = models.BooleanField(default=False, editable=False)
    reached_sal = models.BooleanField(default=False, editable=False)
    reached_sql = models.BooleanField(default=False, editable=False)

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The inbox: its tabs' counts and each tab's rows by due time, from the index alone.
            models.Index(fields=["stage", "owner", "response_due_at", "id"], name="lead_inbox_idx"),
            # By due time and then id, as the overdue and at-risk tabs sort: many MQLs share a
            # due time (the working-hours clock starts every overnight lead at the same hour),
            # and without the id PostgreSQL read and sorted all of them for the first 25.
            # (SQLite's indexes end with the row id anyway.)
            models.Index(fields=["stage", "response_due_at", "id"], name="lead_due_idx"),
            models.Index(fields=["owner", "stage"], name="lead_owner_stage_idx"),
            # A campaign's leads, by creation, with the stages they reached: a campaign page
            # counts them from the index alone (PostgreSQL read 1,700 leads' rows: 4.8 ms).
            models.Index(
                fields=[
                    "campaign",
                    "created_at",
                    "reached_mql",
                    "reached_sal",
                    "reached_sql",
                    "id",
                ],
                name="lead_campaign_reached_idx",
            ),
            # A campaign's converted leads (the only leads with a deal: conversion is final),
            # which its page joins to their deals where PostgreSQL read every deal (21 ms).
            models.Index(
                fields=["campaign", "id"],
                name="lead_campaign_converted_idx",
                condition=Q(stage="converted"),
            ),
            models.Index(fields=["channel", "created_at"], name="lead_channel_created_idx"),
            # A cohort of leads by creation, with what the funnel and campaign reports group
            # and count: read from the index alone. The covering indexes end with the id, which
            # PostgreSQL's indexes do not carry by themselves (SQLite's do), so counting rows
            # and joining on them stays in the index there too.
            models.Index(
                fields=[
                    "created_at",
                    "channel",
                    "campaign",
                    "owner",
                    "reached_mql",
                    "reached_sal",
                    "reached_sql",
                    "id",
                ],
                name="lead_cohort_idx",
            ),
            # Sparse columns (most leads never reach these moments) are indexed where set:
            # a range over them implies "not null", so both engines use the partial index.
            *(
                models.Index(
                    fields=[name],
                    name=f"lead_{short}_idx",
                    condition=Q(**{f"{name}__isnull": False}),
                )
                for name, short in (
                    ("mql_at", "mql_at"),
                    ("accepted_at", "accepted_at"),
                    ("first_response_at", "first_response"),
                    ("qualified_at", "qualified_at"),
                    ("converted_at", "converted_at"),
                    ("closed_at", "closed_at"),
                )
            ),
            models.Index(
                fields=["account"], name="lead_account_idx", condition=Q(account__isnull=False)
            ),
            # Nurture (recycled leads, latest returns first), paged by keyset.
            models.Index(fields=["stage", "stage_changed_at", "id"], name="lead_stage_changed_idx"),
            # The lead list's orders, each walked by keyset pagination (crm/pagination.py).
            models.Index(fields=["last_name", "id"], name="lead_name_order_idx"),
            models.Index(fields=["company", "id"], name="lead_company_order_idx"),
            models.Index(fields=["score", "id"], name="lead_score_order_idx"),
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
        return record_url("leads:lead-detail", self.pk)

    @property
    def full_name(self) -> str:
        return self.name_of(self.first_name, self.last_name)

    @staticmethod
    def name_of(first_name: str, last_name: str) -> str:
        """A lead's name from its parts (for leads read as values)."""
        return f"{first_name} {last_name}".strip()

    @property
    def stage_reason_label(self) -> str:
        return REASON_LABELS.get(self.stage_reason, self.stage_reason)

    def clean(self):
        if self.email:
            self.email = self.email.strip()
            duplicates = Lead.objects.with_email(self.email).exclude(pk=self.pk)
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
        if self.stage == LeadStage.MQL:
            # Sales' answer closes the pass: it carries the pass's start and due time, so the
            # SLA page reads one row per decision.
            trace.setdefault("pass_started_at", self.mql_at)
            trace.setdefault("due_at", self.response_due_at)
            trace.setdefault("response_seconds", response_seconds(self, now))
        if stage in REACHED_FLAGS:
            setattr(self, REACHED_FLAGS[stage], True)
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


# The stages the funnel counts a lead as having reached, and the flag that keeps it.
REACHED_FLAGS = {
    LeadStage.MQL: "reached_mql",
    LeadStage.SAL: "reached_sal",
    LeadStage.SQL: "reached_sql",
}


def response_seconds(lead: Lead, answered_at) -> int | None:
    """Clock seconds from the start of `lead`'s MQL pass to sales' first touch: a touch logged
    during the pass, or the answer at `answered_at`, whichever came first."""
    if lead.mql_at is None:
        return None
    touched = min(lead.first_response_at or answered_at, answered_at)
    return max(0, round((touched - lead.mql_at).total_seconds()))


# From this many moves on, bulk_create writes them with crm.db.bulk_insert (keys reserved
# first, one COPY or executemany): Django's compiled placeholders, value by value, took most
# of the time of promoting an import's forty thousand MQLs.
BULK_INSERT_FROM = 100


class LeadTransitionQuerySet(AppendOnlyQuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for transition in objs:
            credit(transition)
        carry_stint(objs)
        if len(objs) < BULK_INSERT_FROM or args or kwargs:
            return super().bulk_create(objs, *args, **kwargs)
        for transition in objs:
            transition._state.adding = False
        self._insert_fast(objs)
        return objs

    def insert_rows(self, rows) -> None:
        """Write moves given as `crm.db.Row`s (their `lead` a Lead or a Row) the fast way:
        an import writes thousands without building a model instance for each."""
        for row in rows:
            credit(row)
        carry_stint(rows)
        self._insert_fast(rows)

    def _insert_fast(self, transitions) -> None:
        pks = allocate_pks(LeadTransition, len(transitions))
        for transition, pk in zip(transitions, pks, strict=True):
            transition.pk = pk
        bulk_insert(LeadTransition, transitions)


def carry_stint(transitions) -> None:
    """A move out of SAL ends the stint its lead's acceptance began: it carries that
    acceptance's pass start and qualify-or-recycle due time, so the SLA page counts the
    decisions made in time from one row each. One query for any number of moves."""
    leaving = [
        t
        for t in transitions
        if t.from_stage == LeadStage.SAL and getattr(t, "decide_due_at", None) is None
    ]
    if not leaving:
        return
    accepted: dict = {}
    for lead_id, at, started, due in (
        LeadTransition.objects.filter(
            lead_id__in={t.lead_id for t in leaving}, to_stage=LeadStage.SAL
        )
        .order_by("lead_id", "at", "pk")
        .values_list("lead_id", "at", "pass_started_at", "decide_due_at")
    ):
        accepted.setdefault(lead_id, []).append((at, started, due))
    for transition in leaving:
        before = [row for row in accepted.get(transition.lead_id, []) if row[0] <= transition.at]
        if before:
            _at, transition.pass_started_at, transition.decide_due_at = before[-1]


def credit(transition) -> None:
    """Copy the campaign and channel of a new move's lead onto it (any row with a `lead`)."""
    transition.campaign_id = transition.lead.campaign_id
    transition.channel = transition.lead.channel


def handoff_event(from_stage: str, to_stage: str) -> str:
    """What a move between two stages is, in the handoff's words ("Rejected", "Accepted")."""
    if to_stage == "mql":
        return "Re-sent from nurture" if from_stage == "recycled" else "Sent to sales"
    if to_stage == "recycled":
        return "Rejected" if from_stage == "mql" else "Recycled by sales"
    return {
        "sal": "Accepted",
        "sql": "Qualified",
        "disqualified": "Disqualified",
        "converted": "Converted",
    }.get(to_stage, to_stage)


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
    due_at = models.DateTimeField(
        "response due",
        null=True,
        blank=True,
        help_text="On a move to or out of MQL: when that pass's accept-or-reject window closes.",
    )
    pass_started_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="On a move out of MQL: when the MQL pass it answers began; on a move out of "
        "SAL: the pass its stint came from.",
    )
    contact_due_at = models.DateTimeField(
        "first contact due",
        null=True,
        blank=True,
        help_text="On a move to MQL: when the SLA wants sales' first call, e-mail or meeting.",
    )
    decide_due_at = models.DateTimeField(
        "qualify or recycle due",
        null=True,
        blank=True,
        help_text="On an acceptance, and the move out of SAL that ends its stint: when the SLA "
        "wants the lead qualified or recycled.",
    )
    # The lead's source when it moved, so reports group and filter the moves by campaign and
    # channel without reading the lead: the campaign a move is credited to is the one its lead
    # had then (a later re-attribution of the lead does not rewrite its history).
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True, editable=False)
    response_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="On a move out of MQL: seconds from the pass's start to sales' first touch "
        "(a call, e-mail or meeting logged, or this answer, whichever came first).",
    )

    objects = LeadTransitionQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["lead", "at"], name="transition_lead_at_idx"),
            # "Did this lead ever reach X?" (the funnel) and "when did it next leave MQL?" (the
            # SLA page) are asked once per lead or per pass: each needs its own index.
            models.Index(fields=["lead", "to_stage", "at"], name="transition_lead_to_idx"),
            models.Index(fields=["lead", "from_stage", "at"], name="transition_lead_from_at_idx"),
            # Sales' answers, by the pass they answer, with every column the response and SLA
            # figures read: a quarter's answers are scanned without touching the table. (Not a
            # partial index: SQLite cannot match one to a query whose stage is a parameter.)
            models.Index(
                fields=[
                    "from_stage",
                    "pass_started_at",
                    "response_seconds",
                    "at",
                    "due_at",
                    "actor",
                    "to_stage",
                    "lead",
                    "decide_due_at",
                    "id",
                ],
                name="transition_answer_cover_idx",
            ),
            # Moves into a stage in a period (MQLs delivered, exits to nurture, re-sends), with
            # the columns those reports read, so the scans stay in the index.
            models.Index(
                fields=[
                    "to_stage",
                    "at",
                    "from_stage",
                    "lead",
                    "actor",
                    "reason",
                    "contact_due_at",
                    "campaign",
                    "channel",
                    "id",
                ],
                name="transition_to_at_cover_idx",
            ),
            models.Index(fields=["actor", "at"], name="transition_actor_at_idx"),
            # The handoff log, newest first, paged by keyset.
            models.Index(fields=["at", "id"], name="transition_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_stage=F("to_stage")), name="transition_changes_stage"
            ),
        ]

    def save(self, *args, **kwargs):
        credit(self)
        carry_stint([self])
        if (
            self.from_stage == LeadStage.MQL
            and self.pass_started_at
            and self.response_seconds is None
        ):
            # no earlier touch known
            self.response_seconds = max(0, round((self.at - self.pass_started_at).total_seconds()))
        super().save(*args, **kwargs)
        if self.to_stage in REACHED_FLAGS:
            flag = REACHED_FLAGS[self.to_stage]
            Lead.objects.filter(pk=self.lead_id, **{flag: False}).update(**{flag: True})

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

    @property
    def event(self) -> str:
        return handoff_event(self.from_stage, self.to_stage)


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
            # The lead's timeline, and the SLA's "was there a call, e-mail or meeting by…".
            models.Index(fields=["lead", "occurred_at", "kind"], name="activity_lead_kind_idx"),
            # The touches of a period as a set, for the SLA's first contacts joined at once.
            models.Index(fields=["occurred_at", "kind", "lead"], name="activity_at_kind_idx"),
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


# --- The accepted-lead tally --------------------------------------------------------------------


class AcceptedLeadTally(models.Model):
    """How many accepted leads (SALs) each rep holds, kept by row triggers on the lead table
    (migration 0037), so every way a lead is written counts: a service's save, a bulk update,
    an import, a delete.

    A manager's inbox counted every rep's SALs on each visit (fifteen thousand at a million
    leads: 2.7 ms on PostgreSQL) for its "to qualify" tab; it reads these rows instead. Only
    SALs are tallied, so that the writes the lead table takes most (imports, scores, MQLs)
    pass the triggers' conditions and write nothing here."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    leads = models.IntegerField(default=0)

    def __str__(self):
        return f"{self.owner_id}: {self.leads} accepted leads"
