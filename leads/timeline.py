"""What a lead's or deal's page lists about its past, written in Python: the lead's timeline
(stage changes, notes and activities, form submissions), the rules behind its score, a deal's
stage and amount history and its notes and activities.

Through the template engine each entry cost about 0.25 ms (a date filter alone 60 µs, each
`get_…_display()` a dictionary of the choices built anew), so a lead with four entries and
five scoring rules spent 1.4 of its page's 5.5 ms on them. Here an entry is one
`html_format()` call (crm/html.py), with the markup the templates wrote.
"""

from django.utils.safestring import SafeString
from django.utils.text import normalize_newlines

from crm.html import escape
from crm.html import html_format as format_html
from crm.links import record_urls
from crm.rows import Writer
from crm.templatetags.handoff import day_time, money
from leads.models import REASON_LABELS, Activity, Lead, Opportunity, ScoringRule
from leads.models.leads import handoff_event

KINDS = dict(Activity.Kind.choices)
OUTCOMES = dict(Activity.Outcome.choices)
LEAD_STAGES = dict(Lead.Stage.choices)
DEAL_STAGES = dict(Opportunity.Stage.choices)
RULE_FIELDS = dict(ScoringRule.Field.choices)
RULE_CONDITIONS = dict(ScoringRule.Condition.choices)


def linebreaksbr(text: str) -> SafeString:
    """The `linebreaksbr` filter: the text escaped, each line break a `<br>`."""
    return SafeString(escape(normalize_newlines(text)).replace("\n", "<br>"))


def _truncate(text: str, length: int) -> str:
    """The `truncatechars` filter: at most `length` characters, "…" included."""
    return text if len(text) <= length else text[: length - 1] + "…"


ENTRY = (
    '<li class="mb-3"><div class="small text-body-secondary">'
    '<time datetime="{iso}">{when}</time> · {who}</div>{body}</li>'
)
TRANSITION = (
    '<div><strong>{event}</strong> <span class="text-body-secondary">({before} → {after})</span>'
    "{reason}</div>{detail}{qualification}{converted}"
)
QUALIFICATION = (
    '<div class="small text-body-secondary">Score {score} against a minimum of {least}{sla}'
    "{missing}{matched}.</div>"
)
ACTIVITY = "<div><strong>{kind}</strong>{outcome}{edit}</div><div>{body}</div>"
EDIT_LINKS = (
    ' <span class="small ms-2"><a href="{edit}">Edit</a> · <a href="{delete}">Delete</a></span>'
)
SUBMISSION = "<div><strong>Filled in the form</strong>{utm}</div>{message}{referrer}"
UTM = ' <span class="small">UTM {} / {} / {}</span>'


class _EditLinks:
    """An editable activity's Edit · Delete links."""

    def __init__(self):
        self.edit = record_urls("leads:activity-update")
        self.delete = record_urls("leads:activity-delete")

    def __call__(self, activity) -> str:
        if not getattr(activity, "editable", False):
            return ""
        return format_html(EDIT_LINKS, edit=self.edit(activity.pk), delete=self.delete(activity.pk))


def _qualification(transition) -> str:
    """How a lead met (or was let past) the MQL definition, as its handoff recorded it."""
    facts = transition.qualification
    if transition.to_stage != Lead.Stage.MQL or not facts:
        return ""
    missing = facts.get("missing_fields")
    rules = facts.get("rules")
    return format_html(
        QUALIFICATION,
        score=facts.get("score", ""),
        least=facts.get("min_score", ""),
        sla=f" (SLA v{transition.sla.version})" if transition.sla_id else "",
        missing=f"; missing {', '.join(map(str, missing))}" if missing else "",
        matched=f"; matched: {', '.join(str(r.get('rule', '')) for r in rules)}" if rules else "",
    )


