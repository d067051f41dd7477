"""The pipeline tally (leads.models.PipelineTally): deals, cents and cents × percent for each
owner and stage, kept by triggers on the deal table.

SQLite: a row trigger per insert, delete and update of the four columns it counts, each an
upsert. PostgreSQL: one trigger per statement, over its transition tables (a statement's deals
counted together, and the tally rows upserted in (owner, stage) order, so that concurrent
writers lock them in the same order); an update that changes none of the four columns writes
nothing. The tally starts from a count of today's deals.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CENTS = "CAST(ROUND({row}.amount * 100) AS BIGINT)"
ADD = """INSERT INTO leads_pipelinetally
            (owner_id, stage, deals, amount_cents, weighted_cents_percent)
        VALUES (new.owner_id, new.stage, 1, {cents}, {cents} * new.probability)
        ON CONFLICT (owner_id, stage) DO UPDATE SET
            deals = deals + 1,
            amount_cents = amount_cents + excluded.amount_cents,
            weighted_cents_percent = weighted_cents_percent + excluded.weighted_cents_percent;""".format(
    cents=CENTS.format(row="new")
)
REMOVE = """UPDATE leads_pipelinetally SET
            deals = deals - 1,
            amount_cents = amount_cents - {cents},
            weighted_cents_percent = weighted_cents_percent - {cents} * old.probability
        WHERE owner_id = old.owner_id AND stage = old.stage;""".format(
    cents=CENTS.format(row="old")
)
COUNTED = "owner_id, stage, amount, probability"

SQLITE_FORWARD = [
    f"CREATE TRIGGER leads_pipeline_tally_insert AFTER INSERT ON leads_opportunity BEGIN {ADD} END",
    f"CREATE TRIGGER leads_pipeline_tally_delete AFTER DELETE ON leads_opportunity BEGIN {REMOVE} END",
    f"""CREATE TRIGGER leads_pipeline_tally_update AFTER UPDATE OF {COUNTED} ON leads_opportunity
    WHEN old.owner_id IS NOT new.owner_id OR old.stage IS NOT new.stage
        OR old.amount IS NOT new.amount OR old.probability IS NOT new.probability
    BEGIN {REMOVE} {ADD} END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS leads_pipeline_tally_insert",
    "DROP TRIGGER IF EXISTS leads_pipeline_tally_delete",
    "DROP TRIGGER IF EXISTS leads_pipeline_tally_update",
]


def postgres_apply(name: str, parts: list[tuple[str, str]]) -> str:
    """A trigger function adding the deals of each transition table in `parts` (name, sign)."""
    rows = " UNION ALL ".join(
        f"SELECT owner_id, stage, {sign} AS n, {sign} * {CENTS.format(row=table)} AS c, "
        f"{sign} * {CENTS.format(row=table)} * probability AS w FROM {table}"
        for table, sign in parts
    )
    return f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO leads_pipelinetally AS t
            (owner_id, stage, deals, amount_cents, weighted_cents_percent)
        SELECT owner_id, stage, sum(n), sum(c), sum(w) FROM ({rows}) AS d
        GROUP BY owner_id, stage
        HAVING sum(n) <> 0 OR sum(c) <> 0 OR sum(w) <> 0
        ORDER BY owner_id, stage
        ON CONFLICT (owner_id, stage) DO UPDATE SET
            deals = t.deals + excluded.deals,
            amount_cents = t.amount_cents + excluded.amount_cents,
            weighted_cents_percent = t.weighted_cents_percent + excluded.weighted_cents_percent;
        RETURN NULL;
    END $$"""


POSTGRES_FORWARD = [
    postgres_apply("leads_pipeline_tally_added", [("added", "1")]),
    postgres_apply("leads_pipeline_tally_removed", [("removed", "-1")]),
    postgres_apply("leads_pipeline_tally_changed", [("removed", "-1"), ("added", "1")]),
    """CREATE TRIGGER leads_pipeline_tally_insert AFTER INSERT ON leads_opportunity
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT
    EXECUTE FUNCTION leads_pipeline_tally_added()""",
    """CREATE TRIGGER leads_pipeline_tally_delete AFTER DELETE ON leads_opportunity
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
    EXECUTE FUNCTION leads_pipeline_tally_removed()""",
    # PostgreSQL allows no column list with transition tables: every update statement runs
    # it, and one that changed none of the counted columns adds nothing (HAVING above).
    """CREATE TRIGGER leads_pipeline_tally_update AFTER UPDATE ON leads_opportunity
    REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT
    EXECUTE FUNCTION leads_pipeline_tally_changed()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS leads_pipeline_tally_insert ON leads_opportunity",
    "DROP TRIGGER IF EXISTS leads_pipeline_tally_delete ON leads_opportunity",
    "DROP TRIGGER IF EXISTS leads_pipeline_tally_update ON leads_opportunity",
    "DROP FUNCTION IF EXISTS leads_pipeline_tally_added()",
    "DROP FUNCTION IF EXISTS leads_pipeline_tally_removed()",
    "DROP FUNCTION IF EXISTS leads_pipeline_tally_changed()",
]

BACKFILL = """
    INSERT INTO leads_pipelinetally
        (owner_id, stage, deals, amount_cents, weighted_cents_percent)
    SELECT owner_id, stage, count(*), sum({cents}), sum({cents} * probability)
    FROM leads_opportunity GROUP BY owner_id, stage
""".format(cents=CENTS.format(row="leads_opportunity"))

FORWARD = {"sqlite": [*SQLITE_FORWARD, BACKFILL], "postgresql": [*POSTGRES_FORWARD, BACKFILL]}
BACKWARD = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}


def run(statements):
    def operation(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0034_lead_search_without_positions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PipelineTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "stage",
                    models.CharField(
                        choices=[
                            ("discovery", "Discovery"),
                            ("demo", "Demo"),
                            ("proposal", "Proposal"),
                            ("negotiation", "Negotiation"),
                            ("won", "Won"),
                            ("lost", "Lost"),
                        ],
                        max_length=12,
                    ),
                ),
                ("deals", models.IntegerField(default=0)),
                ("amount_cents", models.BigIntegerField(default=0)),
                ("weighted_cents_percent", models.BigIntegerField(default=0)),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("owner", "stage"), name="pipeline_tally_owner_stage"
                    )
                ],
            },
        ),
        migrations.RunPython(run(FORWARD), run(BACKWARD)),
    ]
