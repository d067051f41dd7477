import pytest
from django.urls import reverse

from leads import scoring, services
from leads.models import Lead, LeadTransition, ScoringRule
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def rule(field, condition, value, points, **kwargs):
    return ScoringRule.objects.create(
        field=field, condition=condition, value=value, points=points, **kwargs
    )


@pytest.fixture
def rules(db):
    return [
        rule("job_title", "contains", "head of", 20),
        rule("job_title", "in_list", "CEO, CTO , Founder", 25),
        rule("job_title", "equals", "student", -40),
        rule("company_size", "at_least", "201-1000", 15),
        rule("company_size", "in_list", "1-10", -5),
        rule("channel", "in_list", "webinar, event", 10),
        rule("country", "equals", "germany", 5),
        rule("submission_count", "at_least", "2", 10),
        rule("email", "contains", "@gmail.", -10),
        rule("industry", "equals", "Software", 100, is_active=False),
    ]


LEADS = [
    {
        "job_title": "Head of Sales",
        "company_size": "5001+",
        "channel": "webinar",
        "country": "Germany",
    },
    {"job_title": "cto", "company_size": "1-10", "email": "x@gmail.com", "submission_count": 3},
    {"job_title": "Student", "company_size": "", "channel": "email", "country": "France"},
    {"job_title": "", "company_size": "51-200", "channel": "", "industry": "Software"},
]
EXPECTED = [20 + 15 + 10 + 5, 25 - 5 + 10 - 10, -40, 0]


def test_python_scores_follow_the_rules(rules):
    active = scoring.active_rules()
    for fields, expected in zip(LEADS, EXPECTED, strict=True):
        lead = LeadFactory.build(campaign=None, **{"email": "a@b.example", **fields})
        assert scoring.score(lead, active) == expected, fields


def test_the_database_scores_exactly_like_python(rules):
    for i, fields in enumerate(LEADS):
        LeadFactory(campaign=None, score=999, **{"email": f"lead{i}@corp.example", **fields})
    services.leads_rescore_all()
    active = scoring.active_rules()
    for lead in Lead.objects.order_by("pk"):
        assert lead.score == scoring.score(lead, active)
    assert sorted(Lead.objects.values_list("score", flat=True)) == sorted(EXPECTED)


def test_no_rules_scores_everyone_zero(db):
    LeadFactory(score=70)
    services.leads_rescore_all()
    assert Lead.objects.get().score == 0


def test_rescoring_promotes_new_leads_that_now_qualify_in_bulk(sla, django_assert_max_num_queries):
    rule("job_title", "contains", "head", 60)
    heads = LeadFactory.create_batch(30, job_title="Head of IT", score=0, campaign=None)
    LeadFactory.create_batch(5, job_title="Intern", score=0, campaign=None)
    LeadFactory(job_title="Head of Data", company="", score=0, campaign=None)  # no company
    already = LeadFactory(job_title="Head of Ops", stage=Lead.Stage.SAL, campaign=None)
    with django_assert_max_num_queries(12):
        promoted = services.leads_rescore_all()
    assert promoted == 30
    assert set(Lead.objects.filter(stage=Lead.Stage.MQL)) == set(heads)
    transition = LeadTransition.objects.filter(lead=heads[0]).get()
    assert transition.actor is None
    assert transition.sla == sla
    heads[0].refresh_from_db()
    assert transition.due_at == heads[0].response_due_at is not None
    assert transition.qualification["rules"] == [
        {"rule": "Job title contains “head”: +60", "points": 60}
    ]
    already.refresh_from_db()
    assert already.stage == Lead.Stage.SAL
    assert services.leads_rescore_all() == 0  # nothing left to promote


def test_rescoring_one_lead_promotes_it_when_it_qualifies(sla):
    rule("job_title", "contains", "vp", 55)
    lead = LeadFactory(job_title="VP Sales", score=0)
    services.lead_rescore(lead=lead)
    assert (lead.score, lead.stage) == (55, Lead.Stage.MQL)


# --- Rule pages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("marketer", 200), ("manager", 200), ("rep", 403), ("outsider", 403)]
)
def test_rule_pages_are_for_marketing(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("leads:rule-list")).status_code == status
    assert client.get(reverse("leads:rule-create")).status_code == status


