"""Every page needs a login: walk the URLconf so that a new page cannot be forgotten."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from leads.models import ScoringRule
from tests.factories import AccountFactory, CampaignFactory, LeadFactory, OpportunityFactory

# Pages anyone may open; logging out is an action, not a page (tested below).
PUBLIC = {"login", "healthz", "logout", "landing-page", "landing-thanks"}


def _named_patterns(resolver=None, namespace=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # the admin has its own login, tested below
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


@pytest.fixture
def sample_kwargs(db):
    slug = {"slug": CampaignFactory().slug}
    rule = {
        "pk": ScoringRule.objects.create(
            field="job_title", condition="contains", value="x", points=1
        ).pk
    }
    return {
        "campaigns:campaign-detail": slug,
        "campaigns:campaign-update": slug,
        "campaigns:campaign-complete": slug,
        "leads:rule-update": rule,
        "leads:lead-update": {"pk": LeadFactory().pk},
        "leads:import-mapping": {"pk": 1},
        "leads:import-status": {"pk": 1},
        "leads:import-errors": {"pk": 1},
        "leads:lead-send": {"pk": LeadFactory().pk},
        "leads:lead-action": {"pk": LeadFactory().pk, "action": "accept"},
        "leads:lead-activity": {"pk": LeadFactory().pk},
        "leads:opportunity-activity": {"pk": OpportunityFactory().pk},
        "leads:activity-update": {"pk": 1},
        "leads:activity-delete": {"pk": 1},
        "leads:rule-delete": rule,
        "leads:lead-detail": {"pk": LeadFactory().pk},
        "leads:opportunity-detail": {"pk": OpportunityFactory().pk},
        "leads:account-detail": {"pk": AccountFactory().pk},
        "leads:account-update": {"pk": 1},
        "leads:opportunity-update": {"pk": 1},
        "leads:opportunity-action": {"pk": 1, "action": "move"},
        "leads:proposal-create": {"pk": 1},
        "leads:proposal-detail": {"pk": 1},
        "leads:proposal-print": {"pk": 1},
        "leads:proposal-update": {"pk": 1},
        "leads:proposal-action": {"pk": 1, "action": "send"},
        "leads:opportunity-import-mapping": {"pk": 1},
        "leads:opportunity-import-status": {"pk": 1},
        "leads:opportunity-import-errors": {"pk": 1},
        "reports:quota-update": {"pk": 1},
        "reports:quota-delete": {"pk": 1},
    }


def test_every_page_but_login_redirects_anonymous_users_to_login(client, sample_kwargs):
    names = sorted(set(_named_patterns()) - PUBLIC)
    assert len(names) >= 8
    for name in names:
        url = reverse(name, kwargs=sample_kwargs.get(name, {}))
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, f"{method.__name__.upper()} {url}"
            assert response["Location"].startswith("/login/?next="), url


@pytest.mark.django_db
def test_the_admin_asks_anonymous_users_to_log_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_logging_out_when_not_logged_in_just_lands_on_login(client):
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout"))["Location"] == reverse("login")
