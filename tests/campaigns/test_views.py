import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from campaigns.models import Campaign
from leads import services
from leads.models import Lead
from tests.factories import (
    CampaignFactory,
    LeadFactory,
    OpportunityFactory,
    SpendEntryFactory,
)

pytestmark = pytest.mark.django_db
LIST = reverse("campaigns:campaign-list")
CREATE = reverse("campaigns:campaign-create")


def _form(**overrides):
    data = {
        "name": "Autumn webinar",
        "slug": "",
        "channel": "webinar",
        "objective": "mofu",
        "target_segment": "Mid-market SaaS",
        "status": "planned",
        "start_date": "2026-10-01",
        "end_date": "2026-10-31",
        "budget": "5000.00",
        "description": "",
        "form_headline": "",
        "form_intro": "",
    }
    return {**data, **overrides}


# --- List ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("marketer", 200), ("manager", 200), ("rep", 403), ("outsider", 403)]
)
def test_campaign_list_access(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(LIST).status_code == status


def test_campaign_list_shows_spend_leads_mqls_and_totals(client, marketer):
    campaign = CampaignFactory(name="Summit 2026", owner=marketer, budget=Decimal("1000"))
    SpendEntryFactory(campaign=campaign, amount="1200.00")
    SpendEntryFactory(campaign=campaign, amount="300.00")
    LeadFactory.create_batch(2, campaign=campaign)
    LeadFactory(campaign=campaign, stage=Lead.Stage.MQL)
    CampaignFactory(budget=Decimal("500"))
    client.force_login(marketer)
    response = client.get(LIST)
    row = next(c for c in response.context["campaign_list"] if c.pk == campaign.pk)
    assert (row.spend, row.lead_count, row.mql_count) == (1500, 3, 1)
    assert response.context["totals"] == {
        "count": 2,
        "budget": Decimal("1500"),
        "spend": Decimal("1500"),
        "leads": 3,
        "mqls": 1,
    }
    assert "(over budget)" in response.content.decode()


def test_campaign_list_filters_and_searches(client, marketer):
    CampaignFactory(name="Spring webinar", channel="webinar", status="active")
    CampaignFactory(name="Spring mailing", channel="email", status="completed")
    CampaignFactory(name="Autumn webinar", channel="webinar", status="completed")
    client.force_login(marketer)

    def names(**params):
        return sorted(c.name for c in client.get(LIST, params).context["campaign_list"])

    assert names(q="spring") == ["Spring mailing", "Spring webinar"]
    assert names(channel="webinar", status="completed") == ["Autumn webinar"]
    assert names(q="nothing like it") == []
    empty = client.get(LIST, {"q": "zzz"}).content.decode()
    # One line of text with its link: a card is a flex column, which would stack them.
    assert (
        '<div class="card card-body d-block text-center text-body-secondary">'
        "No campaign matches these filters. "
        f'<a href="{LIST}">Clear them</a>.</div>'
    ) in empty


def test_campaign_list_filters_by_owner_among_marketers_and_managers(
    client, marketer, manager, rep
):
    CampaignFactory(name="Mine", owner=marketer)
    CampaignFactory(name="The boss's", owner=manager)
    client.force_login(marketer)
    response = client.get(LIST, {"owner": manager.pk})
    assert [c.name for c in response.context["campaign_list"]] == ["The boss's"]
    owners = dict(response.context["filter"].form.fields["owner"].choices)
    assert owners[marketer.pk] == "Mara Keting"
    assert rep.pk not in owners  # reps own no campaigns
    response = client.get(LIST, {"owner": rep.pk})
    assert response.context["filter"].errors["owner"]


def test_campaign_list_filters_by_running_dates(client, marketer):
    CampaignFactory(name="Summer", start_date=dt.date(2026, 6, 1), end_date=dt.date(2026, 8, 31))
    CampaignFactory(name="Winter", start_date=dt.date(2026, 12, 1), end_date=None)
    client.force_login(marketer)
    context = client.get(LIST, {"running_from": "2026-09-01"}).context
    assert [c.name for c in context["campaign_list"]] == ["Winter"]
    context = client.get(LIST, {"running_to": "2026-07-01"}).context
    assert [c.name for c in context["campaign_list"]] == ["Summer"]


def test_campaign_list_sorts_by_a_column_both_ways(client, marketer):
    for budget in (300, 100, 200):
        CampaignFactory(budget=Decimal(budget))
    client.force_login(marketer)
    up = [c.budget for c in client.get(LIST, {"ordering": "budget"}).context["campaign_list"]]
    down = [c.budget for c in client.get(LIST, {"ordering": "-budget"}).context["campaign_list"]]
    assert up == [100, 200, 300]
    assert down == [300, 200, 100]
    html = client.get(LIST, {"ordering": "budget"}).content.decode()
    assert 'aria-sort="ascending"' in html
    assert "ordering=-budget" in html


def test_campaign_list_has_an_empty_state(client, marketer):
    client.force_login(marketer)
    assert "No campaigns yet." in client.get(LIST).content.decode()


def test_campaign_list_query_count_is_flat(client, marketer, django_assert_max_num_queries):
    for campaign in CampaignFactory.create_batch(30, owner=marketer):
        SpendEntryFactory.create_batch(2, campaign=campaign)
        LeadFactory.create_batch(2, campaign=campaign)
    client.force_login(marketer)
    with django_assert_max_num_queries(8):
        response = client.get(LIST, {"ordering": "-spend", "status": "active"})
    assert len(response.context["campaign_list"]) == 25
    assert response.context["paginator"].count == response.context["totals"]["count"] == 30
    assert response.context["is_paginated"]
    assert "page=2" in response.content.decode()
    assert "status=active" in response.content.decode()  # pages keep the filters


# --- Create and edit ----------------------------------------------------------------------------


def test_a_marketer_creates_a_campaign_with_a_slug_made_from_its_name(client, marketer):
    client.force_login(marketer)
    response = client.post(CREATE, _form(owner=marketer.pk))
    campaign = Campaign.objects.get()
    assert response["Location"] == campaign.get_absolute_url()
    assert campaign.slug == "autumn-webinar"
    assert campaign.owner == marketer
    follow = client.get(response["Location"])
    assert "Campaign “Autumn webinar” created." in follow.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"end_date": "2026-09-30"}, "end_date", "on or after the start date"),
        ({"budget": "-1"}, "budget", "cannot be negative"),
        ({"name": ""}, "name", "required"),
        ({"slug": "new"}, "slug", "reserved"),
        ({"slug": "has spaces"}, "slug", "valid"),
        ({"start_date": "31/31/2026"}, "start_date", "valid date"),
    ],
)
def test_bad_campaign_input_re_renders_with_the_field_error(
    client, marketer, overrides, field, message
):
    client.force_login(marketer)
    response = client.post(CREATE, _form(owner=marketer.pk, **overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Campaign.objects.exists()
    assert 'value="Autumn webinar"' in response.content.decode() or field == "name"


def test_a_slug_must_be_unique(client, marketer):
    CampaignFactory(slug="autumn-webinar")
    client.force_login(marketer)
    response = client.post(CREATE, _form(owner=marketer.pk))
    assert "taken by another campaign" in " ".join(response.context["form"].errors["slug"])
    response = client.post(CREATE, _form(owner=marketer.pk, slug="autumn-webinar"))
    assert "already exists" in " ".join(response.context["form"].errors["slug"])


def test_editing_keeps_the_slug_and_saves(client, marketer):
    campaign = CampaignFactory(slug="spring", owner=marketer)
    client.force_login(marketer)
    url = reverse("campaigns:campaign-update", args=["spring"])
    assert client.get(url).status_code == 200
    response = client.post(url, _form(owner=marketer.pk, slug="spring", name="Spring v2"))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.slug) == ("Spring v2", "spring")


@pytest.mark.parametrize(("who", "status"), [("rep", 403), ("outsider", 403)])
def test_only_marketing_creates_or_edits_campaigns(client, request, who, status):
    campaign = CampaignFactory()
    client.force_login(request.getfixturevalue(who))
    assert client.get(CREATE).status_code == status
    assert client.post(CREATE, _form()).status_code == status
    edit = reverse("campaigns:campaign-update", args=[campaign.slug])
    assert client.post(edit, _form(slug=campaign.slug)).status_code == status
    assert not Campaign.objects.exclude(pk=campaign.pk).exists()


def test_the_edit_form_fills_the_date_pickers_in_iso_whatever_the_locale(client, marketer):
    # en-GB renders dates as 23/12/2026, which <input type="date"> shows as empty.
    campaign = CampaignFactory(start_date=dt.date(2026, 12, 23))
    client.force_login(marketer)
    html = client.get(reverse("campaigns:campaign-update", args=[campaign.slug])).content.decode()
    assert 'value="2026-12-23"' in html


# --- Detail, spend and archive ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("marketer", 200), ("rep", 200), ("manager", 200), ("outsider", 403)]
)
def test_campaign_detail_access(client, request, who, status):
    campaign = CampaignFactory()
    client.force_login(request.getfixturevalue(who))
    assert client.get(campaign.get_absolute_url()).status_code == status


