"""The accepted-lead tally (leads.models.AcceptedLeadTally): how many SALs each rep holds, kept
by row triggers on the lead table.

Each trigger's condition lets through only a write that adds or removes an SAL with an owner:
an insert or delete of one, or an update that moves a lead into or out of the stage, or hands
an SAL to another rep. Every other write (imports, scores, MQLs) passes without running
anything. The tally starts from a count of today's SALs.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# SQLite takes no alias for the table inside a trigger; PostgreSQL's plpgsql wants one, or the
# tally's column reads as ambiguous beside the function's.
ADD = """INSERT INTO leads_acceptedleadtally{alias} (owner_id, leads)
        SELECT new.owner_id, 1 WHERE new.stage = 'sal' AND new.owner_id IS NOT NULL
        ON CONFLICT (owner_id) DO UPDATE SET leads = {table}.leads + 1;"""
SQLITE_ADD = ADD.format(alias="", table="leads_acceptedleadtally")
POSTGRES_ADD = ADD.format(alias=" AS t", table="t")
REMOVE = """UPDATE leads_acceptedleadtally SET leads = leads - 1
        WHERE owner_id = old.owner_id AND old.stage = 'sal';"""
ADDS = "new.stage = 'sal' AND new.owner_id IS NOT NULL"
REMOVES = "old.stage = 'sal' AND old.owner_id IS NOT NULL"
MOVES = (
    "(old.stage = 'sal' OR new.stage = 'sal') "
    "AND (old.stage IS NOT new.stage OR old.owner_id IS NOT new.owner_id)"
)

SQLITE_FORWARD = [
    f"""CREATE TRIGGER leads_accepted_tally_insert AFTER INSERT ON leads_lead
    WHEN {ADDS} BEGIN {SQLITE_ADD} END""",
    f"""CREATE TRIGGER leads_accepted_tally_delete AFTER DELETE ON leads_lead
    WHEN {REMOVES} BEGIN {REMOVE} END""",
    f"""CREATE TRIGGER leads_accepted_tally_update AFTER UPDATE OF stage, owner_id ON leads_lead
    WHEN {MOVES} BEGIN {REMOVE} {SQLITE_ADD} END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS leads_accepted_tally_insert",
    "DROP TRIGGER IF EXISTS leads_accepted_tally_delete",
    "DROP TRIGGER IF EXISTS leads_accepted_tally_update",
]

POSTGRES_FORWARD = [
    f"""CREATE FUNCTION leads_accepted_tally() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            {REMOVE}
        END IF;
        IF TG_OP <> 'DELETE' THEN
            {POSTGRES_ADD}
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER leads_accepted_tally_insert AFTER INSERT ON leads_lead
    FOR EACH ROW WHEN ({ADDS}) EXECUTE FUNCTION leads_accepted_tally()""",
    f"""CREATE TRIGGER leads_accepted_tally_delete AFTER DELETE ON leads_lead
    FOR EACH ROW WHEN ({REMOVES}) EXECUTE FUNCTION leads_accepted_tally()""",
    f"""CREATE TRIGGER leads_accepted_tally_update AFTER UPDATE OF stage, owner_id ON leads_lead
    FOR EACH ROW WHEN ({MOVES.replace("IS NOT", "IS DISTINCT FROM")})
    EXECUTE FUNCTION leads_accepted_tally()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS leads_accepted_tally_insert ON leads_lead",
    "DROP TRIGGER IF EXISTS leads_accepted_tally_delete ON leads_lead",
    "DROP TRIGGER IF EXISTS leads_accepted_tally_update ON leads_lead",
    "DROP FUNCTION IF EXISTS leads_accepted_tally()",
]

BACKFILL = """
    INSERT INTO leads_acceptedleadtally (owner_id, leads)
    SELECT owner_id, count(*) FROM leads_lead
    WHERE stage = 'sal' AND owner_id IS NOT NULL GROUP BY owner_id
"""

FORWARD = {"sqlite": [*SQLITE_FORWARD, BACKFILL], "postgresql": [*POSTGRES_FORWARD, BACKFILL]}
BACKWARD = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}


def run(statements):
    def operation(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0036_due_index_with_id"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AcceptedLeadTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("leads", models.IntegerField(default=0)),
                (
                    "owner",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.RunPython(run(FORWARD), run(BACKWARD)),
    ]
