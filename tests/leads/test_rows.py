"""The long lists write their rows in Python (leads/rows.py): every value escaped, every link
and label as the templates wrote them."""

import datetime as dt
import random
import zoneinfo
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince

from crm.rows import Writer
from leads import services
from tests.factories import (
    AccountFactory,
    ActivityFactory,
    CampaignFactory,
    LeadFactory,
    OpportunityFactory,
    ProposalFactory,
)

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


@pytest.fixture
def hostile_lead(rep, marketer, sla):
    campaign = CampaignFactory(name=f"Camp {HOSTILE}")
    lead = LeadFactory(
        first_name=HOSTILE, company=f"Co {HOSTILE}", campaign=campaign, owner=rep, stage="new"
    )
    services.lead_mark_mql(lead=lead, by=marketer)
    ActivityFactory(lead=lead, author=rep, body=f"Said {HOSTILE}")
    return lead


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("manager", "leads:lead-list"),
        ("manager", "leads:handoff-list"),
        ("manager", "leads:activity-list"),
        ("rep", "leads:inbox"),
    ],
)
def test_hostile_text_is_escaped_in_every_row(client, request, hostile_lead, who, url):
    client.force_login(request.getfixturevalue(who))
    html = client.get(reverse(url)).content.decode()
    assert HOSTILE not in html
    assert ESCAPED in html
    assert reverse("leads:lead-detail", args=[hostile_lead.pk]) in html


def test_the_inbox_says_how_long_leads_have_waited_as_timesince_would(client, rep):
    now = timezone.now()
    waited = now - dt.timedelta(days=3, hours=4, minutes=5)
    accepted = now - dt.timedelta(minutes=59, seconds=30)
    LeadFactory(stage="mql", owner=rep, mql_at=waited, response_due_at=now, campaign=None)
    LeadFactory(stage="sal", owner=rep, mql_at=waited, accepted_at=accepted, campaign=None)
    client.force_login(rep)
    html = client.get(reverse("leads:inbox")).content.decode()
    assert f">{timesince(waited)}</time>" in html
    assert timesince(waited) == "3\xa0days, 4\xa0hours"
    html = client.get(reverse("leads:inbox"), {"section": "to-qualify"}).content.decode()
    assert f"accepted {timesince(accepted)} ago</span>" in html
    assert "accepted 59\xa0minutes ago" in html


def test_writer_since_is_timesince_for_any_span():
    write = Writer()
    spans = [0, 59, 60, 3599, 3600, 86_399, 86_400, 40 * 86_400, 400 * 86_400, -600]
    spans += [7 * 86_400, 7 * 86_400 + 3600, 8 * 86_400 + 60, 28 * 86_400 - 1, 28 * 86_400]
    spans += [int(random.Random(i).uniform(0, 30 * 86_400)) for i in range(300)]
    for seconds in spans:
        for micro in (0, 500_000):  # half a second from a minute's end: no minute passes between
            moment = timezone.now() - dt.timedelta(seconds=seconds, microseconds=micro)
            assert write.since(moment) == timesince(moment), seconds
            local = moment.astimezone(zoneinfo.ZoneInfo("America/New_York"))
            assert write.since(local) == timesince(local), seconds


def test_a_lead_row_has_its_tick_box_link_badge_and_date(client, manager):
    lead = LeadFactory(first_name="Ada", last_name="Lovelace", company="", campaign=None)
    client.force_login(manager)
    html = client.get(reverse("leads:lead-list")).content.decode()
    assert f'value="{lead.pk}" id="pick-{lead.pk}" aria-label="Select Ada Lovelace"' in html
    assert f'<a href="/leads/{lead.pk}/">Ada Lovelace</a>' in html
    assert '<span class="badge stage stage-new">New</span>' in html
    assert f"<td>{lead.created_at:%-d %b %Y}</td>" in html
    assert "<td>—</td>" in html  # no company, no campaign


def test_the_nurture_row_re_sends_with_a_token_and_comes_back(client, marketer, rep, sla):
    lead = LeadFactory(owner=rep, stage="new")
    services.lead_mark_mql(lead=lead, by=marketer)
    services.lead_reject(lead=lead, by=rep, reason="not_icp", detail="Too small.")
    client.force_login(marketer)
    url = reverse("leads:nurture")
    html = client.get(url).content.decode()
    assert f'action="{reverse("leads:lead-send", args=[lead.pk])}"' in html
    assert 'name="csrfmiddlewaretoken" value="' in html
    assert f'name="next" value="{url}"' in html
    assert "Too small." in html


