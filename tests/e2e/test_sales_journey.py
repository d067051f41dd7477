import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leads.models import Lead, Opportunity
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, LeadFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_rep_works_the_handoff_from_inbox_to_opportunity(
    page, browser, live_server, rep, marketer, sla
):
    soon = timezone.now() + dt.timedelta(days=2)
    for first, last, company in [("Rita", "Reject", "Tiny Shop"), ("Anna", "Accept", "Big Corp")]:
        LeadFactory(
            first_name=first,
            last_name=last,
            company=company,
            stage="mql",
            owner=rep,
            mql_at=timezone.now(),
            response_due_at=soon,
            campaign=None,
        )
    log_in(page, rep.username, PASSWORD)
    expect(page.get_by_role("link", name="Rita Reject")).to_be_visible()
    expect(page.get_by_text("due in").first).to_be_visible()

    # Reject one back to marketing with a reason.
    page.get_by_role("link", name="Rita Reject").click()
    page.get_by_text("Reject back to marketing").click()
    page.get_by_label("Reason").select_option("not_icp")
    page.get_by_label("Detail").fill("One-person shop.")
    page.get_by_role("button", name="Reject", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("went back to marketing's nurture")

    # Accept the other, log a call, qualify and convert it.
    page.get_by_role("link", name="Inbox").click()
    page.get_by_role("link", name="Anna Accept").click()
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("You accepted Anna Accept.")
    page.get_by_label("Kind").select_option("call")
    page.get_by_label("Outcome").select_option("connected")
    page.get_by_label("What happened").fill("Discovery call: they lose leads between teams.")
    page.get_by_role("button", name="Log it").click()
    expect(page.get_by_text("Discovery call: they lose leads between teams.")).to_be_visible()
    page.get_by_text("Qualify (BANT)").click()
    page.get_by_label("Budget").fill("30k this year")
    page.get_by_label("Authority").fill("COO signs")
    page.get_by_label("Need").fill("Lost handoffs")
    page.get_by_role("textbox", name="Timeline").fill("This quarter")
    page.get_by_role("button", name="Qualify", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("is sales-qualified")
    page.get_by_text("Convert to an opportunity").click()
    page.get_by_label("Amount").fill("30000")
    page.get_by_label("Expected close date").fill(
        (timezone.localdate() + dt.timedelta(days=40)).isoformat()
    )
    page.get_by_role("button", name="Convert", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Big Corp")
    assert Opportunity.objects.get().lead.first_name == "Anna"
    assert Lead.objects.get(first_name="Anna").stage == "converted"

    # Marketing sees the rejected lead in nurture, with sales' reason.
    other = browser.new_context(base_url=live_server.url)
    marketing = other.new_page()
    log_in(marketing, marketer.username, PASSWORD)
    marketing.get_by_role("link", name="Nurture").click()
    expect(marketing.get_by_role("link", name="Rita Reject")).to_be_visible()
    expect(marketing.get_by_role("table").get_by_text("Not our ideal customer")).to_be_visible()
    other.close()
