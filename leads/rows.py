"""Table rows of the long lists (all leads, nurture, the handoff log, activities), written in
Python.

A row through the template engine costs about 0.1 ms (fifteen lookups, filters and an
include); fifty of them were a third of a list page. Here a row is one `html_format()` call
(crm/html.py: Django's `format_html()`, every value escaped, without its lazy-string overhead),
at a tenth of the cost. The page templates keep everything else; the
markup of a row is the constant next to its function.
"""

from django.utils.safestring import SafeString

from campaigns.models import Channel
from crm.html import escape
from crm.html import html_format as format_html
from crm.links import record_urls
from crm.rows import DASH, Writer
from crm.templatetags.handoff import (
    day,
    day_month,
    day_time,
    duration,
    money,
    month_names,
    month_year,
    stage_badge,
)
from leads.models import REASON_LABELS, Activity, CompanySize, Lead, Opportunity, Proposal
from leads.models.leads import handoff_event

KINDS = dict(Activity.Kind.choices)
DEAL_TYPES = dict(Opportunity.Type.choices)
OUTCOMES = dict(Activity.Outcome.choices)
CHANNELS = dict(Channel.choices)
SENDABLE = frozenset({Lead.Stage.NEW, Lead.Stage.RECYCLED})


def _truncate(text: str, length: int) -> str:
    """What the `truncatechars` filter does: at most `length` characters, "…" included."""
    return text if len(text) <= length else text[: length - 1] + "…"


# The values a row of the all-leads list reads (and the orders it offers sort by).
LEAD_ROW_FIELDS = (
    "pk",
    "first_name",
    "last_name",
    "email",
    "company",
    "stage",
    "score",
    "created_at",
    "campaign__name",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
)
LEAD_ROW = (
    "<tr><td>{pick}</td>"
    '<td><a href="{url}">{name}</a><div class="small text-body-secondary">{email}</div></td>'
    "<td>{company}</td><td>{campaign}</td><td>{stage}</td>"
    '<td class="num">{score}</td><td>{owner}</td><td>{created}</td></tr>'
)
PICK = (
    '<input class="form-check-input" type="checkbox" name="lead" value="{}" id="pick-{}" '
    'aria-label="Select {}">'
)


def lead_rows(leads) -> list[SafeString]:
    """The all-leads list: a tick box for the leads marketing may send, name and e-mail,
    company, campaign, stage, score, owner and capture date. `leads` are LEAD_ROW_FIELDS
    values (named tuples)."""
    write, url = Writer(), record_urls("leads:lead-detail")
    rows = []
    for lead in leads:
        name = Lead.name_of(lead.first_name, lead.last_name)
        rows.append(
            format_html(
                LEAD_ROW,
                pick=format_html(PICK, lead.pk, lead.pk, name) if lead.stage in SENDABLE else "",
                url=url(lead.pk),
                name=name,
                email=lead.email,
                company=lead.company or DASH,
                campaign=lead.campaign__name or DASH,
                stage=stage_badge(lead.stage),
                score=lead.score,
                owner=write.name(
                    lead.owner__first_name, lead.owner__last_name, lead.owner__username
                ),
                created=day(write.local(lead.created_at), write.months),
            )
        )
    return rows


NURTURE_ROW = (
    '<tr><td><a href="{url}">{name}</a><div class="small text-body-secondary">{company}</div>'
    "</td><td>{campaign}</td><td>{returned}{returned_by}</td><td>{reason}{detail}</td>"
    '<td class="num">{loops}</td><td class="text-end">'
    '<form method="post" action="{send_url}">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
    '<input type="hidden" name="next" value="{here}">'
    '<button type="submit" class="btn btn-sm btn-outline-primary">Re-send'
    '<span class="visually-hidden"> {name}</span></button></form></td></tr>'
)


# What a row of the nurture list reads: values (named tuples), the last return's included.
NURTURE_ROW_FIELDS = (
    "pk",
    "first_name",
    "last_name",
    "company",
    "campaign__name",
    "stage_changed_at",
    "stage_reason",
    "recycle_count",
    "returned_by",
    "returned_detail",
)