def lead_timeline(timeline, lead) -> list[SafeString]:
    """A lead's timeline, newest first: `timeline` holds (kind, time, record) with kind
    "transition", "activity" or "submission", in the order to show them."""
    write, edit_links = Writer(), _EditLinks()
    opportunity = getattr(lead, "opportunity", None)  # the deal it became, if converted
    entries = []
    for kind, at, item in timeline:
        if kind == "transition":
            who = item.actor_label  # "system" when nobody
            body = format_html(
                TRANSITION,
                event=handoff_event(item.from_stage, item.to_stage),
                before=LEAD_STAGES.get(item.from_stage, item.from_stage),
                after=LEAD_STAGES.get(item.to_stage, item.to_stage),
                reason=f" — {REASON_LABELS.get(item.reason, item.reason)}" if item.reason else "",
                detail=format_html('<div class="small">{}</div>', linebreaksbr(item.detail))
                if item.detail
                else "",
                qualification=_qualification(item),
                converted=format_html(
                    '<div class="small"><a href="{}">Open the opportunity</a></div>',
                    opportunity.get_absolute_url(),
                )
                if item.to_stage == Lead.Stage.CONVERTED and opportunity is not None
                else "",
            )
        elif kind == "activity":
            who = write.person(item.author)
            body = format_html(
                ACTIVITY,
                kind=KINDS.get(item.kind, item.kind),
                outcome=f" — {OUTCOMES.get(item.outcome, item.outcome)}" if item.outcome else "",
                edit=edit_links(item),
                body=linebreaksbr(item.body),
            )
        else:
            who = f"via {item.campaign}"
            utm = (item.utm_source, item.utm_medium, item.utm_campaign)
            body = format_html(
                SUBMISSION,
                utm=format_html(UTM, *(part or "–" for part in utm)) if any(utm) else "",
                message=format_html("<div>{}</div>", linebreaksbr(item.message))
                if item.message
                else "",
                referrer=format_html(
                    '<div class="small text-body-secondary">From {}</div>',
                    _truncate(item.referrer, 80),
                )
                if item.referrer
                else "",
            )
        local = write.local(at)
        entries.append(
            format_html(
                ENTRY, iso=local.isoformat(), when=day_time(local, write.months), who=who, body=body
            )
        )
    return entries


SCORE_ROW = '<tr><td>{field} {condition} “{value}”</td><td class="num">{points}</td></tr>'


def score_rows(breakdown) -> list[SafeString]:
    """The scoring rules a lead meets, (rule, points) pairs: "Job title contains “chief” +30"."""
    return [
        format_html(
            SCORE_ROW,
            field=RULE_FIELDS.get(rule.field, rule.field),
            condition=RULE_CONDITIONS.get(rule.condition, rule.condition),
            value=rule.value,
            points=f"+{points}" if points > 0 else str(points),
        )
        for rule, points in breakdown
    ]


CHANGE = (
    '<li class="mb-1"><span class="small text-body-secondary">{when}</span> — {what} by {who}'
    "{note}</li>"
)


def deal_history(changes) -> list[SafeString]:
    """A deal's stage and amount changes, oldest first: opened, moved, amount changed."""
    write = Writer()
    entries = []
    for change in changes:
        if not change.from_stage:
            what = format_html(
                "Opened in <strong>{}</strong> at {}",
                DEAL_STAGES.get(change.to_stage, change.to_stage),
                money(change.to_amount),
            )
        elif change.from_stage == change.to_stage:
            what = format_html(
                "Amount {} → <strong>{}</strong>",
                money(change.from_amount),
                money(change.to_amount),
            )
        else:
            what = format_html(
                "{} → <strong>{}</strong>",
                DEAL_STAGES.get(change.from_stage, change.from_stage),
                DEAL_STAGES.get(change.to_stage, change.to_stage),
            )
        entries.append(
            format_html(
                CHANGE,
                when=day_time(write.local(change.at), write.months),
                what=what,
                who="system" if change.actor is None else write.person(change.actor),
                note=format_html(' <span class="text-body-secondary">· {}</span>', change.note)
                if change.note
                else "",
            )
        )
    return entries


NOTE = (
    '<li class="mb-2"><span class="small text-body-secondary">{when} · {kind}{outcome} · {who}'
    "</span>{edit}<div>{body}</div></li>"
)


def activity_entries(activities) -> list[SafeString]:
    """A deal's notes and activities, newest first."""
    write, edit_links = Writer(), _EditLinks()
    return [
        format_html(
            NOTE,
            when=day_time(write.local(a.occurred_at), write.months),
            kind=KINDS.get(a.kind, a.kind),
            outcome=f" · {OUTCOMES.get(a.outcome, a.outcome)}" if a.outcome else "",
            who=write.person(a.author),
            edit=edit_links(a),
            body=linebreaksbr(a.body),
        )
        for a in activities
    ]
