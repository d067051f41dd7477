"""Time every report page and the SLA page against a big database: the median of N requests
and the number of SQL queries, per page and period.

    python bench/report_timing.py --db /tmp/big.sqlite3 --leads 1000000
    python bench/report_timing.py --db postgres://postgres@127.0.0.1:5432/handoff_bench

The database is seeded with `seed_demo --leads N` when it has no leads yet and reused after
that (a million leads take a while to seed). Requests run in-process through Django's test
client as the demo manager, so the figures are the server's own work without a network; issue
7's harness adds gunicorn on top. Budget (issue 6): under 2 s on SQLite, under 1 s on
PostgreSQL.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    "/reports/",
    "/reports/?period=last_quarter",
    "/reports/sla/",
    "/reports/sla/?month={last_month}",
    "/reports/funnel/",
    "/reports/funnel/?period=last_quarter&split=channel",
    "/reports/campaigns/",
    "/reports/campaigns/?period=last_quarter&by=channel",
    "/reports/lead-response/",
    "/reports/lead-response/?period=last_quarter",
    "/reports/rejections/",
    "/reports/rejections/?period=last_quarter",
    "/reports/sales/",
    "/reports/sales/?period=last_quarter",
    "/reports/pipeline/",
    "/reports/pipeline/?period=last_quarter",
    "/reports/revenue/",
    "/reports/revenue/?period=last_quarter",
    "/reports/revenue/?period=last_quarter&format=csv",
]


def database_url(db: str) -> str:
    return db if "://" in db else f"sqlite:///{Path(db).resolve()}"


def seed_if_empty(url: str, leads: int) -> None:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "1"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
    subprocess.run([*manage, "createcachetable"], env=env, check=True)
    began = time.perf_counter()
    subprocess.run([*manage, "seed_demo", "--if-empty", "--leads", str(leads)], env=env, check=True)
    print(f"seed (skipped when not empty): {time.perf_counter() - began:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="/tmp/handoff-bench.sqlite3", help="file or URL")
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    url = database_url(options.db)
    seed_if_empty(url, options.leads)

    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from leads.models import Lead

    settings.ALLOWED_HOSTS = ["*"]
    last_month = (timezone.localdate().replace(day=1) - timezone.timedelta(days=1)).strftime(
        "%Y-%m"
    )
    client = Client()
    client.force_login(get_user_model().objects.get(username="morgan"))
    if connection.vendor == "postgresql":
        # A bulk load leaves no planner statistics and no visibility map (so no index-only
        # scans) until autovacuum comes round; production tables have both.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(f"{connection.vendor}, {Lead.objects.count():,} leads, median of {options.runs} runs")
    print(f"{'page':<58} {'median ms':>9} {'max ms':>8} {'queries':>7}")
    for page in PAGES:
        url = page.format(last_month=last_month)
        client.get(url)  # warm up
        times = []
        for _ in range(options.runs):
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                response = client.get(url)
                if response.streaming:
                    b"".join(response.streaming_content)
                times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(
            f"{url[:58]:<58} {statistics.median(times):>9.0f} {max(times):>8.0f} {len(queries):>7}"
        )


if __name__ == "__main__":
    main()
