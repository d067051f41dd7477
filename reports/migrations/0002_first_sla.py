import datetime as dt

from django.db import migrations


def create_first_sla(apps, schema_editor):
    """A fresh install starts with a sensible agreement that managers then adjust."""
    ServiceLevelAgreement = apps.get_model("reports", "ServiceLevelAgreement")
    db = schema_editor.connection.alias
    if ServiceLevelAgreement.objects.using(db).exists():
        return
    ServiceLevelAgreement.objects.using(db).create(
        version=1,
        effective_from=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc),
        change_note="The first agreement, set up at installation.",
        mql_target_per_month=100,
        mql_min_score=50,
        mql_required_fields=["email", "company"],
        accept_within_hours=4,
        first_contact_within_hours=8,
        qualify_within_days=10,
        escalate_after_hours=None,
        workday_start=dt.time(9, 0),
        workday_end=dt.time(17, 0),
        working_days=[0, 1, 2, 3, 4],
        timezone="Europe/London",
        assignment="round_robin",
    )


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(create_first_sla, migrations.RunPython.noop)]
