"""Put a `manage.py backup` file back into the configured database, replacing what it holds.

SQLite: the backup's pages are copied into the database through the online backup API.
PostgreSQL: `pg_restore --clean --if-exists` into the configured database. Stop the app
servers first; `--yes` confirms that the database's current contents go.
"""

import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from crm.management.commands.backup import postgres_env, postgres_tool


class Command(BaseCommand):
    help = "Restore a backup file made by `manage.py backup`, replacing the database's contents."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the backup file")
        parser.add_argument(
            "--yes", action="store_true", help="replace the database's contents without asking"
        )

    def handle(self, *args, path, yes, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"No backup file at {source}.")
        name = connection.settings_dict["NAME"]
        if not yes:
            raise CommandError(f"This replaces everything in {name}: run again with --yes.")
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            try:
                with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as backup:
                    backup.execute("PRAGMA schema_version").fetchone()  # is it a database?
                    backup.backup(connection.connection)
            except sqlite3.DatabaseError as e:
                raise CommandError(f"{source} is not a SQLite backup: {e}") from e
        elif connection.vendor == "postgresql":
            connection.close()  # pg_restore drops what this connection may hold
            command = [
                postgres_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "-d",
                name,
                source,
            ]
            result = subprocess.run(
                command, env=postgres_env(connection.settings_dict), capture_output=True, text=True
            )
            if result.returncode:
                raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
        else:
            raise CommandError(f"No restore for {connection.vendor} databases.")
        self.stdout.write(f"Restored {name} from {source}.")
