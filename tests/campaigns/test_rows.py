"""The campaign list writes its rows in Python (campaigns/rows.py), as the templates did."""

import datetime as dt
import re
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


# The campaign page's tables as its template wrote them, the reference for the Python rows.
OLD_SPEND = (
    '{% for entry in spend_entries %}<tr><td>{{ entry.date|date:"j M Y" }}</td>'
    '<td class="num">{{ entry.amount|floatformat:"2g" }}</td><td>{{ entry.note }}</td></tr>'
    "{% endfor %}"
)
OLD_LEADS = (
    "{% for lead in recent_leads %}"
    '<tr><td><a href="{{ lead.get_absolute_url }}">{{ lead.full_name }}</a></td>'
    '<td>{{ lead.company|default:"—" }}</td>'
    '<td>{% include "includes/_stage.html" with stage=lead.stage '
    "label=lead.get_stage_display %}</td>"
    '<td class="num">{{ lead.score }}</td><td>{{ lead.created_at|date:"j M Y" }}</td></tr>'
    "{% endfor %}"
)


def _squeezed(html: str) -> str:
    """The markup without the white space between tags, which the page does not show."""
    return re.sub(r">\s+<", "><", html.strip())


def test_a_campaign_pages_tables_are_what_its_template_wrote():
    from django.template import Context, Template
    from django.utils import timezone

    from campaigns.models import SpendEntry
    from campaigns.rows import (
        RECENT_LEAD_FIELDS,
        SPEND_ENTRY_FIELDS,
        recent_lead_rows,
        spend_rows,
    )
    from leads.models import Lead

    campaign = CampaignFactory()
    SpendEntryFactory(campaign=campaign, amount=Decimal("1234.5"), note=HOSTILE)
    SpendEntryFactory(campaign=campaign, amount=Decimal("0.05"), note="")
    late = timezone.make_aware(dt.datetime(2026, 11, 3, 3, 30), dt.timezone.utc)
    LeadFactory(campaign=campaign, first_name=HOSTILE, company="", stage="mql", created_at=late)
    LeadFactory(campaign=campaign, last_name="O'Brien", company="A & B", stage="sal", score=-5)
    with timezone.override("America/New_York"):  # 3:30 UTC is the day before there
        leads = Lead.objects.filter(campaign=campaign).order_by("-created_at", "-pk")
        entries = SpendEntry.objects.filter(campaign=campaign)
        context = Context({"recent_leads": list(leads), "spend_entries": list(entries)})
        old_leads = Template(OLD_LEADS).render(context)
        old_spend = Template(OLD_SPEND).render(context)
        new_leads = recent_lead_rows(leads.values_list(*RECENT_LEAD_FIELDS, named=True))
        new_spend = spend_rows(entries.values_list(*SPEND_ENTRY_FIELDS, named=True))
    assert _squeezed(new_leads) == _squeezed(old_leads)
    assert new_spend == old_spend
    assert HOSTILE not in new_leads + new_spend
    assert "2 Nov 2026" in new_leads
    assert "1,234.50" in new_spend
