import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leads import services
from leads.models import Account, Opportunity, Proposal
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, LeadFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_rep_writes_a_proposal_has_it_accepted_and_wins_a_new_customer(page, rep):
    lead = LeadFactory(stage="sql", owner=rep, company="Initrode", first_name="Bill")
    deal = services.lead_convert(
        lead=lead,
        by=rep,
        opportunity_name="Initrode rollout",
        amount="20000",
        expected_close_date=timezone.localdate() + dt.timedelta(days=30),
    )
    log_in(page, rep.username, PASSWORD)

    # The converted deal is on the board, in discovery.
    page.get_by_role("link", name="Pipeline").click()
    discovery = page.get_by_role("region", name="Discovery")
    expect(discovery.get_by_role("link", name="Initrode rollout")).to_be_visible()
    discovery.get_by_role("link", name="Initrode rollout").click()
    expect(page.get_by_role("heading", name="Initrode rollout")).to_be_visible()

    # A proposal with three lines: the editor starts with three blank rows.
    page.get_by_role("link", name="Write a proposal").click()
    lines = [
        ("Platform licence, 40 seats", "40", "450", "10"),
        ("Onboarding workshop", "1", "2500", "0"),
        ("Premium support (months)", "12", "99.95", "12.5"),
    ]
    for i, (description, quantity, price, discount) in enumerate(lines):
        page.locator(f"#id_lines-{i}-description").fill(description)
        page.locator(f"#id_lines-{i}-quantity").fill(quantity)
        page.locator(f"#id_lines-{i}-unit_price").fill(price)
        page.locator(f"#id_lines-{i}-discount_percent").fill(discount)
    page.get_by_label("Tax rate (%)").fill("20")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text("is saved as a draft")
    # 16,200.00 + 2,500.00 + 1,049.48 = 19,749.48; tax 3,949.90; total 23,699.38
    document = page.get_by_role("article")
    expect(document).to_contain_text("19,749.48")
    expect(document).to_contain_text("23,699.38")

    page.get_by_role("button", name="Mark as sent").click()
    expect(page.get_by_role("status").first).to_contain_text("is sent")
    page.get_by_role("button", name="Customer accepted").click()

    # Accepting offers the next step: the deal page opens on its close-won form.
    expect(page.get_by_role("status").first).to_contain_text("Close the deal as won?")
    expect(page.get_by_text("Initrode becomes a customer.")).to_be_visible()
    page.get_by_role("button", name="Close as won").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Initrode rollout is won. Initrode is a customer."
    )
    page.get_by_role("link", name="Initrode", exact=True).first.click()
    expect(page.get_by_text("Customer since")).to_be_visible()

    deal.refresh_from_db()
    assert (deal.stage, deal.closed_date) == ("won", timezone.localdate())
    proposal = Proposal.objects.get()
    assert (proposal.status, proposal.total) == ("accepted", Decimal("23699.38"))
    assert Account.objects.get(name="Initrode").customer_since == timezone.localdate()
    history = list(deal.stage_changes.values_list("from_stage", "to_stage"))
    assert history == [("", "discovery"), ("discovery", "proposal"), ("proposal", "won")]


def test_a_rep_moves_a_card_along_the_board_with_the_keyboard(page, rep):
    deal = Opportunity.objects.create(
        account=Account.objects.create(name="Vandelay"),
        name="Vandelay imports",
        owner=rep,
        amount=Decimal("5000"),
        expected_close_date=timezone.localdate() + dt.timedelta(days=10),
    )
    log_in(page, rep.username, PASSWORD)
    page.goto("/pipeline/")
    move = page.get_by_role("button", name="Move Vandelay imports on to Demo")
    move.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("moved to Demo")
    demo = page.get_by_role("region", name="Demo")
    expect(demo.get_by_role("link", name="Vandelay imports")).to_be_visible()
    deal.refresh_from_db()
    assert (deal.stage, deal.probability) == ("demo", 25)


def test_the_proposal_prints_as_a_clean_a4_document(page, rep):
    deal = Opportunity.objects.create(
        account=Account.objects.create(name="Kramerica"),
        name="Kramerica oil tankers",
        owner=rep,
        amount=Decimal("9000"),
        expected_close_date=timezone.localdate() + dt.timedelta(days=10),
    )
    proposal = services.proposal_create(
        opportunity=deal,
        by=rep,
        title="Coffee-table book",
        valid_until=timezone.localdate() + dt.timedelta(days=30),
        tax_rate=Decimal("10"),
        terms="Net 30.",
        lines=[
            {
                "description": f"Chapter {i}",
                "quantity": Decimal("1"),
                "unit_price": Decimal("750"),
                "discount_percent": Decimal("0"),
            }
            for i in range(1, 13)
        ],
    )
    log_in(page, rep.username, PASSWORD)
    page.goto(f"/proposals/{proposal.pk}/print/")
    expect(page.get_by_role("article")).to_contain_text("9,900.00")  # 12 × 750 + 10 %
    page.emulate_media(media="print")
    expect(page.get_by_text("Back to the proposal")).to_be_hidden()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1  # twelve lines and terms fit one page
    assert re.search(rb"/MediaBox\s*\[0 0 59[45]\.?\d* 84[12]\.?\d*\]", pdf)  # A4 in points