def test_campaign_kpis_are_computed_from_the_funnel(client, marketer, rep, sla):
    campaign = CampaignFactory(budget=Decimal("900"))
    SpendEntryFactory(campaign=campaign, amount=Decimal("1000.00"))
    leads = LeadFactory.create_batch(4, campaign=campaign)
    for lead in leads[:2]:
        services.lead_mark_mql(lead=lead, by=marketer)
        services.lead_accept(lead=lead, by=rep)
        services.lead_qualify(lead=lead, by=rep)
    deal = services.lead_convert(
        lead=leads[0], by=rep, opportunity_name="D", amount="3000", expected_close_date="2030-1-1"
    )
    services.opportunity_close_won(opportunity=deal, by=rep)
    OpportunityFactory(amount=Decimal("99999"))  # another campaign's revenue does not count
    client.force_login(marketer)
    response = client.get(campaign.get_absolute_url())
    figures = {f.key: f.value for f in response.context["figures"]}
    assert figures["spend"] == Decimal("1000.00")
    assert (figures["leads"], figures["mqls"], figures["sals"], figures["sqls"]) == (4, 2, 2, 2)
    assert (figures["opportunities"], figures["won"], figures["revenue"]) == (1, 1, 3000)
    assert figures["cpl"] == Decimal("250.00")
    assert figures["cpmql"] == Decimal("500.00")
    assert figures["cpsql"] == Decimal("500.00")
    assert figures["cac"] == Decimal("1000.00")
    assert figures["roi"] == Decimal("2.0000")  # (3000 − 1000) ÷ 1000
    html = response.content.decode()
    assert 'title="(Won revenue − spend) ÷ spend"' in html
    assert "200 %" in html
    assert "Over budget by 100.00" in html


