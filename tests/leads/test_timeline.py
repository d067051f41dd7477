"""A lead's timeline and score rules, a deal's stage history and activities are written in
Python (leads/timeline.py): the same markup the templates wrote, every value escaped. Each test
renders the template markup these replaced, kept here as the reference, and compares."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone

from leads import services
from leads.models import FormSubmission, LeadTransition, OpportunityStageChange
from leads.timeline import activity_entries, deal_history, lead_timeline, score_rows
from leads.views.common import with_edit_rights
from tests.factories import (
    ActivityFactory,
    CampaignFactory,
    LeadFactory,
    OpportunityFactory,
    ScoringRuleFactory,
)

pytestmark = pytest.mark.django_db

HOSTILE = '<b>"x" & y</b>'

TIMELINE = """{% load handoff %}{% for kind, at, item in timeline %}
<li class="mb-3">
  <div class="small text-body-secondary"><time datetime="{{ at|date:'c' }}">{{ at|date:"j M Y H:i" }}</time>
    {% if kind == "transition" %}· {{ item.actor_label }}{% elif kind == "activity" %}· {{ item.author|person }}{% else %}· via {{ item.campaign }}{% endif %}</div>
  {% if kind == "transition" %}
    <div><strong>{{ item.event }}</strong> <span class="text-body-secondary">({{ item.get_from_stage_display }} → {{ item.get_to_stage_display }})</span>{% if item.reason %} — {{ item.reason_label }}{% endif %}</div>
    {% if item.detail %}<div class="small">{{ item.detail|linebreaksbr }}</div>{% endif %}
    {% if item.to_stage == "mql" and item.qualification %}
    <div class="small text-body-secondary">Score {{ item.qualification.score }} against a minimum of {{ item.qualification.min_score }}{% if item.sla %} (SLA v{{ item.sla.version }}){% endif %}{% if item.qualification.missing_fields %}; missing {{ item.qualification.missing_fields|join:", " }}{% endif %}{% if item.qualification.rules %}; matched: {% for r in item.qualification.rules %}{{ r.rule }}{% if not forloop.last %}, {% endif %}{% endfor %}{% endif %}.</div>
    {% endif %}
    {% if item.to_stage == "converted" and lead.opportunity %}<div class="small"><a href="{{ lead.opportunity.get_absolute_url }}">Open the opportunity</a></div>{% endif %}
  {% elif kind == "activity" %}
    <div><strong>{{ item.get_kind_display }}</strong>{% if item.outcome %} — {{ item.get_outcome_display }}{% endif %}
      {% if item.editable %}<span class="small ms-2"><a href="{% url 'leads:activity-update' item.pk %}">Edit</a> · <a href="{% url 'leads:activity-delete' item.pk %}">Delete</a></span>{% endif %}</div>
    <div>{{ item.body|linebreaksbr }}</div>
  {% else %}
    <div><strong>Filled in the form</strong>{% if item.utm_source or item.utm_medium or item.utm_campaign %} <span class="small">UTM {{ item.utm_source|default:"–" }} / {{ item.utm_medium|default:"–" }} / {{ item.utm_campaign|default:"–" }}</span>{% endif %}</div>
    {% if item.message %}<div>{{ item.message|linebreaksbr }}</div>{% endif %}
    {% if item.referrer %}<div class="small text-body-secondary">From {{ item.referrer|truncatechars:80 }}</div>{% endif %}
  {% endif %}
</li>
{% endfor %}"""  # noqa: E501

SCORES = """{% for rule, points in score_breakdown %}<tr><td>{{ rule.get_field_display }} {{ rule.get_condition_display }} “{{ rule.value }}”</td><td class="num">{% if points > 0 %}+{% endif %}{{ points }}</td></tr>{% endfor %}"""  # noqa: E501

HISTORY = """{% load handoff %}{% for change in stage_changes %}
<li class="mb-1"><span class="small text-body-secondary">{{ change.at|date:"j M Y H:i" }}</span> —
  {% if not change.from_stage %}Opened in <strong>{{ change.get_to_stage_display }}</strong> at {{ change.to_amount|floatformat:"2g" }}
  {% elif change.from_stage == change.to_stage %}Amount {{ change.from_amount|floatformat:"2g" }} → <strong>{{ change.to_amount|floatformat:"2g" }}</strong>
  {% else %}{{ change.get_from_stage_display }} → <strong>{{ change.get_to_stage_display }}</strong>{% endif %}
  by {{ change.actor|person:"system" }}{% if change.note %} <span class="text-body-secondary">· {{ change.note }}</span>{% endif %}</li>
{% endfor %}"""  # noqa: E501

ACTIVITIES = """{% load handoff %}{% for a in activities %}
<li class="mb-2">
  <span class="small text-body-secondary">{{ a.occurred_at|date:"j M Y H:i" }} · {{ a.get_kind_display }}{% if a.outcome %} · {{ a.get_outcome_display }}{% endif %} · {{ a.author|person }}</span>
  {% if a.editable %}<span class="small ms-2"><a href="{% url 'leads:activity-update' a.pk %}">Edit</a> · <a href="{% url 'leads:activity-delete' a.pk %}">Delete</a></span>{% endif %}
  <div>{{ a.body|linebreaksbr }}</div>
