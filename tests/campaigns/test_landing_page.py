import pytest
from django.core.cache import cache
from django.test import Client

from leads.models import FormSubmission, Lead, ScoringRule
from tests.factories import CampaignFactory, LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def campaign(db):
    return CampaignFactory(
        slug="summit", status="active", channel="event", form_headline="Meet us at the summit"
    )


def _answers(**overrides):
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@engine.example",
        "company": "Analytical Engines",
        "job_title": "Head of Research",
        "phone": "+44 20 7946 0958",
        "company_size": "51-200",
        "message": "Please call me.",
        "consent": "on",
        "website": "",
        "utm_source": "linkedin",
        "utm_medium": "paid",
        "utm_campaign": "summit-2026",
        "referrer": "https://www.linkedin.com/feed/",
        "landing_url": "https://crm.example.com/go/summit/?utm_source=linkedin",
    }
    return {**data, **overrides}


def test_the_public_form_needs_no_login_and_carries_the_utm_tags(client, campaign):
    response = client.get(
        "/go/summit/?utm_source=newsletter&utm_medium=email", HTTP_REFERER="https://a.example/"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Meet us at the summit" in html
    assert 'name="utm_source" value="newsletter"' in html
    assert 'name="referrer" value="https://a.example/"' in html
    assert "csrfmiddlewaretoken" in html


def test_a_submission_creates_a_scored_lead_with_its_source_and_touch(client, campaign, sla):
    ScoringRule.objects.create(field="job_title", condition="contains", value="head", points=60)
    response = client.post("/go/summit/", _answers())
    assert response.status_code == 302
    assert response["Location"] == "/go/summit/thanks/"
    lead = Lead.objects.get()
    assert (lead.full_name, lead.email, lead.company) == (
        "Ada Lovelace",
        "ada@engine.example",
        "Analytical Engines",
    )
    assert (lead.campaign, lead.channel, lead.submission_count) == (campaign, "event", 1)
    assert lead.score == 60
    assert lead.stage == Lead.Stage.MQL  # it met the definition: promoted by the system
    submission = FormSubmission.objects.get()
    assert (submission.utm_source, submission.utm_medium, submission.utm_campaign) == (
        "linkedin",
        "paid",
        "summit-2026",
    )
    assert submission.referrer == "https://www.linkedin.com/feed/"
    assert submission.message == "Please call me."
    assert submission.consent is True


def test_a_known_email_becomes_a_new_touch_not_a_duplicate(client, campaign):
    ScoringRule.objects.create(field="submission_count", condition="at_least", value="2", points=15)
    existing = LeadFactory(email="Ada@Engine.example", company="", phone="", score=0, campaign=None)
    client.post("/go/summit/", _answers(email="ADA@engine.EXAMPLE", first_name="Someone else"))
    assert Lead.objects.count() == 1
    existing.refresh_from_db()
    assert existing.first_name != "Someone else"  # what the lead had is kept
    assert existing.company == "Analytical Engines"  # blanks are filled in
    assert existing.submission_count == 1
    client.post("/go/summit/", _answers(email="ada@engine.example"))
    existing.refresh_from_db()
    assert (existing.submission_count, existing.score) == (2, 15)  # rescored
    assert FormSubmission.objects.filter(lead=existing).count() == 2


def test_the_thank_you_page_is_the_same_for_new_and_known_addresses(client, campaign):
    first = client.post("/go/summit/", _answers(), follow=True)
    again = client.post("/go/summit/", _answers(), follow=True)
    assert first.content == again.content
    assert "We have your request" in first.content.decode()


def test_the_honeypot_pretends_success_and_stores_nothing(client, campaign):
    response = client.post("/go/summit/", _answers(website="http://spam.example"))
    assert response["Location"] == "/go/summit/thanks/"
    assert not Lead.objects.exists()
    assert not FormSubmission.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"first_name": "x" * 101}, "first_name"),
        ({"company": "c" * 5000}, "company"),
        ({"phone": "call me maybe"}, "phone"),
        ({"company_size": "gigantic"}, "company_size"),
        ({"consent": ""}, "consent"),
        ({"message": "m" * 2001}, "message"),
        ({"utm_source": "u" * 201}, "utm_source"),
        ({"first_name": "\x00\x01"}, "first_name"),
    ],
)
def test_bad_input_re_renders_with_errors_and_loses_nothing_typed(
    client, campaign, overrides, field
):
    response = client.post("/go/summit/", _answers(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "Please correct the highlighted fields." in response.content.decode()
    if field != "company":
        assert 'value="Analytical Engines"' in response.content.decode()
    assert not Lead.objects.exists()


def test_odd_tracking_values_are_dropped_not_fatal(client, campaign):
    client.post("/go/summit/", _answers(referrer="javascript:alert(1)", landing_url="%%%"))
    submission = FormSubmission.objects.get()
    assert (submission.referrer, submission.landing_url) == ("", "")


def test_the_rate_limit_stops_a_flood_from_one_address(client, campaign, settings):
    settings.LANDING_RATE_LIMIT = 3
    for i in range(3):
        assert client.post("/go/summit/", _answers(email=f"p{i}@x.example")).status_code == 302
    blocked = client.post("/go/summit/", _answers(email="p9@x.example"))
    assert blocked.status_code == 429
    assert "Please wait a few minutes" in blocked.content.decode()
    assert Lead.objects.count() == 3
    other = client.post("/go/summit/", _answers(email="q@x.example"), REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 302  # another address is not blocked


@pytest.mark.parametrize("status", ["paused", "completed"])
def test_a_paused_or_completed_campaign_says_it_is_closed(client, campaign, status):
    campaign.status = status
    campaign.save()
    assert "This offer has closed" in client.get("/go/summit/").content.decode()
    response = client.post("/go/summit/", _answers())
    assert "This offer has closed" in response.content.decode()
    assert not Lead.objects.exists()


def test_an_unknown_campaign_is_a_404(client, db):
    assert client.get("/go/nothing-here/").status_code == 404


def test_the_form_is_protected_against_cross_site_posts(campaign):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/go/summit/", _answers())
    assert response.status_code == 403
    assert "Please send the form again" in response.content.decode()
    assert not Lead.objects.exists()
    page = browser.get("/go/summit/")
    token = page.cookies["csrftoken"].value
    response = browser.post("/go/summit/", {**_answers(), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Lead.objects.count() == 1


def test_other_methods_are_refused(client, campaign):
    assert client.put("/go/summit/").status_code == 405


def test_a_flood_is_held_to_the_limit_and_real_visitors_get_through_after_the_window(
    client, campaign, settings, monkeypatch
):
    """A bot floods the form (some posts filling the honeypot, some not): the limit holds for
    its address, nothing past the limit is stored, a visitor elsewhere is unaffected, and once
    the window has passed the same address may send again."""
    settings.LANDING_RATE_LIMIT, settings.LANDING_RATE_WINDOW = 5, 600
    clock = [1_800_000_000.0]  # the rate limit's clock, moved by hand
    monkeypatch.setattr("crm.ratelimit._clock", lambda: clock[0])
    answers = []
    for i in range(40):
        honeypot = "http://spam.example" if i % 2 else ""
        answers.append(
            client.post(
                "/go/summit/", _answers(email=f"bot{i}@x.example", website=honeypot)
            ).status_code
        )
        clock[0] += 10  # forty posts over 400 seconds: all in one ten-minute window
    assert answers[:5] == [302] * 5
    assert set(answers[5:]) == {429}
    assert Lead.objects.count() == 3  # the limit's five, less the two that filled the honeypot
    elsewhere = client.post("/go/summit/", _answers(email="ada@x.example"), REMOTE_ADDR="10.1.1.1")
    assert elsewhere.status_code == 302
    clock[0] += 600  # the next window
    again = client.post("/go/summit/", _answers(email="grace@x.example"))
    assert again["Location"] == "/go/summit/thanks/"
    assert Lead.objects.filter(email="grace@x.example").exists()
