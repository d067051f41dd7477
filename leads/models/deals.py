"""Accounts and opportunities (deals), with their append-only stage and amount history."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import IntegrityError, connections, models, router, transaction
from django.db.models import ExpressionWrapper, F, Q, Value
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone

from crm.links import record_url
from crm.models import TimeStampedModel
from crm.roles import Role, has_role, is_manager, is_rep
from leads.models.base import AppendOnlyModel, CompanySize, to_cents
from leads.models.leads import Lead

# --- Accounts and opportunities ---------------------------------------------------------------


class AccountQuerySet(models.QuerySet):
    def named(self, name: str):
        """The account called `name` in any case, found through the unique index on
        LOWER(name) (`name__iexact` compares UPPER(name) and reads every account)."""
        return self.annotate(name_lower=Lower("name")).filter(name_lower=Lower(Value(name)))

    def find_or_create(self, name: str, **defaults):
        """The account called `name` in any case, else a new one with `defaults`."""
        found = self.named(name).first()
        if found is not None:
            return found
        try:
            with transaction.atomic():  # a savepoint: another request may create it first
                return self.create(name=name, **defaults)
        except IntegrityError:
            return self.named(name).get()

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
        # The account list, by name: read in order, so its figures are summed for one page
        # of accounts rather than for all of them before sorting.
        indexes = [models.Index(fields=["name", "id"], name="account_name_idx")]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="account_name_unique_ci"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return record_url("leads:account-detail", self.pk)

    @property
    def is_customer(self) -> bool:
        return self.customer_since is not None


def visible_owner(user) -> int | None:
    """Whose deals `user` reads: everyone's (None) for managers and marketers, their own (their
    id) for a rep, nobody's (0, no user's id) for anyone else."""
    if has_role(user, Role.MARKETING):
        return None
    return user.pk if is_rep(user) else 0


class OpportunityQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Managers and marketers read every deal; a rep reads their own."""
        owner = visible_owner(user)
        if owner is None:
            return self
        return self.filter(owner_id=owner) if owner else self.none()

    def open(self):
        # A list of the open stages, not "not closed": the index ranges over the four.
        return self.filter(stage__in=Opportunity.OPEN_STAGES)

    def won(self):
        return self.filter(stage=Opportunity.Stage.WON)

    def closed_between(self, start, end):
        """Closed (won or lost) on a date from `start` to `end`, both included."""
        return self.filter(closed_date__gte=start, closed_date__lte=end)

    def totals(self) -> dict:
        """Count, amount and weighted amount (amount × probability) of these deals, in one query."""
        row = self.aggregate(
            n=models.Count("pk"),
            total=Coalesce(models.Sum("amount"), Value(Decimal("0")), output_field=MONEY),
            total_weighted=Coalesce(WEIGHTED_TOTAL, Value(Decimal("0")), output_field=MONEY),
        )
        return {
            "count": row["n"],
            "amount": to_cents(row["total"]),
            "weighted": to_cents(row["total_weighted"]),
        }


