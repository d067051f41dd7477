from django.db import migrations, models


def backfill(apps, schema_editor):
    """Moves out of SAL recorded before now take the pass start and qualify-or-recycle due
    time of the acceptance that began their stint (the latest one before them). One UPDATE,
    no input in the SQL."""
    connection = schema_editor.connection
    moves = connection.ops.quote_name(apps.get_model("leads", "LeadTransition")._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {moves} SET (pass_started_at, decide_due_at) = ("  # noqa: S608 - constants
            f"SELECT a.pass_started_at, a.decide_due_at FROM {moves} a "
            f"WHERE a.lead_id = {moves}.lead_id AND a.to_stage = 'sal' AND a.at <= {moves}.at "
            "ORDER BY a.at DESC, a.id DESC LIMIT 1) "
            "WHERE from_stage = 'sal' AND decide_due_at IS NULL"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0019_activities_of_a_period_covered"),
    ]

    operations = [
        migrations.AlterField(
            model_name="leadtransition",
            name="decide_due_at",
            field=models.DateTimeField(
                blank=True,
                help_text="On an acceptance, and the move out of SAL that ends its stint: when "
                "the SLA wants the lead qualified or recycled.",
                null=True,
                verbose_name="qualify or recycle due",
            ),
        ),
        migrations.AlterField(
            model_name="leadtransition",
            name="pass_started_at",
            field=models.DateTimeField(
                blank=True,
                help_text="On a move out of MQL: when the MQL pass it answers began; on a move "
                "out of SAL: the pass its stint came from.",
                null=True,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