def nurture_rows(leads, *, csrf_token: str, here: str) -> list[SafeString]:
    """Leads sales sent back: who, when and why, and a button to re-send each. `leads` are
    NURTURE_ROW_FIELDS values (named tuples)."""
    write, url = Writer(), record_urls("leads:lead-detail")
    send_url = record_urls("leads:lead-send")
    return [
        format_html(
            NURTURE_ROW,
            url=url(lead.pk),
            name=Lead.name_of(lead.first_name, lead.last_name),
            company=lead.company,
            campaign=lead.campaign__name or DASH,
            returned=day(write.local(lead.stage_changed_at), write.months),
            returned_by=format_html(
                '<div class="small text-body-secondary">by {}</div>', lead.returned_by
            )
            if lead.returned_by
            else "",
            reason=REASON_LABELS.get(lead.stage_reason, lead.stage_reason),
            detail=format_html('<div class="small">{}</div>', lead.returned_detail)
            if lead.returned_detail
            else "",
            loops=lead.recycle_count,
            send_url=send_url(lead.pk),
            csrf=csrf_token,
            here=here,
        )
        for lead in leads
    ]


HANDOFF_ROW = (
    '<tr><td class="text-nowrap">{at}</td><td>{event}</td>'
    '<td><a href="{url}">{name}</a><div class="small text-body-secondary">{channel}</div></td>'
    "<td>{campaign}</td><td>{actor}</td><td>{reason}{detail}</td>"
    '<td class="num text-nowrap">{took}</td></tr>'
)


# What a row of the handoff log reads: values (named tuples), not three model instances a row.
HANDOFF_ROW_FIELDS = (
    "pk",
    "at",
    "from_stage",
    "to_stage",
    "reason",
    "detail",
    "took",
    "lead_id",
    "lead__first_name",
    "lead__last_name",
    "lead__channel",
    "lead__campaign__name",
    "actor__first_name",
    "actor__last_name",
    "actor__username",
)


def handoff_rows(transitions) -> list[SafeString]:
    """The handoff log: when, what, which lead, its campaign, by whom, why, how long it took.
    `transitions` are HANDOFF_ROW_FIELDS values (named tuples)."""
    write, url = Writer(), record_urls("leads:lead-detail")
    rows = []
    for t in transitions:
        rows.append(
            format_html(
                HANDOFF_ROW,
                at=day_time(write.local(t.at), write.months),
                event=handoff_event(t.from_stage, t.to_stage),
                url=url(t.lead_id),
                name=Lead.name_of(t.lead__first_name, t.lead__last_name),
                channel=CHANNELS.get(t.lead__channel, t.lead__channel),
                campaign=t.lead__campaign__name or DASH,
                actor=(
                    "system"
                    if t.actor__username is None
                    else write.name(t.actor__first_name, t.actor__last_name, t.actor__username)
                ),
                reason=REASON_LABELS.get(t.reason, t.reason) or DASH,
                detail=format_html(
                    '<div class="small text-body-secondary">{}</div>', _truncate(t.detail, 80)
                )
                if t.detail
                else "",
                took=duration(t.took) if t.took is not None else DASH,
            )
        )
    return rows


ACTIVITY_ROW = (
    '<tr><td class="text-nowrap">{at}</td><td>{kind}{outcome}</td>'
    '<td><a href="{url}">{subject}</a><div class="small text-body-secondary">{on}</div></td>'
    "<td>{author}</td><td>{body}</td></tr>"
)


# What a row of the activity list reads: values (named tuples).
ACTIVITY_ROW_FIELDS = (
    "pk",
    "occurred_at",
    "kind",
    "outcome",
    "body",
    "lead_id",
    "lead__first_name",
    "lead__last_name",
    "opportunity_id",
    "opportunity__name",
    "author__first_name",
    "author__last_name",
    "author__username",
)


