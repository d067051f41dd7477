import zoneinfo

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    """Each move to MQL gets the due time of its pass: the lead's own for its current pass (one
    UPDATE), the SLA in force then for the earlier passes of recycled leads."""
    from reports.workhours import Schedule

    Lead = apps.get_model("leads", "Lead")
    Transition = apps.get_model("leads", "LeadTransition")
    SLA = apps.get_model("reports", "ServiceLevelAgreement")
    db = schema_editor.connection.alias
    current = Lead.objects.using(db).filter(pk=OuterRef("lead_id"), mql_at=OuterRef("at"))
    Transition.objects.using(db).filter(to_stage="mql", due_at=None).update(
        due_at=Subquery(current.values("response_due_at")[:1])
    )
    versions = {v.pk: v for v in SLA.objects.using(db)}
    by_date = sorted(versions.values(), key=lambda v: (v.effective_from, v.version), reverse=True)
    schedules = {}
    earlier = Transition.objects.using(db).filter(to_stage="mql", due_at=None)
    batch = []
    for transition in earlier.only("pk", "at", "sla_id").iterator(chunk_size=2000):
        sla = versions.get(transition.sla_id) or next(
            (v for v in by_date if v.effective_from <= transition.at), None
        )
        if sla is None:
            continue
        if sla.pk not in schedules:
            schedules[sla.pk] = Schedule(
                sla.workday_start,
                sla.workday_end,
                frozenset(sla.working_days),
                zoneinfo.ZoneInfo(sla.timezone),
            )
        transition.due_at = schedules[sla.pk].add(transition.at, sla.accept_within_hours)
        batch.append(transition)
        if len(batch) == 2000:
            Transition.objects.using(db).bulk_update(batch, ["due_at"])
            batch = []
    Transition.objects.using(db).bulk_update(batch, ["due_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0007_deal_imports"),
        ("reports", "0003_quota_period_end"),
    ]

    operations = [
        migrations.AddField(
            model_name="leadtransition",
            name="due_at",
            field=models.DateTimeField(
                blank=True,
                help_text="On a move to MQL: when sales' accept-or-reject window of this pass "
                "closes.",
                null=True,
                verbose_name="response due",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