def test_a_deal_row_escapes_its_text_and_shows_its_figures(client, manager, rep):
    deal = OpportunityFactory(
        name=f"Deal {HOSTILE}",
        account=AccountFactory(name=f"Acme {HOSTILE}"),
        owner=rep,
        amount=Decimal("12345.60"),
        probability=25,
        type="upsell",
        expected_close_date=dt.date(2026, 12, 4),
    )
    client.force_login(manager)
    html = client.get(reverse("leads:opportunity-list")).content.decode()
    assert HOSTILE not in html
    assert f'<a href="/opportunities/{deal.pk}/">Deal {ESCAPED}</a>' in html
    assert f'href="/accounts/{deal.account_id}/">Acme {ESCAPED}</a> · Upsell' in html
    assert '<span class="badge stage stage-discovery">Discovery</span>' in html
    assert '<td class="num">12,345.60</td><td class="num">3,086.40</td>' in html
    assert '<td class="text-nowrap">4 Dec 2026</td><td class="text-nowrap">—</td>' in html


def test_a_board_card_escapes_its_text_and_moves_only_for_sales(client, rep, marketer):
    deal = OpportunityFactory(
        name=f"Deal {HOSTILE}",
        account=AccountFactory(name=f"Acme {HOSTILE}"),
        owner=rep,
        stage="demo",
        expected_close_date=dt.date(2020, 1, 31),
    )
    client.force_login(rep)
    html = client.get(reverse("leads:pipeline")).content.decode()
    assert HOSTILE not in html
    move = reverse("leads:opportunity-action", args=[deal.pk, "move"])
    assert f'draggable="true" data-move-url="{move}" data-version="1" data-stage="demo">' in html
    assert '<input type="hidden" name="version" value="1">' in html
    assert f'aria-label="Move Deal {ESCAPED} back to Discovery">← Discovery</button>' in html
    assert f'aria-label="Move Deal {ESCAPED} on to Proposal">Proposal →</button>' in html
    assert "Close date passed: 31 Jan" in html
    client.force_login(marketer)  # marketing reads the board; sales moves the deals
    html = client.get(reverse("leads:pipeline")).content.decode()
    assert f"Deal {ESCAPED}" in html
    assert "draggable" not in html


def test_a_proposal_row_escapes_its_text_and_shows_state_dates_and_total(client, manager, rep):
    deal = OpportunityFactory(name=f"Deal {HOSTILE}", owner=rep)
    proposal = ProposalFactory(
        opportunity=deal,
        title=f"Offer {HOSTILE}",
        total=Decimal("1234.50"),
        valid_until=dt.date(2027, 2, 3),
    )
    client.force_login(manager)
    html = client.get(reverse("leads:proposal-list")).content.decode()
    assert HOSTILE not in html
    assert f'<a href="/proposals/{proposal.pk}/">Offer {ESCAPED} (v1)</a>' in html
    assert f'href="/opportunities/{deal.pk}/">Deal {ESCAPED}</a>' in html
    assert '<span class="badge proposal-draft">Draft</span>' in html
    assert '<td class="text-nowrap">—</td><td class="text-nowrap">3 Feb 2027</td>' in html
    assert '<td class="num">1,234.50</td>' in html


def test_an_account_row_shows_its_figures_and_customer_month(client, manager, rep):
    account = AccountFactory(
        name=f"Acme {HOSTILE}", website="https://acme.example", company_size="51-200"
    )
    OpportunityFactory(account=account, owner=rep, amount=Decimal("5000.00"))
    won = OpportunityFactory(account=account, owner=rep, amount=Decimal("7000.00"))
    services.opportunity_close_won(opportunity=won, by=rep)
    client.force_login(manager)
    html = client.get(reverse("leads:account-list")).content.decode()
    assert HOSTILE not in html
    assert f'<a href="/accounts/{account.pk}/">Acme {ESCAPED}</a>' in html
    assert '<div class="small text-body-secondary">https://acme.example</div>' in html
    assert "51–200 people" in html or "51-200 people" in html
    assert '<td class="num">7,000.00</td><td class="num">5,000.00</td>' in html
    today = timezone.localdate()
    assert f'<span class="badge text-bg-success">{today:%b %Y}</span>' in html
