import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, OuterRef, Subquery

from campaigns.models import Campaign
from crm import demo
from leads.models import Account, Lead, LeadTransition, Opportunity
from reports.models import Quota, ServiceLevelAgreement
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.timezone.utc)


def _seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_demo_builds_a_company_and_prints_the_logins():
    output = _seed("--leads", "400", "--seed", "7")
    assert Lead.objects.count() == 400
    assert Campaign.objects.count() == 20
    assert "Seeded 400 leads" in output
    assert "password for all: handoff-demo" in output
    for username in ("morgan", "maria", "sam"):
        assert username in output
        assert get_user_model().objects.get(username=username).check_password("handoff-demo")
    assert ServiceLevelAgreement.objects.count() == 3  # the installation's, then two demo ones
    assert Quota.objects.exists()
    assert Opportunity.objects.exists()


def test_seeded_leads_are_consistent_with_their_history():
    demo.seed(leads=600, seed=3, now=NOW)
    last_stage = LeadTransition.objects.filter(lead=OuterRef("pk")).order_by("-at", "-pk")
    leads = Lead.objects.annotate(
        last=Subquery(last_stage.values("to_stage")[:1]),
        moves=Count("transitions"),
    )
    for lead in leads:
        if lead.stage == Lead.Stage.NEW:
            assert lead.moves == 0
        else:
            assert lead.last == lead.stage, lead.pk
            assert lead.mql_at is not None
    # The funnel narrows and every stage shows up.
    stages = dict(Lead.objects.values_list("stage").annotate(n=Count("*")))
    assert set(stages) == set(Lead.Stage.values)
    assert stages["new"] > stages["converted"]
    # Every converted lead has its deal on its account; won deals made customers.
    converted = Lead.objects.filter(stage=Lead.Stage.CONVERTED)
    assert converted.count() == Opportunity.objects.exclude(lead=None).count()
    assert not converted.filter(account=None).exists()
    won_accounts = Opportunity.objects.won().values("account")
    assert Account.objects.filter(pk__in=won_accounts, customer_since=None).count() == 0
    # Every transition follows the funnel's rules.
    for from_stage, to_stage in LeadTransition.objects.values_list("from_stage", "to_stage"):
        assert to_stage in Lead.TRANSITIONS[from_stage]
    assert set(Opportunity.objects.values_list("stage", flat=True)) >= {"won", "lost"}
    # Every MQL pass has its window, and a lead's current pass is the one on the lead.
    passes = LeadTransition.objects.filter(to_stage=Lead.Stage.MQL)
    assert not passes.filter(due_at=None).exists()
    answers = LeadTransition.objects.filter(from_stage=Lead.Stage.MQL)
    assert answers.exists()
    assert not answers.filter(pass_started_at=None).exists()
    assert not answers.filter(due_at=None).exists()
    for lead in Lead.objects.filter(stage=Lead.Stage.MQL):
        assert passes.filter(lead=lead).latest("at").due_at == lead.response_due_at


# `flush` truncates tables, which PostgreSQL refuses inside the transaction a plain db test runs
# in: these two run in real transactions, as the command does.
@pytest.mark.django_db(transaction=True)
def test_the_same_seed_builds_the_same_company():
    demo.seed(leads=150, seed=11, now=NOW)
    first = list(
        Lead.objects.order_by("email").values_list("email", "stage", "score", "created_at")
    )
    call_command("flush", interactive=False, verbosity=0)
    demo.seed(leads=150, seed=11, now=NOW)
    again = list(
        Lead.objects.order_by("email").values_list("email", "stage", "score", "created_at")
    )
    assert first == again
    call_command("flush", interactive=False, verbosity=0)
    demo.seed(leads=150, seed=12, now=NOW)
    other = list(
        Lead.objects.order_by("email").values_list("email", "stage", "score", "created_at")
    )
    assert other != first


def test_seed_demo_refuses_a_database_with_data():
    CampaignFactory()
    with pytest.raises(CommandError, match="--force"):
        _seed("--leads", "10")
    assert Lead.objects.count() == 0


def test_if_empty_leaves_existing_data_alone_and_still_prints_logins():
    campaign = CampaignFactory()
    output = _seed("--leads", "10", "--if-empty")
    assert "left as it is" in output
    assert "morgan" in output
    assert list(Campaign.objects.all()) == [campaign]


@pytest.mark.django_db(transaction=True)
def test_force_erases_and_seeds_again():
    CampaignFactory(name="Old campaign")
    _seed("--leads", "50", "--force")
    assert not Campaign.objects.filter(name="Old campaign").exists()
    assert Lead.objects.count() == 50
    # The role groups survive the erase (they are synced after every flush).
    assert get_user_model().objects.get(username="sam").groups.filter(name="Sales").exists()


def test_negative_lead_counts_are_refused():
    with pytest.raises(CommandError, match="zero or more"):
        _seed("--leads", "-1")
