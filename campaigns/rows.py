"""The campaign list's rows, written in Python as the long lead lists are (leads/rows.py)."""

from django.utils.safestring import SafeString

from campaigns.models import Campaign, Channel
from crm.html import html_format as format_html
from crm.links import record_urls
from crm.rows import Writer
from crm.templatetags.handoff import short_day, whole_money

CAMPAIGN_ROW = (
    '<tr><td><a href="{url}">{name}</a></td><td>{channel}</td><td>{status}</td>'
    "<td>{start} – {end}</td>"
    '<td class="num">{budget}</td><td class="num{over_css}">{spend}{over}</td>'
    '<td class="num">{leads}</td><td class="num">{mqls}</td><td>{owner}</td></tr>'
)
CHANNELS = dict(Channel.choices)
STATUSES = dict(Campaign.Status.choices)


def campaign_rows(campaigns) -> list[SafeString]:
    """Name (a link), channel, status, dates, budget, spend (marked when over budget), leads,
    MQLs and owner. `campaigns` carry the list's `spend`, `lead_count` and `mql_count`."""
    write = Writer()
    url = record_urls("campaigns:campaign-detail", by="slug")
    rows = []
    for campaign in campaigns:
        over = campaign.spend > campaign.budget
        rows.append(
            format_html(
                CAMPAIGN_ROW,
                url=url(campaign.slug),
                name=campaign.name,
                channel=CHANNELS.get(campaign.channel, campaign.channel),
                status=STATUSES.get(campaign.status, campaign.status),
                start=short_day(campaign.start_date, write.months),
                end=short_day(campaign.end_date, write.months) or "open",
                budget=whole_money(campaign.budget),
                over_css=" text-danger fw-semibold" if over else "",
                spend=whole_money(campaign.spend),
                over=SafeString('<span class="visually-hidden"> (over budget)</span>')
                if over
                else "",
                leads=f"{campaign.lead_count:,}",
                mqls=f"{campaign.mql_count:,}",
                owner=write.person(campaign.owner),
            )
        )
    return rows