def test_kpis_of_a_campaign_with_no_spend_or_leads_show_dashes(client, marketer):
    campaign = CampaignFactory()
    client.force_login(marketer)
    figures = {f.key: f for f in client.get(campaign.get_absolute_url()).context["figures"]}
    assert figures["cpl"].value is None
    assert figures["roi"].value is None


def test_campaign_detail_query_count_is_flat(client, marketer, django_assert_max_num_queries):
    campaign = CampaignFactory()
    LeadFactory.create_batch(30, campaign=campaign, stage=Lead.Stage.MQL)
    SpendEntryFactory.create_batch(30, campaign=campaign)
    client.force_login(marketer)
    with django_assert_max_num_queries(11):
        client.get(campaign.get_absolute_url())


def test_a_marketer_records_spend(client, marketer):
    campaign = CampaignFactory()
    client.force_login(marketer)
    response = client.post(
        campaign.get_absolute_url(), {"date": "2026-11-02", "amount": "120.50", "note": "Ads"}
    )
    assert response.status_code == 302
    entry = campaign.spend_entries.get()
    assert (entry.amount, entry.created_by) == (Decimal("120.50"), marketer)


@pytest.mark.parametrize("amount", ["0", "-5", "abc", ""])
def test_bad_spend_is_refused_with_a_field_error(client, marketer, amount):
    campaign = CampaignFactory()
    client.force_login(marketer)
    response = client.post(campaign.get_absolute_url(), {"date": "2026-11-02", "amount": amount})
    assert response.status_code == 400
    assert response.context["spend_form"].errors["amount"]
    assert "The spend was not recorded" in response.content.decode()
    assert not campaign.spend_entries.exists()


def test_a_rep_cannot_record_spend(client, rep):
    campaign = CampaignFactory()
    client.force_login(rep)
    response = client.post(campaign.get_absolute_url(), {"date": "2026-11-02", "amount": "10"})
    assert response.status_code == 403
    assert not campaign.spend_entries.exists()


def test_archiving_completes_the_campaign_once(client, marketer):
    campaign = CampaignFactory(status="active")
    client.force_login(marketer)
    url = reverse("campaigns:campaign-complete", args=[campaign.slug])
    assert client.get(url).status_code == 405
    client.post(url)
    campaign.refresh_from_db()
    assert campaign.status == "completed"
    response = client.post(url, follow=True)
    assert "already completed" in response.content.decode()


def test_a_rep_cannot_archive(client, rep):
    campaign = CampaignFactory(status="active")
    client.force_login(rep)
    assert (
        client.post(reverse("campaigns:campaign-complete", args=[campaign.slug])).status_code == 403
    )
    campaign.refresh_from_db()
    assert campaign.status == "active"


def test_an_unknown_campaign_is_a_404(client, marketer):
    client.force_login(marketer)
    assert client.get("/campaigns/no-such-campaign/").status_code == 404


def test_an_edit_sent_back_with_an_empty_slug_keeps_the_saved_links(client, marketer):
    campaign = CampaignFactory(name="Spring summit", slug="spring-summit")
    client.force_login(marketer)
    response = client.post(reverse("campaigns:campaign-update", args=[campaign.slug]), {})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="/campaigns/spring-summit/"' in page  # the breadcrumb and Cancel
    assert "Edit “Spring summit”" in page
    assert response.context["form"].errors["name"]