def test_adding_a_rule_rescores_and_reports_the_promotions(client, marketer, sla):
    LeadFactory.create_batch(3, job_title="Chief Revenue Officer", score=0, campaign=None)
    client.force_login(marketer)
    response = client.post(
        reverse("leads:rule-create"),
        {
            "field": "job_title",
            "condition": "contains",
            "value": "Chief",
            "points": "50",
            "is_active": "on",
        },
        follow=True,
    )
    assert "every lead was rescored. 3 new leads became MQLs." in response.content.decode()
    assert ScoringRule.objects.get().created_by == marketer
    assert Lead.objects.filter(stage=Lead.Stage.MQL, score=50).count() == 3


def test_editing_and_deleting_a_rule_rescore(client, marketer):
    existing = rule("country", "equals", "Spain", 10)
    lead = LeadFactory(country="Spain", score=0, campaign=None)
    client.force_login(marketer)
    client.post(
        reverse("leads:rule-update", args=[existing.pk]),
        {
            "field": "country",
            "condition": "equals",
            "value": "Spain",
            "points": "7",
            "is_active": "on",
        },
    )
    lead.refresh_from_db()
    assert lead.score == 7
    assert client.get(reverse("leads:rule-delete", args=[existing.pk])).status_code == 200
    client.post(reverse("leads:rule-delete", args=[existing.pk]))
    lead.refresh_from_db()
    assert lead.score == 0
    assert not ScoringRule.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"field": "job_title", "condition": "at_least", "value": "5"},
            "condition",
            "compares numbers",
        ),
        (
            {"field": "submission_count", "condition": "at_least", "value": "two"},
            "value",
            "whole numbers",
        ),
        (
            {"field": "submission_count", "condition": "equals", "value": "²"},
            "value",
            "whole numbers",
        ),
        (
            {"field": "submission_count", "condition": "in_list", "value": "2, " + "9" * 25},
            "value",
            "at most 1,000,000",
        ),
        (
            {"field": "company_size", "condition": "at_least", "value": "huge"},
            "value",
            "Company sizes are",
        ),
        (
            {"field": "channel", "condition": "equals", "value": "billboard"},
            "value",
            "not a channel",
        ),
        ({"field": "job_title", "condition": "in_list", "value": " , ,"}, "value", "at least one"),
        ({"field": "job_title", "condition": "equals", "value": "x", "points": "5000"}, None, ""),
    ],
)
def test_bad_rules_are_refused_with_a_message(client, marketer, data, field, message):
    client.force_login(marketer)
    response = client.post(reverse("leads:rule-create"), {"points": "5", **data})
    assert response.status_code == 200
    assert not ScoringRule.objects.exists()
    if field:
        assert message in " ".join(response.context["form"].errors[field])


def test_rule_values_are_normalised(client, marketer):
    client.force_login(marketer)
    client.post(
        reverse("leads:rule-create"),
        {
            "field": "channel",
            "condition": "in_list",
            "value": "Webinar, paid_search",
            "points": "5",
        },
    )
    assert ScoringRule.objects.get().value == "webinar, paid_search"
    client.post(
        reverse("leads:rule-create"),
        {"field": "submission_count", "condition": "in_list", "value": "١٢, 03", "points": "5"},
    )
    assert ScoringRule.objects.get(field="submission_count").value == "12, 3"


def test_the_lead_page_shows_the_score_breakdown(client, marketer):
    rule("job_title", "contains", "head", 20)
    rule("country", "equals", "Japan", 99)
    lead = LeadFactory(job_title="Head of IT", country="Spain", score=20)
    client.force_login(marketer)
    response = client.get(lead.get_absolute_url())
    assert [points for _, points in response.context["score_breakdown"]] == [20]
    assert "Why it scores 20" in response.content.decode()


def test_rule_list_query_count_is_flat(client, marketer, django_assert_max_num_queries):
    for i in range(40):
        rule("job_title", "contains", f"title {i}", i)
    client.force_login(marketer)
    with django_assert_max_num_queries(5):
        assert client.get(reverse("leads:rule-list")).status_code == 200
