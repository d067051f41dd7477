"""An index for a record's audit trail (django-auditlog's table, which indexes its columns one
by one): `LogEntry.objects.get_for_object()` filters on the content type and the object id and
sorts by time. With only the single-column indexes SQLite walked every entry of the model (the
content type's index) and sorted them: 37 ms for one lead's history at 100,000 entries, growing
with the log. With this one SQLite reads the record's entries straight off it (PostgreSQL, with
its statistics, may as well start from auditlog's object id index)."""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS handoff_auditlog_record_idx "
    "ON auditlog_logentry (content_type_id, object_id, timestamp)"
)
DROP = "DROP INDEX IF EXISTS handoff_auditlog_record_idx"


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_role_groups"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]
