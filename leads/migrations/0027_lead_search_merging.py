"""SQLite's lead search index merges its segments less eagerly while leads are written.

FTS5 merges index segments as soon as four of a size exist (automerge=4): at a million leads
that made indexing an import's rows cost 0.3 ms each, most of an import's time. At 16 the
writes cost a third and queries barely change; `leads.search.tidy()` runs a bounded merge after
each import. The setting is kept in the index itself. Nothing to do on PostgreSQL.
"""

from django.db import migrations


def merge_less_eagerly(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "INSERT INTO leads_lead_search(leads_lead_search, rank) VALUES ('automerge', 16)"
        )


def merge_as_before(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "INSERT INTO leads_lead_search(leads_lead_search, rank) VALUES ('automerge', 4)"
        )


class Migration(migrations.Migration):
    dependencies = [("leads", "0026_deal_indexes")]

    operations = [migrations.RunPython(merge_less_eagerly, merge_as_before)]
