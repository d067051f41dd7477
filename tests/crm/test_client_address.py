"""Which address a request came from: what the landing form's rate limit and the login throttle
count by. Behind proxies only the hops they added are believed."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from crm.ratelimit import client_ip
from tests.factories import PASSWORD


def _request(forwarded=None, remote="10.0.0.2"):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


@pytest.mark.parametrize("count", [0, 1])
def test_no_address_is_none_not_a_made_up_one(settings, count):
    settings.HANDOFF_PROXY_COUNT = count
    assert client_ip(_request(remote="")) is None  # a UNIX socket


@pytest.mark.django_db
def test_a_sign_in_made_in_code_is_logged_without_an_address(client, rep):
    from axes.models import AccessLog

    client.force_login(rep)  # its request has no address; PostgreSQL refuses a made-up one
    assert AccessLog.objects.get(username="rep").ip_address is None


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "10.0.0.2"),  # no proxy: a client's header is ignored
        (0, None, "10.0.0.2"),
        (1, "203.0.113.7", "203.0.113.7"),  # the proxy appended the client
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # what the client wrote is not believed
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.9", "203.0.113.7"),  # two proxies
        (2, "203.0.113.7", "10.0.0.2"),  # fewer hops than proxies: the connection's address
        (1, "not-an-address", "10.0.0.2"),
        (1, "2001:db8::1", "2001:db8::1"),
        (1, None, "10.0.0.2"),
    ],
)
def test_the_client_is_the_address_the_outermost_proxy_saw(settings, count, forwarded, expected):
    settings.HANDOFF_PROXY_COUNT = count
    assert client_ip(_request(forwarded)) == expected


@pytest.mark.django_db
def test_behind_a_proxy_visitors_are_limited_each_by_their_own_address(client, settings):
    from campaigns.models import Campaign
    from leads.models import Lead
    from tests.factories import CampaignFactory

    settings.HANDOFF_PROXY_COUNT = 1
    settings.LANDING_RATE_LIMIT = 2
    CampaignFactory(slug="summit", status=Campaign.Status.ACTIVE)

    def post(n, visitor):
        answers = {"email": f"v{n}@x.example", "first_name": "Vi", "last_name": "Sitor"}
        answers |= {"company": "Acme", "job_title": "CTO", "company_size": "51-200"}
        answers |= {"consent": "on", "website": ""}
        return client.post("/go/summit/", answers, HTTP_X_FORWARDED_FOR=visitor).status_code

    assert [post(n, "203.0.113.7") for n in range(3)] == [302, 302, 429]
    # Another visitor behind the same proxy (same REMOTE_ADDR) is not caught by the first's limit.
    assert post(9, "198.51.100.9") == 302
    assert Lead.objects.count() == 3


@pytest.mark.django_db
def test_behind_a_proxy_password_guessing_locks_the_guessers_address_only(client, rep, settings):
    settings.HANDOFF_PROXY_COUNT = 1

    def log_in(password, visitor):
        data = {"username": "rep", "password": password}
        return client.post(reverse("login"), data, HTTP_X_FORWARDED_FOR=visitor).status_code

    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in("guess", "203.0.113.7")
    assert log_in(PASSWORD, "203.0.113.7") == 429
    assert log_in(PASSWORD, "198.51.100.9") == 302  # the rep, from their own address
