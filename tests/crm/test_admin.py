import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from crm.roles import ROLE_APPS
from tests.factories import (
    ActivityFactory,
    CampaignFactory,
    LeadFactory,
    ManagerFactory,
    OpportunityFactory,
    ProposalLineFactory,
    QuotaFactory,
    SpendEntryFactory,
)

pytestmark = pytest.mark.django_db

MODELS = [model for label in ROLE_APPS for model in apps.get_app_config(label).get_models()]


def test_every_model_is_registered_in_the_admin():
    assert MODELS
    for model in MODELS:
        assert admin.site.is_registered(model), model


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_each_changelist_renders_with_search_and_filters(client, manager, model):
    CampaignFactory()
    SpendEntryFactory()
    LeadFactory()
    ActivityFactory()
    OpportunityFactory()
    ProposalLineFactory()
    QuotaFactory()
    client.force_login(manager)
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client.get(url).status_code == 200
    if admin.site._registry[model].search_fields:
        assert client.get(url, {"q": "a"}).status_code == 200


def test_the_transition_log_is_read_only_in_the_admin(client, manager):
    from leads import services

    lead = LeadFactory(stage="mql", owner=None)
    services.lead_accept(lead=lead, by=manager)
    transition = lead.transitions.get()
    client.force_login(manager)
    change_url = reverse("admin:leads_leadtransition_change", args=[transition.pk])
    delete_url = reverse("admin:leads_leadtransition_delete", args=[transition.pk])
    assert client.get(reverse("admin:leads_leadtransition_add")).status_code == 403
    assert client.post(change_url, {"detail": "rewritten"}).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    transition.refresh_from_db()
    assert transition.detail == ""


def test_a_rep_without_staff_status_cannot_reach_the_admin(client, rep):
    client.force_login(rep)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize("who", ["rep", "marketer"])
def test_staff_status_without_the_manager_role_does_not_open_the_admin(client, request, who):
    user = request.getfixturevalue(who)
    user.is_staff = True
    user.save()
    client.force_login(user)
    for url in ("/admin/", "/admin/leads/lead/", "/admin/leads/opportunity/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url


def test_a_manager_without_staff_status_does_not_open_the_admin(client):
    boss = ManagerFactory(is_staff=False)
    client.force_login(boss)
    assert client.get("/admin/").status_code == 302


def test_a_staff_manager_opens_the_admin(client, manager):
    client.force_login(manager)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "Handoff administration" in response.content.decode()


def test_records_with_history_cannot_be_deleted_even_in_the_admin(client, manager, rep):
    """Reports read leads, deals and accounts through their logs: the admin refuses to delete
    one that has history, and nothing disappears."""
    from leads import services
    from leads.models import Lead, Opportunity

    lead = LeadFactory(owner=rep, stage="mql")
    services.lead_accept(lead=lead, by=rep)  # a transition now points at the lead
    deal = OpportunityFactory(owner=rep, stage="discovery")
    services.opportunity_move(opportunity=deal, by=rep, stage="demo")
    client.force_login(manager)
    for record in (lead, deal, deal.account):
        meta = record._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[record.pk])
        page = client.post(url, {"post": "yes"})
        assert page.status_code == 200, meta.label
        assert "<title>Cannot delete" in page.content.decode(), meta.label
    assert Lead.objects.filter(pk=lead.pk).exists()
    assert Opportunity.objects.filter(pk=deal.pk).exists()
