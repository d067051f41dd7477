import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from leads import services
from leads.models import Lead, ScoringRule
from tests.factories import CampaignFactory, LeadFactory

pytestmark = pytest.mark.django_db
LIST = reverse("leads:lead-list")
EXPORT = reverse("leads:lead-export")
CREATE = reverse("leads:lead-create")
BULK = reverse("leads:lead-bulk-send")
NURTURE = reverse("leads:nurture")


# --- All-leads list ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("marketer", 200), ("manager", 200), ("rep", 403), ("outsider", 403)]
)
def test_marketing_pages_access(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    for url in (LIST, EXPORT, CREATE, NURTURE):
        assert client.get(url).status_code == status, url
    assert client.post(BULK, {"lead": []}).status_code in {status, 302}


def test_lead_list_filters_searches_and_sorts(client, marketer, rep):
    webinar = CampaignFactory(channel="webinar")
    LeadFactory(
        first_name="Ada", last_name="Lovelace", company="Engines", score=80, campaign=webinar
    )
    LeadFactory(
        first_name="Grace",
        last_name="Hopper",
        company="Navy",
        score=20,
        campaign=None,
        country="United States",
    )
    LeadFactory(
        first_name="Alan",
        last_name="Turing",
        email="alan@bletchley.example",
        score=50,
        stage=Lead.Stage.SAL,
        owner=rep,
        campaign=None,
    )
    client.force_login(marketer)

    def names(**params):
        return [lead.first_name for lead in client.get(LIST, params).context["lead_list"]]

    assert sorted(names(q="bletchley")) == ["Alan"]
    assert sorted(names(q="NAVY")) == ["Grace"]
    assert names(campaign=webinar.pk) == ["Ada"]
    assert names(channel="webinar") == ["Ada"]
    assert sorted(names(score_min=50)) == ["Ada", "Alan"]
    assert names(score_min=21, score_max=79) == ["Alan"]
    assert names(stage="sal") == ["Alan"]
    assert names(owner=rep.pk) == ["Alan"]
    assert names(country="united states") == ["Grace"]
    assert names(ordering="-score") == ["Ada", "Alan", "Grace"]
    assert names(ordering="name") == ["Grace", "Ada", "Alan"]
    assert names(q="nobody") == []


def test_lead_list_query_count_is_flat(client, marketer, rep, django_assert_max_num_queries):
    campaign = CampaignFactory()
    LeadFactory.create_batch(120, campaign=campaign, owner=rep, stage=Lead.Stage.SAL)
    client.force_login(marketer)
    with django_assert_max_num_queries(9):
        response = client.get(LIST, {"ordering": "-score", "channel": campaign.channel})
    assert len(response.context["lead_list"]) == 50


def test_the_export_streams_the_filtered_leads_with_formulas_defused(client, marketer):
    LeadFactory(
        first_name='=HYPERLINK("http://x")',
        last_name="Evil",
        company="+cmd|' /C calc'!A0",
        score=90,
        campaign=None,
    )
    LeadFactory(first_name="Plain", last_name="Person", score=10, campaign=None)
    client.force_login(marketer)
    created = dt.datetime(2026, 3, 31, 23, 30, 15, 123456, tzinfo=dt.timezone.utc)
    Lead.objects.filter(first_name__startswith="=").update(created_at=created)
    response = client.get(EXPORT, {"score_min": 50})
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:4] == ["Id", "First name", "Last name", "E-mail"]
    assert len(rows) == 2  # header and the one lead scoring 50 or more
    assert rows[1][1] == '\'=HYPERLINK("http://x")'
    assert rows[1][5] == "'+cmd|' /C calc'!A0"
    # Timestamps in UTC to the second, the same text from either database.
    assert rows[0][-2:] == ["Created (UTC)", "Became MQL (UTC)"]
    assert rows[1][-2:] == ["2026-03-31 23:30:15", ""]


def test_the_export_query_count_does_not_grow(client, marketer, django_assert_max_num_queries):
    LeadFactory.create_batch(60, campaign=None)
    client.force_login(marketer)
    with django_assert_max_num_queries(4):
        response = client.get(EXPORT)
        rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(rows) == 61


# --- Create and edit -----------------------------------------------------------------------------


def _lead_form(**overrides):
    data = {
        "first_name": "Katherine",
        "last_name": "Johnson",
        "email": "katherine@nasa.example",
        "phone": "+1 757 555 0100",
        "company": "NASA",
        "job_title": "Head of Research",
        "industry": "Public sector",
        "company_size": "5001+",
        "country": "United States",
        "campaign": "",
        "channel": "",
        "external_id": "",
    }
    return {**data, **overrides}


def test_a_marketer_creates_a_lead_which_is_scored_and_promoted(client, marketer, sla):
    ScoringRule.objects.create(field="job_title", condition="contains", value="head", points=70)
    client.force_login(marketer)
    response = client.post(CREATE, _lead_form(), follow=True)
    lead = Lead.objects.get()
    assert (lead.score, lead.stage) == (70, Lead.Stage.MQL)
    assert "It meets the MQL definition and went to sales." in response.content.decode()


