from django.db import migrations, models

# The seconds between a pass's start and its answer, in each engine's own date arithmetic.
SECONDS = {
    "sqlite": "MAX(0, CAST(ROUND((julianday(at) - julianday(pass_started_at)) * 86400) AS INTEGER))",
    "postgresql": "GREATEST(0, ROUND(EXTRACT(EPOCH FROM (at - pass_started_at)))::integer)",
}


def backfill(apps, schema_editor):
    """Answers recorded before this field count from their pass's start to the answer itself:
    which touches came earlier in a past pass was not kept. One UPDATE, no input in the SQL."""
    connection = schema_editor.connection
    table = apps.get_model("leads", "LeadTransition")._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(table)} "  # noqa: S608 - constant text only
            f"SET response_seconds = {SECONDS[connection.vendor]} "
            "WHERE pass_started_at IS NOT NULL AND response_seconds IS NULL"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0010_decisions_carry_their_pass"),
    ]

    operations = [
        migrations.AddField(
            model_name="leadtransition",
            name="response_seconds",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="On a move out of MQL: seconds from the pass's start to sales' first "
                "touch (a call, e-mail or meeting logged, or this answer, whichever came first).",
                null=True,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