MONEY = models.DecimalField(max_digits=14, decimal_places=2)
# The weighted amount (amount × chance of winning) of a set of deals, as a database aggregate:
# the products are summed and the sum divided once (a numeric division per deal was half of
# PostgreSQL's time totalling fifteen thousand open deals).
WEIGHTED_TOTAL = ExpressionWrapper(
    models.Sum(ExpressionWrapper(F("amount") * F("probability"), output_field=MONEY)) / 100,
    output_field=MONEY,
)


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
    # One more on every change (save() below): a form sends back the version it was filled
    # from, and a change made meanwhile by someone else refuses it (leads.services.deals).
    version = models.PositiveIntegerField(default=1, editable=False)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    expected_close_date = models.DateField()
    closed_date = models.DateField(null=True, blank=True)
    lost_reason = models.CharField(max_length=20, choices=LostReason.choices, blank=True)
    lost_detail = models.TextField(blank=True)
    type = models.CharField(max_length=12, choices=Type.choices, default=Type.NEW_BUSINESS)
    product = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(
        "external id",
        max_length=100,
        blank=True,
        help_text="The deal's id in the system it was imported from.",
    )
    stage_changed_at = models.DateTimeField(default=timezone.now)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        ordering = ["expected_close_date", "pk"]
        verbose_name_plural = "opportunities"
        indexes = [
            # A rep's deals by stage; with the close date and amount, a quota's attainment (won
            # in a period) is summed from the index alone.
            models.Index(
                fields=["owner", "stage", "closed_date", "amount"],
                name="opportunity_owner_stage_idx",
            ),
            models.Index(
                fields=["stage", "expected_close_date"], name="opportunity_stage_close_idx"
            ),
            # The board's column totals (count, amount, weighted amount), from the index alone.
            models.Index(
                fields=["stage", "owner", "amount", "probability", "id"],
                name="opportunity_stage_cover_idx",
            ),
            models.Index(fields=["closed_date", "stage"], name="opportunity_closed_idx"),
            # The deal list's default order (next to close first), walked rather than sorted.
            models.Index(fields=["expected_close_date", "id"], name="opportunity_close_order_idx"),
            # The same order over the open deals alone (the list's default filter): PostgreSQL
            # walked the index above past every closed deal (15 ms). SQLite, whose stage is a
            # parameter it cannot match to the condition, reads the open stages' own index.
            models.Index(
                fields=["expected_close_date", "id"],
                condition=Q(stage__in=["discovery", "demo", "proposal", "negotiation"]),
                name="opportunity_open_close_idx",
            ),
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
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="opportunity_external_id_unique",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return record_url("leads:opportunity-detail", self.pk)

    @property
    def is_open(self) -> bool:
        return self.stage not in self.CLOSED_STAGES

    @property
    def weighted_amount(self) -> Decimal:
        return self.weighted(self.amount, self.probability)

    @staticmethod
    def weighted(amount: Decimal, probability: int) -> Decimal:
        """An amount weighted by a chance of winning (in %), to the cent."""
        return to_cents(amount * probability / 100)

    @property
    def days_in_stage(self) -> int:
        return (timezone.now() - self.stage_changed_at).days

    def can_be_reopened_by(self, user) -> bool:
        return not self.is_open and is_manager(user)

    def save(self, *args, update_fields=None, **kwargs):
        """Every save of a stored deal is a change, whoever writes it (a service, an import, the
        admin): it makes a new version."""
        if not self._state.adding:
            self.version += 1
            if update_fields is not None:
                update_fields = {*update_fields, "version"}
        super().save(*args, update_fields=update_fields, **kwargs)

    def is_sales_actor(self, user) -> bool:
        return self.sales_actor(user, self.owner_id)

    @staticmethod
    def sales_actor(user, owner_id: int | None) -> bool:
        """May `user` act for sales on a deal owned by `owner_id`: its owner or a manager."""
        return is_manager(user) or (is_rep(user) and owner_id == user.pk)

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
            # A deal's history, and the pipeline report's "moved on later?" and "in the stage
            # since?" per change: both read from the index alone, in (time, id) order.
            models.Index(
                fields=["opportunity", "at", "id", "to_stage", "from_stage"],
                name="oppchange_opportunity_at_idx",
            ),
            models.Index(fields=["to_stage", "at"], name="oppchange_to_at_idx"),
            # Every change in a period, whatever its stage (the pipeline report's flow).
            models.Index(
                fields=["at", "to_stage", "from_stage", "opportunity", "id"],
                name="oppchange_at_cover_idx",
            ),
        ]

    def __str__(self):
        return f"{self.opportunity}: {self.from_stage or 'created'} → {self.to_stage}"

    def get_absolute_url(self):
        return self.opportunity.get_absolute_url()


