"""Copy the whole database to a file while the app keeps running.

SQLite: the online backup API (a consistent copy page by page; writers are not stopped).
PostgreSQL: `pg_dump --format=custom`, one consistent snapshot. `manage.py restore` reads
either back.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


def postgres_env(settings: dict) -> dict:
    """libpq's environment for the database `settings` describe (no password on a command
    line, where other users of the machine could read it)."""
    env = dict(os.environ)
    for key, name in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if settings.get(key):
            env[name] = str(settings[key])
    return env


def postgres_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise CommandError(f"{name} is not installed (apt-get install postgresql-client).")
    return found


class Command(BaseCommand):
    help = "Back the database up to a file (SQLite: a database file; PostgreSQL: a pg_dump)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the file to write (refused if it exists)")

    def handle(self, *args, path, **options):
        target = Path(path)
        if target.exists():
            raise CommandError(f"{target} exists: choose a new name, nothing is overwritten.")
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            with sqlite3.connect(target) as copy:
                connection.connection.backup(copy)
            copy.close()
        elif connection.vendor == "postgresql":
            command = [postgres_tool("pg_dump"), "--format=custom", "--no-owner", "-f", target]
            result = subprocess.run(
                command, env=postgres_env(connection.settings_dict), capture_output=True, text=True
            )
            if result.returncode:
                target.unlink(missing_ok=True)
                raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        else:
            raise CommandError(f"No backup for {connection.vendor} databases.")
        self.stdout.write(f"Backed up to {target} ({target.stat().st_size:,} bytes).")
