"""SQLite's lead search index keeps which leads hold a trigram, not where in them.

With positions (`detail=full`) the index was 300 MB at a million leads, and an import of
100,000 leads spent a third of its time writing it. Without them (`detail=none`, and no column
sizes, which only ranking reads) it is 58 MB and is written in about a third of the time; a
search asks it for the leads holding every trigram of the words, then checks those leads for
the whole words (leads/search.py). The table is rebuilt from the lead table (about 10 s a
million leads). Nothing to do on PostgreSQL.
"""

from django.db import migrations

COLUMNS = "first_name, last_name, email, company"
NEW = "new.first_name, new.last_name, new.email, new.company"
OLD = "old.first_name, old.last_name, old.email, old.company"
TRIGGERS = ("insert", "delete", "update")


def create(options: str) -> list[str]:
    return [
        *(f"DROP TRIGGER IF EXISTS leads_lead_search_{name}" for name in TRIGGERS),
        "DROP TABLE IF EXISTS leads_lead_search",
        f"""CREATE VIRTUAL TABLE leads_lead_search USING fts5(
            {COLUMNS}, content='leads_lead', content_rowid='id', tokenize='trigram'{options})""",
        f"""CREATE TRIGGER leads_lead_search_insert AFTER INSERT ON leads_lead BEGIN
            INSERT INTO leads_lead_search(rowid, {COLUMNS}) VALUES (new.id, {NEW});
        END""",
        f"""CREATE TRIGGER leads_lead_search_delete AFTER DELETE ON leads_lead BEGIN
            INSERT INTO leads_lead_search(leads_lead_search, rowid, {COLUMNS})
            VALUES ('delete', old.id, {OLD});
        END""",
        f"""CREATE TRIGGER leads_lead_search_update AFTER UPDATE OF {COLUMNS} ON leads_lead BEGIN
            INSERT INTO leads_lead_search(leads_lead_search, rowid, {COLUMNS})
            VALUES ('delete', old.id, {OLD});
            INSERT INTO leads_lead_search(rowid, {COLUMNS}) VALUES (new.id, {NEW});
        END""",
        "INSERT INTO leads_lead_search(leads_lead_search) VALUES ('rebuild')",
        # As migration 0027 set it: merge segments when sixteen of a size exist.
        "INSERT INTO leads_lead_search(leads_lead_search, rank) VALUES ('automerge', 16)",
    ]


def on_sqlite(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql)

    return operation


class Migration(migrations.Migration):
    dependencies = [("leads", "0033_proposal_list_covering_index")]

    operations = [
        migrations.RunPython(
            on_sqlite(create(", detail=none, columnsize=0")), on_sqlite(create(""))
        )
    ]
