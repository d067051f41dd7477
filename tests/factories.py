import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from campaigns.models import Campaign, Channel, SpendEntry
from crm.roles import Role
from leads.models import (
    Account,
    Activity,
    Lead,
    LeadTransition,
    Opportunity,
    Proposal,
    ProposalLine,
    ScoringRule,
)
from reports.models import Quota, ServiceLevelAgreement

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        _join(self, create, extracted)


def _join(user, create: bool, role: Role | None) -> None:
    if create and role:
        user.groups.add(Group.objects.get(name=Role(role).value))


class MarketerFactory(UserFactory):
    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        _join(self, create, extracted or Role.MARKETING)


class RepFactory(UserFactory):
    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        _join(self, create, extracted or Role.SALES)


class ManagerFactory(UserFactory):
    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        _join(self, create, extracted or Role.MANAGERS)


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    slug = factory.Sequence(lambda n: f"campaign-{n}")
    channel = Channel.WEBINAR
    status = Campaign.Status.ACTIVE
    start_date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))
    end_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))
    budget = Decimal("10000.00")
    owner = factory.SubFactory(MarketerFactory)


class SpendEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpendEntry

    campaign = factory.SubFactory(CampaignFactory)
    date = factory.LazyFunction(timezone.localdate)
    amount = Decimal("250.00")


class SLAFactory(factory.django.DjangoModelFactory):
    """An SLA version in force from an hour ago (after the migration's first one)."""

    class Meta:
        model = ServiceLevelAgreement

    version = factory.Sequence(lambda n: 1000 + n)
    effective_from = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    mql_target_per_month = 100
    mql_min_score = 50
    mql_required_fields = factory.LazyFunction(lambda: ["email", "company"])
    accept_within_hours = 4
    first_contact_within_hours = 8
    qualify_within_days = 10
    working_days = factory.LazyFunction(lambda: [0, 1, 2, 3, 4])
    timezone = "Europe/London"


class LeadFactory(factory.django.DjangoModelFactory):
    """A lead in any stage. Stages past `new` get the timestamps they imply; use the services
    to *move* a lead, this only builds one that is already there."""

    class Meta:
        model = Lead

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    company = factory.Faker("company")
    job_title = "Head of Marketing"
    campaign = factory.SubFactory(CampaignFactory)
    channel = factory.LazyAttribute(lambda lead: lead.campaign.channel if lead.campaign else "")
    score = 60
    stage = Lead.Stage.NEW
    mql_at = factory.LazyAttribute(
        lambda lead: None if lead.stage == Lead.Stage.NEW else timezone.now()
    )
    # Every lead past new was an MQL once (as mql_at says).
    reached_mql = factory.LazyAttribute(lambda lead: lead.stage != Lead.Stage.NEW)


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n} Ltd")
    industry = "Software"


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Deal {n}")
    owner = factory.SubFactory(RepFactory)
    stage = Opportunity.Stage.DISCOVERY
    probability = 10
    amount = Decimal("12000.00")
    expected_close_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=45))


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    lead = factory.SubFactory(LeadFactory)
    kind = Activity.Kind.CALL
    outcome = Activity.Outcome.CONNECTED
    body = "Spoke about their needs."
    author = factory.SubFactory(RepFactory)


class ProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Proposal

    opportunity = factory.SubFactory(OpportunityFactory)
    title = "Proposal"
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))
    author = factory.SelfAttribute("opportunity.owner")
    status = Proposal.Status.DRAFT
    # Sent and answered proposals carry the date they were sent, as the services write it.
    sent_at = factory.Maybe(
        factory.LazyAttribute(lambda p: p.status != Proposal.Status.DRAFT),
        yes_declaration=factory.LazyFunction(timezone.now),
        no_declaration=None,
    )


class ProposalLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProposalLine
        skip_postgeneration_save = True

    proposal = factory.SubFactory(ProposalFactory)
    description = "Licence"
    quantity = Decimal("1")
    unit_price = Decimal("100.00")

    @factory.post_generation
    def store_totals(obj, create, extracted, **kwargs):
        """Keep the proposal's stored totals current, as the services do."""
        if create:
            totals = obj.proposal.compute_totals()
            Proposal.objects.filter(pk=obj.proposal_id).update(
                subtotal=totals["subtotal"], tax_amount=totals["tax"], total=totals["total"]
            )


class ScoringRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScoringRule

    field = ScoringRule.Field.JOB_TITLE
    condition = ScoringRule.Condition.CONTAINS
    value = "head"
    points = 10


class QuotaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quota

    rep = factory.SubFactory(RepFactory)
    period = Quota.Period.MONTH
    period_start = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    amount = Decimal("50000.00")


def move(
    lead,
    from_stage,
    to_stage,
    when,
    *,
    by=None,
    reason="",
    due=None,
    sla=None,
    took=None,
    contact_due=None,
    decide_due=None,
):
    """Write one transition as `Lead.move_to` would, for hand-built report scenarios: an
    answer to an MQL carries its pass (its start and due time)."""
    started = None
    if from_stage == "mql":
        answered = LeadTransition.objects.filter(lead=lead, to_stage="mql", at__lte=when)
        started, due = answered.values_list("at", "due_at").latest("at")
    return LeadTransition.objects.create(
        lead=lead,
        from_stage=from_stage,
        to_stage=to_stage,
        at=when,
        actor=by,
        reason=reason,
        due_at=due,
        sla=sla,
        pass_started_at=started,
        response_seconds=took,
        contact_due_at=contact_due,
        decide_due_at=decide_due,
    )
