"""The Content-Security-Policy in a real browser: the pages with scripts run them (none is
refused), and a stored script payload is shown as text, never run."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, LeadFactory, OpportunityFactory, ProposalFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAYLOAD = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 1">'


def test_scripts_run_under_the_policy_and_stored_payloads_do_not(page, manager, rep, sla):
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    lead = LeadFactory(first_name=PAYLOAD, company=PAYLOAD, owner=rep, stage="sal")
    deal = OpportunityFactory(name=PAYLOAD, owner=rep)
    proposal = ProposalFactory(opportunity=deal, title=PAYLOAD)
    log_in(page, manager.username, PASSWORD)
    for path in (
        "/pipeline/",
        f"/leads/{lead.pk}/",
        f"/opportunities/{deal.pk}/",
        f"/proposals/{proposal.pk}/edit/",
        "/opportunities/",
        "/proposals/",
        "/handoffs/",
    ):
        page.goto(path)
        assert page.evaluate("window.pwned") is None, path
    page.goto("/pipeline/")
    # The board's script ran: its cards can be dragged.
    expect(page.locator("li.board-card[draggable=true]").first).to_be_visible()
    expect(page.get_by_text(PAYLOAD).first).to_be_visible()  # shown as text
    assert refused == []
