import threading

import pytest
from django.core import mail
from django.db import connection

from leads import services
from leads.models import AssignmentCursor, Lead
from reports import workhours
from tests.conftest import requires_postgres
from tests.factories import LeadFactory, RepFactory, SLAFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reps(db):
    return [RepFactory(username=f"rep{i}", email=f"rep{i}@example.com") for i in range(3)]


def test_an_mql_is_due_after_the_sla_window_in_working_hours(marketer, reps):
    sla = SLAFactory(accept_within_hours=4)
    lead = LeadFactory(campaign=None)
    services.lead_mark_mql(lead=lead, by=marketer)
    lead.refresh_from_db()
    assert lead.response_due_at == workhours.due_at(sla, lead.mql_at, 4)
    assert lead.response_due_at > lead.mql_at


def test_mqls_go_round_the_active_reps_in_turn(marketer, reps):
    SLAFactory()
    inactive = RepFactory(username="gone", is_active=False)
    leads = LeadFactory.create_batch(7, campaign=None)
    for lead in leads:
        services.lead_mark_mql(lead=lead, by=marketer)
    owners = [Lead.objects.get(pk=lead.pk).owner for lead in leads]
    assert owners == [reps[0], reps[1], reps[2], reps[0], reps[1], reps[2], reps[0]]
    assert inactive not in owners
    assert AssignmentCursor.objects.get().last_rep == reps[0]


def test_the_rotation_continues_after_a_rep_leaves(marketer, reps):
    SLAFactory()
    first, second = LeadFactory.create_batch(2, campaign=None)
    services.lead_mark_mql(lead=first, by=marketer)  # reps[0]
    reps[1].is_active = False
    reps[1].save()
    services.lead_mark_mql(lead=second, by=marketer)
    second.refresh_from_db()
    assert second.owner == reps[2]


def test_a_shared_queue_sla_leaves_mqls_unassigned(marketer, reps):
    SLAFactory(assignment="shared_queue")
    lead = LeadFactory(campaign=None)
    services.lead_mark_mql(lead=lead, by=marketer)
    lead.refresh_from_db()
    assert lead.owner is None


def test_with_no_active_rep_the_mql_waits_in_the_queue(marketer):
    SLAFactory()
    lead = LeadFactory(campaign=None)
    services.lead_mark_mql(lead=lead, by=marketer)
    lead.refresh_from_db()
    assert (lead.stage, lead.owner) == (Lead.Stage.MQL, None)


def test_bulk_promotion_deals_the_leads_out_fairly(reps, django_capture_on_commit_callbacks):
    SLAFactory()
    LeadFactory.create_batch(8, score=90, campaign=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.leads_promote_qualified()
    counts = sorted(Lead.objects.filter(stage="mql").values_list("owner", flat=True))
    assert [counts.count(rep.pk) for rep in reps] == [3, 3, 2]
    assert Lead.objects.filter(stage="mql", response_due_at__isnull=True).count() == 0
    # One e-mail per rep, after the commit, listing their leads.
    assert sorted(m.to[0] for m in mail.outbox) == [rep.email for rep in reps]
    assert "3 new MQLs for you to accept or reject" in {m.subject for m in mail.outbox}
    assert "/leads/" in mail.outbox[0].body


def test_no_mail_leaves_before_the_assignment_commits(
    marketer, reps, django_capture_on_commit_callbacks
):
    SLAFactory()
    lead = LeadFactory(campaign=None)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.lead_mark_mql(lead=lead, by=marketer)
    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert mail.outbox[0].to == [reps[0].email]


def test_a_re_sent_lead_is_assigned_again(marketer, reps):
    SLAFactory()
    lead = LeadFactory(campaign=None)
    services.lead_mark_mql(lead=lead, by=marketer)
    lead.refresh_from_db()
    services.lead_reject(lead=lead, by=lead.owner, reason="no_budget")
    services.lead_resend(lead=lead, by=marketer)
    lead.refresh_from_db()
    assert lead.owner == reps[1]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_mqls_at_the_same_moment_take_different_turns(marketer, reps):
    SLAFactory()
    leads = LeadFactory.create_batch(2, campaign=None)
    barrier = threading.Barrier(2)

    def promote(lead):
        try:
            barrier.wait()
            services.lead_mark_mql(lead=lead, by=marketer)
        finally:
            connection.close()

    threads = [threading.Thread(target=promote, args=(lead,)) for lead in leads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    owners = {Lead.objects.get(pk=lead.pk).owner_id for lead in leads}
    assert owners == {reps[0].pk, reps[1].pk}


def test_the_migration_gives_waiting_mqls_their_due_time(sla):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps

    migration = importlib.import_module("leads.migrations.0004_response_clock_and_round_robin")
    lead = LeadFactory(stage=Lead.Stage.MQL, campaign=None)
    Lead.objects.filter(pk=lead.pk).update(response_due_at=None)
    editor = SimpleNamespace(connection=SimpleNamespace(alias="default"))
    migration.backfill_due_times(apps, editor)
    lead.refresh_from_db()
    assert lead.response_due_at == workhours.due_at(sla, lead.mql_at, sla.accept_within_hours)
