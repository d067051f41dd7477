import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leads import services
from leads.models import Lead, LeadTransition
from reports.models import ServiceLevelAgreement
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, LeadFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_manager_tightens_the_response_window_and_compliance_follows(
    page, live_server, manager, marketer, rep, sla
):
    """An MQL answered in time under the old window stays in time; one answered an hour after
    the new, shorter window closed is late: the page judges each pass by its own version."""
    now = timezone.now()
    answered = LeadFactory(stage="sal", owner=rep)
    LeadTransition.objects.create(
        lead=answered, from_stage="new", to_stage="mql", at=now - dt.timedelta(minutes=1)
    )
    LeadTransition.objects.create(
        lead=answered,
        from_stage="mql",
        to_stage="sal",
        actor=rep,
        at=now - dt.timedelta(seconds=30),
        pass_started_at=now - dt.timedelta(minutes=1),
        due_at=now + dt.timedelta(hours=3),
    )
    log_in(page, manager.username, PASSWORD)
    page.get_by_role("link", name="SLA", exact=True).click()
    accept = page.locator(".commitment", has_text="Accept or reject in time")
    expect(accept).to_contain_text(f"within {sla.accept_within_hours} working hours")
    expect(accept).to_contain_text("1 of 1 in time")
    expect(accept.locator(".badge")).to_have_text("Kept")

    page.get_by_role("link", name="Change the agreement").click()
    page.get_by_label("Accept or reject an MQL within (working hours)").fill("1")
    page.get_by_label("What changed and why").fill("Hot leads go cold within the hour.")
    page.get_by_role("button", name="Put the new version in force").click()
    newest = ServiceLevelAgreement.objects.order_by("-version").first()
    expect(page.get_by_role("status").first).to_contain_text(
        f"Version {newest.version} of the agreement is in force from now."
    )
    history = page.locator("section", has=page.get_by_role("heading", name="Versions"))
    expect(history).to_contain_text("Hot leads go cold within the hour.")
    expect(history).to_contain_text(
        f"Accept or reject an MQL within (working hours): {sla.accept_within_hours} → 1"
    )
    expect(accept).to_contain_text("within 1 working hours")
    expect(accept).to_contain_text("1 of 1 in time")  # the earlier MQL kept its window

    # A new MQL under version 2, answered an hour after its one-hour window closed.
    lead = LeadFactory(owner=rep, score=90)
    services.lead_send_to_sales(lead=lead, by=marketer)
    lead = Lead.objects.get(pk=lead.pk)
    lead.move_to(Lead.Stage.SAL, by=rep, at=lead.response_due_at + dt.timedelta(hours=1))
    lead.save()
    page.reload()
    expect(accept).to_contain_text("1 of 2 in time")
    expect(accept.locator(".badge")).to_have_text("Missed")