def activity_rows(activities) -> list[SafeString]:
    """Notes and activities: when, what kind and outcome, on which lead or deal, by whom.
    `activities` are ACTIVITY_ROW_FIELDS values (named tuples)."""
    write = Writer()
    lead_url = record_urls("leads:lead-detail")
    deal_url = record_urls("leads:opportunity-detail")
    rows = []
    for a in activities:
        if a.lead_id:
            url, on = lead_url(a.lead_id), "Lead"
            subject = Lead.name_of(a.lead__first_name, a.lead__last_name)
        else:
            url, on = deal_url(a.opportunity_id), "Opportunity"
            subject = a.opportunity__name
        rows.append(
            format_html(
                ACTIVITY_ROW,
                at=day_time(write.local(a.occurred_at), write.months),
                kind=KINDS.get(a.kind, a.kind),
                outcome=format_html(
                    '<div class="small text-body-secondary">{}</div>', OUTCOMES.get(a.outcome)
                )
                if a.outcome
                else "",
                url=url,
                subject=subject,
                on=on,
                author=write.name(a.author__first_name, a.author__last_name, a.author__username),
                body=_truncate(a.body, 160),
            )
        )
    return rows


INBOX_ROW = (
    '<tr><td><input class="form-check-input" type="checkbox" name="lead" value="{pk}" '
    'aria-label="Select {name}"></td><td><a href="{url}">{name}</a></td><td>{company}</td>'
    '<td>{title}</td><td>{campaign}</td><td class="num">{score}</td>'
    '<td><time datetime="{mql_iso}">{age}</time></td><td>{sla}</td>{owner}</tr>'
)


# What an inbox row and its due badge need: read as values (named tuples).
INBOX_ROW_FIELDS = (
    "pk",
    "first_name",
    "last_name",
    "company",
    "job_title",
    "campaign__name",
    "score",
    "stage",
    "mql_at",
    "accepted_at",
    "response_due_at",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
)


def inbox_rows(rows, *, show_owner: bool) -> list[SafeString]:
    """The inbox: (lead, due badge) pairs as rows, the badge ("due in 2 h", css) or, for an
    accepted lead, how long ago it was accepted. Leads are INBOX_ROW_FIELDS values."""
    write, url = Writer(), record_urls("leads:lead-detail")
    html = []
    for lead, badge in rows:
        mql_at = write.local(lead.mql_at)
        if badge:
            sla = format_html('<span class="badge {}">{}</span>', badge[1], badge[0])
        elif lead.stage == Lead.Stage.SAL:
            sla = format_html(
                '<span class="small text-body-secondary">accepted {} ago</span>',
                write.since(lead.accepted_at) if lead.accepted_at else "",
            )
        else:
            sla = ""
        owner = ""
        if show_owner:
            owner = format_html(
                "<td>{}</td>",
                "Unassigned"
                if lead.owner__username is None
                else write.name(
                    lead.owner__first_name, lead.owner__last_name, lead.owner__username
                ),
            )
        name = Lead.name_of(lead.first_name, lead.last_name)
        html.append(
            format_html(
                INBOX_ROW,
                pk=lead.pk,
                name=name,
                url=url(lead.pk),
                company=lead.company or DASH,
                title=lead.job_title or DASH,
                campaign=lead.campaign__name or DASH,
                score=lead.score,
                mql_iso=mql_at.isoformat() if mql_at else "",
                age=write.since(lead.mql_at) if lead.mql_at else "",
                sla=sla,
                owner=owner,
            )
        )
    return html


DEAL_ROW = (
    '<tr><td><a href="{url}">{name}</a><div class="small"><a class="link-secondary" '
    'href="{account_url}">{account}</a> · {type}</div></td><td>{stage}</td>'
    '<td class="num">{amount}</td><td class="num">{weighted}</td>'
    '<td class="text-nowrap">{owner}</td><td class="text-nowrap">{close}</td>'
    '<td class="text-nowrap">{closed}</td></tr>'
)


# What a deal-list row shows: read as values (named tuples).
DEAL_ROW_FIELDS = (
    "pk",
    "name",
    "account_id",
    "account__name",
    "type",
    "stage",
    "amount",
    "probability",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "expected_close_date",
    "closed_date",
)


