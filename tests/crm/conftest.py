import pytest

from leads.models import Lead, LeadImport
from tests.factories import (
    AccountFactory,
    ActivityFactory,
    CampaignFactory,
    LeadFactory,
    OpportunityFactory,
    ProposalFactory,
    QuotaFactory,
    RepFactory,
    ScoringRuleFactory,
)


@pytest.fixture
def world(marketer, rep, other_rep, manager, outsider, sla):
    """One of each record, the sales ones the `rep`'s, and the URL arguments that reach them."""
    inactive = RepFactory(username="inactive", is_active=False)
    campaign = CampaignFactory(owner=marketer)
    lead = LeadFactory(campaign=campaign, owner=rep, stage=Lead.Stage.SAL)
    deal = OpportunityFactory(owner=rep, account=AccountFactory(owner=rep), lead=None)
    proposal = ProposalFactory(opportunity=deal)
    note = ActivityFactory(lead=lead, author=rep)
    rule = ScoringRuleFactory()
    quota = QuotaFactory(rep=rep)
    lead_import = LeadImport.objects.create(
        created_by=marketer, filename="leads.csv", content="email\n", header=["email"]
    )
    deal_import = LeadImport.objects.create(
        kind=LeadImport.Kind.OPPORTUNITIES,
        created_by=manager,
        filename="deals.csv",
        content="name\n",
        header=["name"],
    )
    slug = {"slug": campaign.slug}
    kwargs = {
        "campaigns:campaign-detail": slug,
        "campaigns:campaign-update": slug,
        "campaigns:campaign-complete": slug,
        "landing-page": slug,
        "landing-thanks": slug,
        "leads:import-mapping": {"pk": lead_import.pk},
        "leads:import-status": {"pk": lead_import.pk},
        "leads:import-errors": {"pk": lead_import.pk},
        "leads:lead-detail": {"pk": lead.pk},
        "leads:lead-update": {"pk": lead.pk},
        "leads:lead-send": {"pk": lead.pk},
        "leads:lead-activity": {"pk": lead.pk},
        "leads:lead-action": {"pk": lead.pk, "action": "qualify"},
        "leads:opportunity-import-mapping": {"pk": deal_import.pk},
        "leads:opportunity-import-status": {"pk": deal_import.pk},
        "leads:opportunity-import-errors": {"pk": deal_import.pk},
        "leads:opportunity-detail": {"pk": deal.pk},
        "leads:opportunity-update": {"pk": deal.pk},
        "leads:opportunity-activity": {"pk": deal.pk},
        "leads:proposal-create": {"pk": deal.pk},
        "leads:opportunity-action": {"pk": deal.pk, "action": "move"},
        "leads:proposal-detail": {"pk": proposal.pk},
        "leads:proposal-print": {"pk": proposal.pk},
        "leads:proposal-update": {"pk": proposal.pk},
        "leads:proposal-action": {"pk": proposal.pk, "action": "send"},
        "leads:activity-update": {"pk": note.pk},
        "leads:activity-delete": {"pk": note.pk},
        "leads:account-detail": {"pk": deal.account_id},
        "leads:account-update": {"pk": deal.account_id},
        "leads:rule-update": {"pk": rule.pk},
        "leads:rule-delete": {"pk": rule.pk},
        "reports:quota-update": {"pk": quota.pk},
        "reports:quota-delete": {"pk": quota.pk},
    }
    users = {
        "anonymous": None,
        "inactive": inactive,
        "outsider": outsider,
        "marketer": marketer,
        "rep": rep,
        "other_rep": other_rep,
        "manager": manager,
    }
    return users, kwargs