</li>
{% endfor %}"""  # noqa: E501


def squeezed(html: str) -> str:
    """The markup without the layout whitespace between tags, which a browser ignores."""
    return re.sub(r"\s+", " ", re.sub(r"\s+<", "<", re.sub(r">\s+", ">", html))).strip()


def reference(template: str, **context) -> str:
    return squeezed(Template(template).render(Context(context)))


def written(entries) -> str:
    return squeezed("".join(entries))


@pytest.fixture(autouse=True)
def paris():
    """Times are shown in the active time zone, whatever the server's."""
    with timezone.override("Europe/Paris"):
        yield


@pytest.fixture
def converted_lead(sla, marketer, rep):
    """A lead with every kind of timeline entry: sent to sales, accepted, qualified with a note,
    converted, and an earlier pass let through short of the definition; an editable call and an
    old note; two form submissions."""
    ScoringRuleFactory(field="job_title", condition="contains", value="chief", points=30)
    campaign = CampaignFactory(name=f"Spring {HOSTILE}")
    lead = LeadFactory(
        company=f"Acme {HOSTILE}", job_title="Chief buyer", campaign=campaign, stage="new"
    )
    services.lead_mark_mql(lead=lead, by=marketer, justification=f"Asked for a demo {HOSTILE}")
    services.lead_accept(lead=lead, by=rep)
    services.lead_qualify(lead=lead, by=rep, detail=f"Budget: 40k\r\nAuthority: {HOSTILE}")
    services.lead_convert(
        lead=lead,
        by=rep,
        opportunity_name="Acme — new business",
        amount="12000",
        expected_close_date=timezone.localdate() + dt.timedelta(days=30),
    )
    ActivityFactory(lead=lead, author=rep, kind="call", outcome="no_answer", body=f"1\n2 {HOSTILE}")
    ActivityFactory(
        lead=lead, author=rep, body="Old", created_at=timezone.now() - dt.timedelta(days=30)
    )
    FormSubmission.objects.create(
        lead=lead,
        campaign=campaign,
        message=f"Call me\nafter 5 {HOSTILE}",
        utm_source="news",
        utm_campaign=HOSTILE,
        referrer="https://example.com/" + "a" * 100,
    )
    FormSubmission.objects.create(lead=lead, campaign=campaign)
    LeadTransition.objects.create(  # an earlier pass, let through short of the definition
        lead=lead,
        from_stage="recycled",
        to_stage="mql",
        actor=marketer,
        at=timezone.now() - dt.timedelta(days=60),
        reason="bad_timing",
        qualification={"score": 10, "min_score": 50, "missing_fields": ["phone", HOSTILE]},
    )
    return lead


def test_the_lead_timeline_is_what_the_template_wrote(client, rep, converted_lead):
    client.force_login(rep)
    response = client.get(converted_lead.get_absolute_url())
    timeline, lead = response.context["timeline"], response.context["lead"]
    kinds = sorted({kind for kind, _, _ in timeline})
    assert kinds == ["activity", "submission", "transition"]
    assert sum(1 for _, _, item in timeline if getattr(item, "editable", False)) == 1
    expected = reference(TIMELINE, timeline=timeline, lead=lead)
    assert written(lead_timeline(timeline, lead)) == expected
    assert expected in squeezed(response.content.decode())
    for piece in ("Open the opportunity", "; missing", "(SLA v", "UTM news / – /", "<br>"):
        assert piece in expected
    assert HOSTILE not in expected
    assert "&lt;b&gt;&quot;x&quot; &amp; y&lt;/b&gt;" in expected


def test_the_score_rules_are_what_the_template_wrote(client, rep, converted_lead):
    ScoringRuleFactory(field="company", condition="contains", value=HOSTILE, points=-5)
    client.force_login(rep)
    response = client.get(converted_lead.get_absolute_url())
    breakdown = response.context["score_breakdown"]
    assert sorted(points for _, points in breakdown) == [-5, 30]
    expected = reference(SCORES, score_breakdown=breakdown)
    assert written(score_rows(breakdown)) == expected
    assert expected in squeezed(response.content.decode())


def test_the_deal_history_and_activities_are_what_the_templates_wrote(client, rep, manager):
    deal = OpportunityFactory(owner=rep, amount=Decimal("12345.50"), name=HOSTILE)
    OpportunityStageChange.objects.create(
        opportunity=deal, from_stage="", to_stage="discovery", to_amount=Decimal("12345.50")
    )
    services.opportunity_move(opportunity=deal, stage="proposal", by=rep, note=f"Sent {HOSTILE}")
    OpportunityStageChange.objects.create(
        opportunity=deal,
        from_stage="proposal",
        to_stage="proposal",
        from_amount=Decimal("12345.50"),
        to_amount=Decimal("1234567.05"),
        actor=manager,
    )
    ActivityFactory(
        lead=None, opportunity=deal, author=rep, kind="meeting", outcome="held", body=HOSTILE
    )
    ActivityFactory(lead=None, opportunity=deal, author=manager, body="A\nB")
    client.force_login(rep)
    response = client.get(deal.get_absolute_url())
    html = squeezed(response.content.decode())

    changes = list(deal.stage_changes.select_related("actor").order_by("at", "pk"))
    assert len(changes) == 3
    expected = reference(HISTORY, stage_changes=changes)
    assert written(deal_history(changes)) == expected
    assert expected in html
    assert "1,234,567.05" in expected

    activities = with_edit_rights(deal.activities.select_related("author"), rep)
    assert [a.editable for a in activities].count(True) == 1
    expected = reference(ACTIVITIES, activities=activities)
    assert written(activity_entries(activities)) == expected
    assert expected in html