def deal_rows(deals) -> list[SafeString]:
    """The deal list: name and account (each a link) and type, stage, amount and weighted
    amount, owner, expected and actual close. `deals` are DEAL_ROW_FIELDS values."""
    write = Writer()
    url, account_url = record_urls("leads:opportunity-detail"), record_urls("leads:account-detail")
    return [
        format_html(
            DEAL_ROW,
            url=url(deal.pk),
            name=deal.name,
            account_url=account_url(deal.account_id),
            account=deal.account__name,
            type=DEAL_TYPES.get(deal.type, deal.type),
            stage=stage_badge(deal.stage),
            amount=money(deal.amount),
            weighted=money(Opportunity.weighted(deal.amount, deal.probability)),
            owner=write.name(deal.owner__first_name, deal.owner__last_name, deal.owner__username),
            close=day(deal.expected_close_date, write.months),
            closed=day(deal.closed_date, write.months) or DASH,
        )
        for deal in deals
    ]


CARD = (
    '<li class="board-card card mb-2"{drag} data-stage="{stage}"><div class="card-body p-2">'
    '<a class="fw-semibold stretched-link-none" href="{url}">{name}</a>'
    '<div class="small">{account}</div>'
    '<div class="d-flex justify-content-between gap-2 small mt-1">'
    '<span class="fw-semibold">{amount}</span><span class="text-body-secondary">{owner}</span>'
    "</div>"
    '<div class="d-flex justify-content-between gap-2 small text-body-secondary">{close}'
    "<span>{days}</span></div>{moves}</div></li>"
)


def _card_mover(csrf_token: str, here: str, target, *, back: bool):
    """What writes a card's button to the stage before (`back`) or after: `target` is that
    stage's (value, label), or None at either end of the board. What every card of the column
    shares is escaped once; each card adds its move address and name."""
    if target is None:
        return None
    stage, label = target
    fields = format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="stage" value="{}">'
        '<input type="hidden" name="next" value="{}">',
        csrf_token,
        stage,
        here,
    )
    button = "btn-outline-secondary" if back else "btn-outline-primary"
    way = escape(f"{'back to' if back else 'on to'} {label}")
    text = escape(f"← {label}" if back else f"{label} →")

    def write(url: str, name: str, version: int) -> str:
        return (
            f'<form method="post" action="{escape(url)}">{fields}'
            f'<input type="hidden" name="version" value="{int(version)}">'
            f'<button type="submit" class="btn {button} btn-sm py-0" '
            f'aria-label="Move {escape(name)} {way}">{text}</button></form>'
        )

    return write


# What a board card shows: read as values (named tuples).
CARD_FIELDS = (
    "pk",
    "name",
    "stage",
    "version",
    "amount",
    "expected_close_date",
    "stage_changed_at",
    "owner_id",
    "account__name",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
)


def board_cards(
    deals, *, previous, following, user, csrf_token: str, here: str, now, today
) -> SafeString:
    """A pipeline column's cards, as one piece of markup (the template drew them one by one,
    eighty a board, in 0.5 ms): the deal and its account, amount, owner, close date, days in
    the stage, and (for whoever may move it) a button to the stage before and after.
    `deals` are CARD_FIELDS values; `previous` and `following`: those stages' (value, label),
    or None at either end."""
    write, url = Writer(), record_urls("leads:opportunity-detail")
    move_url = record_urls("leads:opportunity-action", action="move")
    back = _card_mover(csrf_token, here, previous, back=True)
    on = _card_mover(csrf_token, here, following, back=False)
    movable = {owner: Opportunity.sales_actor(user, owner) for owner in {d.owner_id for d in deals}}
    cards = []
    for deal in deals:
        days = (now - deal.stage_changed_at).days
        moves = drag = ""
        if movable[deal.owner_id]:
            to = move_url(deal.pk)
            drag = format_html(
                ' draggable="true" data-move-url="{}" data-version="{}"', to, deal.version
            )
            moves = SafeString(
                '<div class="d-flex justify-content-between mt-1">'
                f"{back(to, deal.name, deal.version) if back else '<span></span>'}"
                f"{on(to, deal.name, deal.version) if on else ''}</div>"
            )
        close = deal.expected_close_date
        cards.append(
            format_html(
                CARD,
                drag=drag,
                stage=deal.stage,
                url=url(deal.pk),
                name=deal.name,
                account=deal.account__name,
                amount=money(deal.amount),
                owner=write.name(
                    deal.owner__first_name, deal.owner__last_name, deal.owner__username
                ),
                close=format_html(
                    '<span class="text-danger fw-semibold">Close date passed: {}</span>',
                    day_month(close, write.months),
                )
                if close < today
                else format_html("<span>Closes {}</span>", day(close, write.months)),
                days=f"{days} day{'' if days == 1 else 's'} here",
                moves=moves,
            )
        )
    return SafeString("\n".join(cards))


