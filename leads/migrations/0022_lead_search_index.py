"""The index behind lead search (leads/search.py): trigrams of a lead's name, e-mail and company.

PostgreSQL: the pg_trgm extension (trusted since PostgreSQL 13, so the database owner may
create it) and a GIN index on the upper-cased text. SQLite: an FTS5 table with the trigram
tokenizer (SQLite 3.34 or later), reading its text from the lead table and kept current by
triggers. Neither is a Django model or index: they exist on one engine each.
"""

from django.db import migrations

DOCUMENT = "UPPER(first_name || ' ' || last_name || ' ' || email || ' ' || company)"

POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS lead_search_trgm_idx ON leads_lead USING gin ({DOCUMENT} gin_trgm_ops)",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS lead_search_trgm_idx"]

COLUMNS = "first_name, last_name, email, company"
NEW = "new.first_name, new.last_name, new.email, new.company"
OLD = "old.first_name, old.last_name, old.email, old.company"
SQLITE_FORWARD = [
    f"""CREATE VIRTUAL TABLE leads_lead_search USING fts5(
        {COLUMNS}, content='leads_lead', content_rowid='id', tokenize='trigram')""",
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
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS leads_lead_search_insert",
    "DROP TRIGGER IF EXISTS leads_lead_search_delete",
    "DROP TRIGGER IF EXISTS leads_lead_search_update",
    "DROP TABLE IF EXISTS leads_lead_search",
]


def run(statements):
    def operation(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, []):
            schema_editor.execute(sql)

    return operation


class Migration(migrations.Migration):
    dependencies = [("leads", "0021_lead_list_orders")]

    operations = [
        migrations.RunPython(
            run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
