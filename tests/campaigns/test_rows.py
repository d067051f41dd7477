"""The campaign list writes its rows in Python (campaigns/rows.py), as the templates did."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import CampaignFactory, LeadFactory, SpendEntryFactory

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


def test_a_campaign_row_escapes_its_name_and_marks_overspend(client, marketer):
    campaign = CampaignFactory(
        name=f"Launch {HOSTILE}",
        slug="launch",
        budget=Decimal("1000.00"),
        start_date=dt.date(2026, 3, 2),
        end_date=None,
        owner=marketer,
    )
    SpendEntryFactory(campaign=campaign, amount=Decimal("1200.50"))
    LeadFactory.create_batch(3, campaign=campaign, stage="new")
    client.force_login(marketer)
    html = client.get(reverse("campaigns:campaign-list")).content.decode()
    assert HOSTILE not in html
    assert f'<a href="/campaigns/launch/">Launch {ESCAPED}</a>' in html
    assert "<td>Webinar</td><td>Active</td><td>2 Mar 26 – open</td>" in html
    assert '<td class="num">1,000</td>' in html
    assert (
        '<td class="num text-danger fw-semibold">1,201'
        '<span class="visually-hidden"> (over budget)</span></td>'
    ) in html  # 1,200.50 rounds half up, as floatformat did
    assert '<td class="num">3</td><td class="num">0</td>' in html
