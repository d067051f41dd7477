import datetime as dt
import threading
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from leads import sla
from leads.models import Lead, SlaBreach
from tests.conftest import requires_postgres
from tests.factories import ActivityFactory, LeadFactory, RepFactory, SLAFactory

pytestmark = pytest.mark.django_db


def overdue_mql(owner, hours_late=1, **kwargs):
    now = timezone.now()
    return LeadFactory(
        stage=Lead.Stage.MQL,
        owner=owner,
        campaign=None,
        mql_at=now - dt.timedelta(days=3),
        response_due_at=now - dt.timedelta(hours=hours_late),
        **kwargs,
    )


def run():
    out = StringIO()
    call_command("check_sla", stdout=out)
    return out.getvalue()


def test_a_breach_is_recorded_and_alerted_once(rep, manager):
    rep.email, manager.email = "rep@example.com", "boss@example.com"
    rep.save()
    manager.save()
    lead = overdue_mql(rep)
    LeadFactory(
        stage=Lead.Stage.MQL,
        owner=rep,
        response_due_at=timezone.now() + dt.timedelta(hours=1),
        campaign=None,
    )
    assert run().startswith("1 new breach, 1 alerted")
    breach = SlaBreach.objects.get()
    assert (breach.lead, breach.rep, breach.due_at) == (lead, rep, lead.response_due_at)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["boss@example.com", "rep@example.com"]
    assert str(lead) in mail.outbox[0].subject
    assert run().startswith("0 new breaches, 0 alerted")
    assert len(mail.outbox) == 1


def test_an_answered_mql_is_no_breach(rep):
    LeadFactory(
        stage=Lead.Stage.SAL,
        owner=rep,
        response_due_at=timezone.now() - dt.timedelta(hours=5),
        campaign=None,
    )
    run()
    assert not SlaBreach.objects.exists()


def test_an_untouched_mql_is_reassigned_past_the_escalation_window(rep, other_rep):
    SLAFactory(
        effective_from=timezone.now() - dt.timedelta(days=30),
        accept_within_hours=4,
        escalate_after_hours=8,
    )
    lead = overdue_mql(rep)
    touched = overdue_mql(rep)
    ActivityFactory(lead=touched, author=rep)
    touched.first_response_at = timezone.now()
    touched.save()
    report = sla.check()
    assert report.escalated == 1
    lead.refresh_from_db()
    assert lead.owner == other_rep
    touched.refresh_from_db()
    assert touched.owner == rep
    assert sla.check().escalated == 0  # once per breach


def test_without_an_escalation_window_nobody_is_reassigned(rep, other_rep):
    SLAFactory(effective_from=timezone.now() - dt.timedelta(days=30), escalate_after_hours=None)
    lead = overdue_mql(rep)
    assert sla.check().escalated == 0
    lead.refresh_from_db()
    assert lead.owner == rep


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_alert_each_breach_once():
    rep = RepFactory(email="rep@example.com")
    for _ in range(5):
        overdue_mql(rep)
    barrier = threading.Barrier(2)

    def check():
        try:
            barrier.wait()
            sla.check()
        finally:
            connection.close()

    threads = [threading.Thread(target=check) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert SlaBreach.objects.count() == 5
    assert len(mail.outbox) == 5