class StageProbability(models.Model):
    """The chance of winning a deal in an open stage. Managers edit it; a deal takes its stage's
    probability whenever it moves. Won is always 100 % and lost 0 %."""

    stage = models.CharField(
        max_length=12, choices=OpportunityStage.choices[:4], unique=True, editable=False
    )
    probability = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(100)], help_text="Chance of winning, in percent."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "stage probabilities"
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__lte=100), name="stage_probability_percent"
            ),
            models.CheckConstraint(
                condition=Q(stage__in=Opportunity.OPEN_STAGES), name="stage_probability_open"
            ),
        ]

    def __str__(self):
        return f"{self.get_stage_display()}: {self.probability} %"

    def get_absolute_url(self):
        return reverse("leads:stage-probabilities")

    @classmethod
    def table(cls) -> dict[str, int]:
        """Probability per stage: the managers' figures over the defaults, in one query."""
        table = dict(Opportunity.DEFAULT_PROBABILITY)
        table.update(cls.objects.values_list("stage", "probability"))
        return table

    @classmethod
    def for_stage(cls, stage: str) -> int:
        if stage in Opportunity.CLOSED_STAGES:
            return Opportunity.DEFAULT_PROBABILITY[stage]
        row = cls.objects.filter(stage=stage).values_list("probability", flat=True).first()
        return Opportunity.DEFAULT_PROBABILITY[stage] if row is None else row


# --- The pipeline tally -------------------------------------------------------------------------


class PipelineTally(models.Model):
    """How many deals each rep has in each stage, and their amount and weighted amount, kept by
    triggers on the deal table (migration 0035) — so every way a deal is written counts: a
    form, a move on the board, an import's bulk insert, a bulk update, a delete.

    The deal list's totals and the board's column figures read a few of these rows where they
    summed every open deal (3–6 ms a page at fourteen thousand open deals). Money is kept in
    whole cents, and the weighted amount as cents × percent, so sums never drift by rounding.
    Only lists narrowed by owner and stage alone can be read from it
    (DealAttributesFilter.tallied_owner); any other filter sums the deals themselves."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=12, choices=OpportunityStage.choices)
    deals = models.IntegerField(default=0)
    amount_cents = models.BigIntegerField(default=0)
    weighted_cents_percent = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "stage"], name="pipeline_tally_owner_stage")
        ]

    def __str__(self):
        return f"{self.owner_id} {self.stage}: {self.deals} deals"

    @staticmethod
    def _sums(stages, owner_id: int | None) -> list[tuple[str, int, int, int]]:
        """(stage, deals, cents, cents × percent) for `stages`, of one owner's deals or, with
        `owner_id` None, everyone's. One short query written by hand: the ORM's aggregate()
        costs a millisecond of Python, the query a tenth of that."""
        stages = [str(stage) for stage in stages]
        placeholders = ", ".join(["%s"] * len(stages))
        sql = (
            "SELECT stage, SUM(deals), SUM(amount_cents), SUM(weighted_cents_percent) "
            f"FROM leads_pipelinetally WHERE stage IN ({placeholders})"
        )
        params: list = stages
        if owner_id is not None:
            sql += " AND owner_id = %s"
            params = [*stages, owner_id]
        with connections[router.db_for_read(PipelineTally)].cursor() as cursor:
            cursor.execute(sql + " GROUP BY stage", params)
            return [(stage, int(n), int(c), int(w)) for stage, n, c, w in cursor.fetchall() if n]

    @staticmethod
    def _figures(count: int, cents: int, weighted: int) -> dict:
        return {
            "count": count,
            "amount": to_cents(Decimal(cents) / 100),
            "weighted": to_cents(Decimal(weighted) / 10000),
        }

    @classmethod
    def by_stage(cls, stages, owner_id: int | None = None) -> dict[str, dict]:
        """{stage: {"count", "amount", "weighted"}} for the stages among `stages` that have
        deals: what the board sums per column."""
        return {stage: cls._figures(*sums) for stage, *sums in cls._sums(stages, owner_id)}

    @classmethod
    def totals(cls, stages, owner_id: int | None = None) -> dict:
        """What OpportunityQuerySet.totals() gives for the deals in `stages`."""
        rows = cls._sums(stages, owner_id)
        return cls._figures(*(sum(row[i] for row in rows) for i in (1, 2, 3)))
