"""The SLA watch: `check_sla` runs this from cron. Every step claims its rows with a conditional
update, so two runs at once (two servers) never record, alert or escalate anything twice."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from crm.roles import Role
from leads import assignment
from leads.models import Lead, SlaBreach
from reports import workhours


@dataclass
class Report:
    recorded: int = 0
    alerted: int = 0
    escalated: int = 0


def check(now=None) -> Report:
    now = now or timezone.now()
    report = Report()
    overdue = Lead.objects.filter(stage=Lead.Stage.MQL, response_due_at__lt=now)
    # Record: the unique (lead, due_at) constraint makes a second run's inserts no-ops.
    before = SlaBreach.objects.count()
    SlaBreach.objects.bulk_create(
        [
            SlaBreach(lead_id=pk, due_at=due, rep_id=owner, detected_at=now)
            for pk, due, owner in overdue.values_list("pk", "response_due_at", "owner_id")
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    report.recorded = SlaBreach.objects.count() - before
    for breach in SlaBreach.objects.filter(alerted_at=None).select_related("lead", "rep"):
        if SlaBreach.objects.filter(pk=breach.pk, alerted_at=None).update(alerted_at=now):
            _alert(breach)
            report.alerted += 1
    report.escalated = _escalate(now)
    return report


def _managers():
    return get_user_model().objects.filter(groups__name=Role.MANAGERS, is_active=True)


def _alert(breach: SlaBreach) -> None:
    lead = breach.lead
    recipients = {u.email for u in _managers() if u.email}
    if breach.rep and breach.rep.email:
        recipients.add(breach.rep.email)
    if not recipients:
        return
    owner = breach.rep.get_full_name() if breach.rep else "nobody (the shared queue)"
    send_mail(
        subject=f"SLA missed: {lead} was due {breach.due_at:%a %d %b %H:%M} UTC",
        message=(
            f"{lead} ({lead.company or 'no company'}) has waited past its response window.\n"
            f"Owner: {owner}.\nAccept or reject it now: {assignment.lead_link(lead.pk)}"
        ),
        from_email=None,
        recipient_list=sorted(recipients),
        fail_silently=True,
    )


def _escalate(now) -> int:
    """Reassign MQLs still untouched past the SLA's escalation window to the next rep."""
    escalated = 0
    history = workhours.SlaHistory()
    candidates = SlaBreach.objects.filter(
        escalated_at=None, lead__stage=Lead.Stage.MQL, lead__first_response_at=None
    ).select_related("lead")
    for breach in candidates:
        lead = breach.lead
        sla = history.at(lead.mql_at)
        if sla is None or sla.escalate_after_hours is None:
            continue
        if workhours.due_at(sla, lead.mql_at, sla.escalate_after_hours) > now:
            continue
        with transaction.atomic():
            if not SlaBreach.objects.filter(pk=breach.pk, escalated_at=None).update(
                escalated_at=now
            ):
                continue  # another run took it
            locked = Lead.objects.select_for_update().get(pk=lead.pk)
            if locked.stage != Lead.Stage.MQL or locked.first_response_at:
                continue
            rep = next(iter(assignment.next_reps(1)), None)
            if rep is not None and rep.pk == locked.owner_id:
                rep = next(iter(assignment.next_reps(1)), None)  # skip the rep who sat on it
            if rep is None or rep.pk == locked.owner_id:
                continue
            locked.owner = rep
            locked.save(update_fields=["owner", "updated_at"])
            assignment.after_commit_notify([locked.pk])
            escalated += 1
    return escalated
