import zoneinfo

from django.db import migrations, models

from crm.db import Row, bulk_update_rows
from reports.workhours import Schedule

BATCH = 5000


def backfill(apps, schema_editor):
    """Past moves to MQL get their first-contact due time and past acceptances their
    qualify-or-recycle due time, in the working hours of the SLA version in force then."""
    Transition = apps.get_model("leads", "LeadTransition")
    Sla = apps.get_model("reports", "ServiceLevelAgreement")
    db = schema_editor.connection.alias
    versions = list(Sla.objects.using(db).order_by("effective_from"))
    if not versions:
        return
    schedules = {
        sla.pk: Schedule(
            sla.workday_start,
            sla.workday_end,
            frozenset(sla.working_days),
            zoneinfo.ZoneInfo(sla.timezone),
        )
        for sla in versions
    }

    def in_force(when):
        found = versions[0]
        for sla in versions:
            if sla.effective_from <= when:
                found = sla
        return found

    def working_day_hours(sla) -> float:
        return (
            sla.workday_end.hour * 60
            + sla.workday_end.minute
            - sla.workday_start.hour * 60
            - sla.workday_start.minute
        ) / 60

    moves = Transition.objects.using(db).filter(to_stage="mql", contact_due_at=None)
    pending = []
    for pk, at, sla_id in moves.values_list("pk", "at", "sla_id").iterator(chunk_size=BATCH):
        sla = next((v for v in versions if v.pk == sla_id), None) or in_force(at)
        due = schedules[sla.pk].add(at, sla.first_contact_within_hours)
        pending.append(Row(pk=pk, contact_due_at=due))
        if len(pending) >= BATCH:
            bulk_update_rows(Transition, pending, ["contact_due_at"])
            pending = []
    bulk_update_rows(Transition, pending, ["contact_due_at"])
    accepted = Transition.objects.using(db).filter(
        from_stage="mql", to_stage="sal", decide_due_at=None
    )
    pending = []
    for pk, at in accepted.values_list("pk", "at").iterator(chunk_size=BATCH):
        sla = in_force(at)
        due = schedules[sla.pk].add(at, sla.qualify_within_days * working_day_hours(sla))
        pending.append(Row(pk=pk, decide_due_at=due))
        if len(pending) >= BATCH:
            bulk_update_rows(Transition, pending, ["decide_due_at"])
            pending = []
    bulk_update_rows(Transition, pending, ["decide_due_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0011_answers_keep_response_time"),
        ("reports", "0003_quota_period_end"),
    ]

    operations = [
        migrations.AddField(
            model_name="leadtransition",
            name="contact_due_at",
            field=models.DateTimeField(
                blank=True,
                help_text="On a move to MQL: when the SLA wants sales' first call, e-mail or "
                "meeting.",
                null=True,
                verbose_name="first contact due",
            ),
        ),
        migrations.AddField(
            model_name="leadtransition",
            name="decide_due_at",
            field=models.DateTimeField(
                blank=True,
                help_text="On an acceptance: when the SLA wants the lead qualified or recycled.",
                null=True,
                verbose_name="qualify or recycle due",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