def test_a_new_lead_takes_its_campaign_s_channel(client, marketer):
    campaign = CampaignFactory(channel="event")
    client.force_login(marketer)
    client.post(CREATE, _lead_form(campaign=campaign.pk))
    assert Lead.objects.get().channel == "event"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "not an e-mail"}, "email", "valid email"),
        ({"phone": "call me"}, "phone", "phone number"),
        ({"first_name": ""}, "first_name", "required"),
        ({"company_size": "huge"}, "company_size", "valid choice"),
    ],
)
def test_bad_lead_input_re_renders_with_field_errors(client, marketer, overrides, field, message):
    client.force_login(marketer)
    response = client.post(CREATE, _lead_form(**overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert 'value="NASA"' in response.content.decode()
    assert not Lead.objects.exists()


def test_a_duplicate_email_is_refused_with_a_link_to_the_existing_lead(client, marketer):
    twin = LeadFactory(email="katherine@NASA.example", campaign=None)
    client.force_login(marketer)
    response = client.post(CREATE, _lead_form())
    html = response.content.decode()
    assert "Another lead already has this e-mail" in html
    assert f'href="{twin.get_absolute_url()}"' in html
    assert Lead.objects.count() == 1


def test_editing_a_lead_rescores_it(client, marketer):
    ScoringRule.objects.create(field="country", condition="equals", value="Spain", points=5)
    lead = LeadFactory(email="katherine@nasa.example", campaign=None, score=0)
    client.force_login(marketer)
    url = reverse("leads:lead-update", args=[lead.pk])
    assert client.get(url).status_code == 200
    client.post(url, _lead_form(country="Spain"))
    lead.refresh_from_db()
    assert (lead.country, lead.score) == ("Spain", 5)


def test_a_rep_edits_their_own_lead_but_not_another_s(client, rep, other_rep):
    mine = LeadFactory(stage=Lead.Stage.SAL, owner=rep, campaign=None)
    theirs = LeadFactory(stage=Lead.Stage.SAL, owner=other_rep, campaign=None)
    queue = LeadFactory(stage=Lead.Stage.MQL, owner=None, campaign=None)
    client.force_login(rep)
    assert client.get(reverse("leads:lead-update", args=[mine.pk])).status_code == 200
    assert client.get(reverse("leads:lead-update", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("leads:lead-update", args=[queue.pk])).status_code == 403


# --- Sending to sales and nurture ----------------------------------------------------------------


def test_sending_one_lead_with_a_justification(client, marketer, sla):
    lead = LeadFactory(score=0, campaign=None)
    client.force_login(marketer)
    url = reverse("leads:lead-send", args=[lead.pk])
    response = client.post(url, {"justification": ""}, follow=True)
    assert "write a justification" in response.content.decode()
    client.post(url, {"justification": "Asked for pricing on the phone."})
    lead.refresh_from_db()
    assert lead.stage == Lead.Stage.MQL
    assert lead.transitions.get().detail == "Asked for pricing on the phone."


def test_a_rep_cannot_send_leads_to_sales(client, rep, sla):
    lead = LeadFactory(campaign=None)
    client.force_login(rep)
    assert client.post(reverse("leads:lead-send", args=[lead.pk])).status_code == 403


def test_bulk_send_sends_the_qualifying_and_explains_the_rest(client, marketer, sla):
    good = LeadFactory.create_batch(2, score=80, campaign=None)
    short = LeadFactory(score=10, campaign=None)
    client.force_login(marketer)
    response = client.post(
        BULK, {"lead": [lead.pk for lead in [*good, short]], "next": LIST}, follow=True
    )
    html = response.content.decode()
    assert "Sent 2 leads to sales." in html
    assert "1 not sent" in html
    assert Lead.objects.filter(stage=Lead.Stage.MQL).count() == 2
    short.refresh_from_db()
    assert short.stage == Lead.Stage.NEW


def test_bulk_send_skips_ticks_that_are_no_ids(client, marketer, sla):
    lead = LeadFactory(score=80, campaign=None)
    client.force_login(marketer)
    response = client.post(BULK, {"lead": ["²", "9" * 30, "x", str(lead.pk)]}, follow=True)
    assert "Sent 1 lead to sales." in response.content.decode()


def test_bulk_send_with_nothing_ticked_says_so(client, marketer):
    client.force_login(marketer)
    response = client.post(BULK, {}, follow=True)
    assert "Tick the leads to send first." in response.content.decode()


def test_bulk_send_ignores_a_foreign_next_address(client, marketer):
    client.force_login(marketer)
    response = client.post(BULK, {"next": "https://evil.example/"})
    assert response["Location"] == LIST


def test_the_nurture_queue_lists_returns_with_reasons_and_re_sends(client, marketer, rep, sla):
    lead = LeadFactory(first_name="Back", stage=Lead.Stage.MQL, owner=rep, campaign=None)
    services.lead_reject(lead=lead, by=rep, reason="no_budget", detail="Budget frozen until Q3.")
    LeadFactory(first_name="Fresh", campaign=None)
    client.force_login(marketer)
    response = client.get(NURTURE)
    html = response.content.decode()
    assert [lead.first_name for lead in response.context["lead_list"]] == ["Back"]
    assert "No budget" in html
    assert "Budget frozen until Q3." in html
    assert [
        lead.first_name for lead in client.get(NURTURE, {"reason": "not_icp"}).context["lead_list"]
    ] == []
    client.post(reverse("leads:lead-send", args=[lead.pk]), {"next": NURTURE})
    lead.refresh_from_db()
    assert lead.stage == Lead.Stage.MQL
    assert [t.to_stage for t in lead.transitions.all()] == ["recycled", "mql"]


def test_nurture_query_count_is_flat(client, marketer, rep, sla, django_assert_max_num_queries):
    for lead in LeadFactory.create_batch(40, stage=Lead.Stage.MQL, owner=rep):
        services.lead_reject(lead=lead, by=rep, reason="bad_data")
    client.force_login(marketer)
    with django_assert_max_num_queries(9):
        response = client.get(NURTURE)
    assert len(response.context["lead_list"]) == 40
