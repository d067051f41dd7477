"""The accepted-lead tally (leads.models.AcceptedLeadTally), kept by triggers on the lead table:
after every way a lead is written, it holds what counting the SALs gives."""

from collections import Counter

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from crm.db import Row, allocate_pks, bulk_insert
from leads import services
from leads.models import AcceptedLeadTally, Lead
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def tallied() -> dict[int, int]:
    return {t.owner_id: t.leads for t in AcceptedLeadTally.objects.all() if t.leads}


def counted() -> dict[int, int]:
    return dict(
        Counter(
            Lead.objects.filter(stage=Lead.Stage.SAL, owner__isnull=False).values_list(
                "owner_id", flat=True
            )
        )
    )


def sal(owner, **kwargs):
    return LeadFactory(
        stage=Lead.Stage.SAL, owner=owner, accepted_at=timezone.now(), campaign=None, **kwargs
    )


def test_accepting_qualifying_reassigning_and_deleting_keep_the_tally(rep, other_rep, manager):
    first = sal(rep)
    second = sal(other_rep)
    assert tallied() == counted() == {rep.pk: 1, other_rep.pk: 1}
    mql = LeadFactory(stage=Lead.Stage.MQL, owner=None, campaign=None)
    assert tallied() == counted()  # an MQL is not counted
    services.lead_accept(lead=mql, by=rep)  # claimed and accepted: one more of rep's
    assert tallied() == counted() == {rep.pk: 2, other_rep.pk: 1}
    services.lead_qualify(lead=first, by=rep)  # on to SQL: one fewer
    assert tallied() == counted() == {rep.pk: 1, other_rep.pk: 1}
    accepted = Lead.objects.get(pk=mql.pk)
    accepted.owner = other_rep  # handed to another rep
    accepted.save()
    assert tallied() == counted() == {other_rep.pk: 2}
    accepted.score = 99  # a column the tally does not count
    accepted.save()
    assert tallied() == counted()
    second.delete()  # (an accepted lead has its history, which protects it)
    assert tallied() == counted() == {other_rep.pk: 1}


def test_bulk_writes_keep_the_tally(rep, other_rep):
    for _ in range(3):
        sal(rep)
    sal(other_rep)
    Lead.objects.filter(owner=rep).update(owner=other_rep)
    assert tallied() == counted() == {other_rep.pk: 4}
    Lead.objects.filter(pk__in=Lead.objects.filter(owner=other_rep).values("pk")[:2]).update(
        stage=Lead.Stage.SQL
    )
    assert tallied() == counted() == {other_rep.pk: 2}
    Lead.objects.filter(stage=Lead.Stage.SAL).update(owner=None)  # no owner: nobody's SALs
    assert tallied() == counted() == {}
    with transaction.atomic():
        keys = allocate_pks(Lead, 2)
        now = timezone.now()
        bulk_insert(
            Lead,
            [
                Row(
                    pk=pk,
                    first_name="Bulk",
                    last_name=str(pk),
                    email=f"bulk{pk}@example.com",
                    stage=Lead.Stage.SAL,
                    owner_id=rep.pk,
                    mql_at=now,
                    accepted_at=now,
                    reached_mql=True,
                    created_at=now,
                    updated_at=now,
                )
                for pk in keys
            ],
        )
    assert tallied() == counted() == {rep.pk: 2}
    Lead.objects.filter(owner=rep).delete()
    assert tallied() == counted() == {}


def test_the_managers_inbox_counts_accepted_leads_from_the_tally(client, manager, rep, other_rep):
    sal(rep)
    sal(other_rep)
    sal(other_rep)
    # A tally the triggers did not write: what the bare inbox shows is read from it, and a
    # filtered inbox still counts the leads themselves.
    AcceptedLeadTally.objects.filter(owner=rep).update(leads=5)
    client.force_login(manager)
    tabs = {key: n for key, _, n in client.get(reverse("leads:inbox")).context["tabs"]}
    assert tabs["to-qualify"] == 7
    filtered = client.get(reverse("leads:inbox"), {"rep": other_rep.pk}).context["tabs"]
    assert {key: n for key, _, n in filtered}["to-qualify"] == 2