PROPOSAL_ROW = (
    '<tr><td><a href="{url}">{title}</a><div class="small"><a class="link-secondary" '
    'href="{deal_url}">{deal}</a> · {account}</div></td>'
    '<td class="text-nowrap">{owner}</td>'
    '<td><span class="badge proposal-{state}">{state_label}</span></td>'
    '<td class="text-nowrap">{sent}</td><td class="text-nowrap">{valid_until}</td>'
    '<td class="num">{total}</td></tr>'
)
PROPOSAL_STATES = dict(Proposal.Status.choices)


# What a proposal-list row shows: read as values (named tuples), `state` from with_state().
PROPOSAL_ROW_FIELDS = (
    "pk",
    "title",
    "version",
    "state",
    "sent_at",
    "valid_until",
    "total",
    "opportunity_id",
    "opportunity__name",
    "opportunity__account__name",
    "opportunity__owner__first_name",
    "opportunity__owner__last_name",
    "opportunity__owner__username",
)


def proposal_rows(proposals) -> list[SafeString]:
    """The proposal list: title (a link), its deal (a link) and account, the deal's owner,
    state, sent and valid-until dates and total. `proposals` are PROPOSAL_ROW_FIELDS values."""
    write = Writer()
    url, deal_url = record_urls("leads:proposal-detail"), record_urls("leads:opportunity-detail")
    return [
        format_html(
            PROPOSAL_ROW,
            url=url(proposal.pk),
            title=Proposal.label(proposal.title, proposal.version),
            deal_url=deal_url(proposal.opportunity_id),
            deal=proposal.opportunity__name,
            account=proposal.opportunity__account__name,
            owner=write.name(
                proposal.opportunity__owner__first_name,
                proposal.opportunity__owner__last_name,
                proposal.opportunity__owner__username,
            ),
            state=proposal.state,
            state_label=PROPOSAL_STATES[proposal.state],
            sent=day(write.local(proposal.sent_at), write.months) or DASH,
            valid_until=day(proposal.valid_until, write.months),
            total=money(proposal.total),
        )
        for proposal in proposals
    ]


ACCOUNT_ROW = (
    '<tr><td><a href="{url}">{name}</a>{website}</td><td>{industry}{size}</td>'
    '<td class="num">{contacts}</td><td class="num">{deals}</td>'
    '<td class="num">{won}</td><td class="num">{pipeline}</td>'
    '<td class="text-nowrap">{since}</td></tr>'
)
SIZES = dict(CompanySize.choices)
# What a row of the account list reads: values (named tuples), the list's figures included.
ACCOUNT_ROW_FIELDS = (
    "pk",
    "name",
    "website",
    "industry",
    "company_size",
    "customer_since",
    "contact_count",
    "deal_count",
    "won_revenue",
    "open_pipeline",
)


def account_rows(accounts) -> list[SafeString]:
    """The account list: name (a link) and website, industry and size, contacts, deals, won
    revenue, open pipeline and the month it became a customer. `accounts` are
    ACCOUNT_ROW_FIELDS values (named tuples)."""
    url, months = record_urls("leads:account-detail"), month_names()
    return [
        format_html(
            ACCOUNT_ROW,
            url=url(account.pk),
            name=account.name,
            website=format_html('<div class="small text-body-secondary">{}</div>', account.website)
            if account.website
            else "",
            industry=account.industry or DASH,
            size=format_html(
                '<div class="small text-body-secondary">{} people</div>',
                SIZES.get(account.company_size, account.company_size),
            )
            if account.company_size
            else "",
            contacts=account.contact_count,
            deals=account.deal_count,
            won=money(account.won_revenue),
            pipeline=money(account.open_pipeline),
            since=format_html(
                '<span class="badge text-bg-success">{}</span>',
                month_year(account.customer_since, months),
            )
            if account.customer_since
            else DASH,
        )
        for account in accounts
    ]
