import datetime as dt

from django.db import migrations, models


def fill_period_end(apps, schema_editor):
    """The last day of each existing quota's month or quarter."""
    Quota = apps.get_model("reports", "Quota")
    for quota in Quota.objects.all():
        months = 3 if quota.period == "quarter" else 1
        year, month = divmod(quota.period_start.month - 1 + months, 12)
        first_after = dt.date(quota.period_start.year + year, month + 1, 1)
        quota.period_end = first_after - dt.timedelta(days=1)
        quota.save(update_fields=["period_end"])


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_first_sla"),
    ]

    operations = [
        migrations.AddField(
            model_name="quota",
            name="period_end",
            field=models.DateField(editable=False, null=True),
        ),
        migrations.RunPython(fill_period_end, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="quota",
            name="period_end",
            field=models.DateField(editable=False),
        ),
    ]
