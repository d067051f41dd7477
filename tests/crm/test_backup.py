"""`manage.py backup` and `restore`: a seeded database backed up while it serves, restored into
a fresh one, holds the same records and gives the same report figures."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

FUNNEL = "/reports/funnel/?format=csv&period=last_quarter"
SALES = "/reports/sales/?format=csv&period=last_quarter"
# Every model's row count and two reports' CSV figures, printed as JSON.
PROBE = """
import json
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client

client = Client()
client.force_login(get_user_model().objects.get(username="morgan"))
reports = {}
for path in (FUNNEL_PATH, SALES_PATH):
    response = client.get(path)
    reports[path] = b"".join(response.streaming_content).decode()
counts = {m._meta.label: m._default_manager.count() for m in apps.get_models()}
print(json.dumps({"counts": counts, "reports": reports}))
""".replace("FUNNEL_PATH", repr(FUNNEL)).replace("SALES_PATH", repr(SALES))


def _manage(*args, database_url: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**env, "DATABASE_URL": database_url, "DJANGO_ALLOWED_HOSTS": "testserver"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _round_trip(source_url: str, fresh_url: str, backup: Path) -> tuple[dict, dict]:
    _manage("migrate", "-v0", database_url=source_url)
    _manage("seed_demo", "--leads", "300", database_url=source_url)
    _manage("backup", str(backup), database_url=source_url)
    assert backup.stat().st_size > 0
    _manage("restore", str(backup), "--yes", database_url=fresh_url)
    before = json.loads(_manage("shell", "-c", PROBE, database_url=source_url).splitlines()[-1])
    after = json.loads(_manage("shell", "-c", PROBE, database_url=fresh_url).splitlines()[-1])
    return before, after


def _assert_same(before: dict, after: dict) -> None:
    assert before["counts"]["leads.Lead"] >= 300
    assert before["counts"]["leads.LeadTransition"] > 300
    assert after["counts"] == before["counts"]
    assert after["reports"] == before["reports"]
    leads_in_funnel = after["reports"][FUNNEL].splitlines()[1].split(",")[1]
    assert int(leads_in_funnel) > 0  # the figures compared are not all zero


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite round trip")
def test_a_sqlite_backup_restores_into_a_fresh_database(tmp_path):
    before, after = _round_trip(
        f"sqlite:///{tmp_path / 'live.sqlite3'}",
        f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        tmp_path / "handoff-backup.sqlite3",
    )
    _assert_same(before, after)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL round trip")
def test_a_postgresql_backup_restores_into_a_fresh_database(tmp_path):
    settings = connection.settings_dict
    server = {
        "host": settings["HOST"],
        "port": settings["PORT"] or 5432,
        "user": settings["USER"],
        "password": settings["PASSWORD"],
    }
    names = [f"handoff_backup_{uuid.uuid4().hex[:8]}_{role}" for role in ("live", "fresh")]
    auth = f"{server['user']}:{server['password']}@" if server["password"] else f"{server['user']}@"
    urls = [f"postgres://{auth}{server['host']}:{server['port']}/{name}" for name in names]
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            before, after = _round_trip(*urls, tmp_path / "handoff.dump")
        finally:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _assert_same(before, after)


def test_backup_refuses_to_overwrite_and_restore_asks_for_confirmation(tmp_path):
    from django.core.management import CommandError, call_command

    existing = tmp_path / "exists.sqlite3"
    existing.write_bytes(b"")
    with pytest.raises(CommandError, match="nothing is overwritten"):
        call_command("backup", str(existing))
    with pytest.raises(CommandError, match="run again with --yes"):
        call_command("restore", str(existing))
    with pytest.raises(CommandError, match="No backup file"):
        call_command("restore", str(tmp_path / "missing"), "--yes")
