"""Time pages in-process against the database in DATABASE_URL (for example a seeded one):
median and worst of N requests, and the number of SQL queries, per page.

    DATABASE_URL=sqlite:////tmp/big.sqlite3 python bench/page_timing.py

Not the production setup (issue 7's harness runs gunicorn); a quick look at where time goes.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from campaigns.models import Campaign  # noqa: E402
from leads.models import Account, Lead, Opportunity, Proposal  # noqa: E402

RUNS = int(os.environ.get("RUNS", "10"))


def main() -> None:
    settings.ALLOWED_HOSTS = ["*"]
    users = get_user_model().objects
    campaign = Campaign.objects.order_by("pk").first()
    lead = Lead.objects.filter(stage="converted").order_by("pk").first()
    deal = Opportunity.objects.filter(proposals__isnull=False).order_by("pk").first()
    proposal = Proposal.objects.order_by("pk").first()
    account = Account.objects.order_by("pk").first()
    pages = [
        ("sam", "/inbox/"),
        ("sam", "/inbox/?section=overdue"),
        ("morgan", "/inbox/"),
        ("morgan", "/inbox/?section=at-risk"),
        ("maria", "/leads/"),
        ("maria", "/leads/?q=smith"),
        ("maria", "/leads/nurture/"),
        ("maria", "/campaigns/"),
        ("maria", campaign.get_absolute_url()),
        ("maria", "/handoffs/"),
        ("morgan", lead.get_absolute_url()),
        ("morgan", "/reports/"),
        ("sam", "/pipeline/"),
        ("morgan", "/pipeline/"),
        ("morgan", "/opportunities/"),
        ("morgan", "/opportunities/?stage=all&ordering=-amount"),
        ("morgan", deal.get_absolute_url()),
        ("morgan", "/proposals/"),
        ("morgan", proposal.get_absolute_url()),
        ("morgan", "/accounts/"),
        ("morgan", account.get_absolute_url()),
        ("morgan", "/reports/quotas/"),
        ("morgan", "/reports/sla/"),
        ("morgan", "/reports/funnel/"),
        ("morgan", "/reports/funnel/?period=last_month&split=channel"),
    ]
    print(f"{'page':<40} {'user':<7} {'median ms':>9} {'max ms':>8} {'queries':>7}")
    for username, url in pages:
        client = Client()
        client.force_login(users.get(username=username))
        client.get(url)  # warm up
        times = []
        for _ in range(RUNS):
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(
            f"{url[:40]:<40} {username:<7} {statistics.median(times):>9.0f} "
            f"{max(times):>8.0f} {len(queries):>7}"
        )


if __name__ == "__main__":
    main()
