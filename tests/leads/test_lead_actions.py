import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from leads.models import Lead, Opportunity
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def act(client, lead, action, data=None, **kwargs):
    return client.post(reverse("leads:lead-action", args=[lead.pk, action]), data or {}, **kwargs)


BANT = {"budget": "40k approved", "authority": "CFO", "need": "Lost leads", "timeline": "Q1"}


def test_a_rep_accepts_their_mql(client, rep):
    lead = LeadFactory(stage=Lead.Stage.MQL, owner=rep, campaign=None)
    client.force_login(rep)
    response = act(client, lead, "accept", follow=True)
    assert f"You accepted {lead}." in response.content.decode()
    lead.refresh_from_db()
    assert lead.stage == Lead.Stage.SAL


def test_the_lead_page_offers_only_the_legal_actions(client, rep):
    lead = LeadFactory(stage=Lead.Stage.MQL, owner=rep, campaign=None)
    client.force_login(rep)
    actions = client.get(lead.get_absolute_url()).context["actions"]
    assert set(actions) == {"accept", "reject"}
    lead.stage = Lead.Stage.SAL
    lead.save()
    assert set(client.get(lead.get_absolute_url()).context["actions"]) == {"qualify", "disqualify"}


def test_a_manager_also_sees_reassign(client, manager, rep):
    lead = LeadFactory(stage=Lead.Stage.SQL, owner=rep, campaign=None)
    client.force_login(manager)
    assert set(client.get(lead.get_absolute_url()).context["actions"]) == {
        "disqualify",
        "convert",
        "reassign",
    }


def test_rejecting_without_a_reason_re_renders_the_form_with_errors(client, rep):
    lead = LeadFactory(stage=Lead.Stage.MQL, owner=rep, campaign=None)
    client.force_login(rep)
    response = act(client, lead, "reject", {"reason": "", "detail": "keep this text"})
    assert response.status_code == 400
    assert "reason" in response.context["actions"]["reject"].errors
    assert "keep this text" in response.content.decode()
    lead.refresh_from_db()
    assert lead.stage == Lead.Stage.MQL


def test_rejecting_with_a_reason_sends_it_to_nurture(client, rep):
    lead = LeadFactory(stage=Lead.Stage.MQL, owner=rep, campaign=None)
    client.force_login(rep)
    act(client, lead, "reject", {"reason": "no_budget", "detail": "Frozen."})
    lead.refresh_from_db()
    assert (lead.stage, lead.stage_reason) == (Lead.Stage.RECYCLED, "no_budget")


def test_qualifying_keeps_the_bant_answers(client, rep):
    lead = LeadFactory(stage=Lead.Stage.SAL, owner=rep, campaign=None)
    client.force_login(rep)
    assert act(client, lead, "qualify", {**BANT, "timeline": ""}).status_code == 400
    act(client, lead, "qualify", BANT)
    lead.refresh_from_db()
    assert lead.stage == Lead.Stage.SQL
    assert "Authority: CFO" in lead.transitions.get().detail


@pytest.mark.parametrize(
    ("choice", "stage"), [("disqualify", "disqualified"), ("recycle", "recycled")]
)
def test_disqualify_or_recycle(client, rep, choice, stage):
    lead = LeadFactory(stage=Lead.Stage.SQL, owner=rep, campaign=None)
    client.force_login(rep)
    act(client, lead, "disqualify", {"action": choice, "reason": "no_need"})
    lead.refresh_from_db()
    assert lead.stage == stage


def test_converting_opens_the_opportunity_page(client, rep):
    lead = LeadFactory(stage=Lead.Stage.SQL, owner=rep, company="Initech", campaign=None)
    client.force_login(rep)
    close = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    response = act(
        client,
        lead,
        "convert",
        {
            "account_name": "Initech",
            "opportunity_name": "Initech deal",
            "amount": "9000",
            "expected_close_date": close,
        },
    )
    opportunity = Opportunity.objects.get()
    assert response["Location"] == opportunity.get_absolute_url()
    assert (opportunity.account.name, opportunity.amount) == ("Initech", 9000)


def test_converting_with_a_past_close_date_is_refused(client, rep):
    lead = LeadFactory(stage=Lead.Stage.SQL, owner=rep, campaign=None)
    client.force_login(rep)
    response = act(
        client,
        lead,
        "convert",
        {"opportunity_name": "D", "amount": "1", "expected_close_date": "2020-01-01"},
    )
    assert response.status_code == 400
    assert "in the past" in response.content.decode()
    assert not Opportunity.objects.exists()


def test_an_illegal_action_is_refused_with_a_message(client, rep):
    lead = LeadFactory(stage=Lead.Stage.SAL, owner=rep, campaign=None)
    client.force_login(rep)
    response = act(client, lead, "accept", follow=True)
    assert "is SAL and cannot be accepted" in response.content.decode()


def test_a_rep_claims_from_the_queue_but_not_twice(client, rep, other_rep):
    lead = LeadFactory(stage=Lead.Stage.MQL, owner=None, campaign=None)
    client.force_login(rep)
    act(client, lead, "claim")
    lead.refresh_from_db()
    assert lead.owner == rep
    client.force_login(other_rep)
    assert act(client, lead, "claim").status_code == 404  # no longer in their view


def test_another_rep_s_lead_is_a_404_and_marketing_gets_a_403(client, rep, other_rep, marketer):
    lead = LeadFactory(stage=Lead.Stage.MQL, owner=other_rep, campaign=None)
    client.force_login(rep)
    assert act(client, lead, "accept").status_code == 404
    client.force_login(marketer)
    assert act(client, lead, "accept").status_code == 403
    lead.refresh_from_db()
    assert lead.stage == Lead.Stage.MQL


def test_only_managers_reassign(client, manager, rep, other_rep):
    lead = LeadFactory(stage=Lead.Stage.SAL, owner=rep, campaign=None)
    client.force_login(rep)
    response = act(client, lead, "reassign", {"owner": other_rep.pk}, follow=True)
    assert "Only a manager" in response.content.decode()
    client.force_login(manager)
    act(client, lead, "reassign", {"owner": other_rep.pk})
    lead.refresh_from_db()
    assert lead.owner == other_rep


def test_an_unknown_action_is_a_404(client, rep):
    lead = LeadFactory(stage=Lead.Stage.MQL, owner=rep, campaign=None)
    client.force_login(rep)
    assert act(client, lead, "explode").status_code == 404
