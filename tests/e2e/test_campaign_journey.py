import pytest
from playwright.sync_api import expect

from leads.models import Lead
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_marketer_launches_a_campaign_and_sees_its_first_lead(
    page, browser, live_server, marketer
):
    log_in(page, marketer.username, PASSWORD)
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Name").fill("Winter webinar")
    page.get_by_label("Channel").select_option("webinar")
    page.get_by_label("Status").select_option("active")
    page.get_by_label("Start date").fill("2026-11-01")
    page.get_by_label("End date").fill("2026-12-31")
    page.get_by_label("Budget").fill("2500")
    page.get_by_label("Landing-page headline").fill("Join our winter webinar")
    page.get_by_role("button", name="Create campaign").click()
    expect(page.get_by_role("status").first).to_contain_text("Campaign “Winter webinar” created.")
    public_url = page.get_by_role("link", name="Public form ↗").get_attribute("href")
    assert public_url == "/go/winter-webinar/"

    # A prospect, in a browser of their own with no login, fills in the public form.
    visitor = browser.new_context(base_url=live_server.url)
    form = visitor.new_page()
    form.goto(public_url + "?utm_source=newsletter")
    expect(form.get_by_role("heading", name="Join our winter webinar")).to_be_visible()
    form.get_by_label("First name").fill("Mary")
    form.get_by_label("Last name").fill("Jackson")
    form.get_by_label("Work e-mail").fill("mary@langley.example")
    form.get_by_label("Company", exact=False).first.fill("Langley Research")
    form.get_by_label("Job title").fill("Head of Engineering")
    form.get_by_label("Company size").select_option("1001-5000")
    form.get_by_label("I agree to be contacted").check()
    form.get_by_role("button", name="Send", exact=True).click()
    expect(form.get_by_role("heading", name="Thank you")).to_be_visible()
    visitor.close()

    page.reload()
    expect(page.get_by_role("link", name="Mary Jackson")).to_be_visible()
    assert Lead.objects.get().submissions.get().utm_source == "newsletter"
