import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, LeadFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("who", "landing_path", "heading"),
    [
        ("marketer", "/campaigns/", "Campaigns"),
        ("rep", "/inbox/", "Your inbox"),
        ("manager", "/reports/", "at a glance"),
    ],
)
def test_each_role_logs_in_and_lands_on_its_home_page(
    page, live_server, request, who, landing_path, heading
):
    user = request.getfixturevalue(who)
    log_in(page, user.username, PASSWORD)
    expect(page).to_have_url(live_server.url + landing_path)
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    # The user menu says who is signed in and in which role.
    expect(page.get_by_role("navigation", name="Main")).to_contain_text(user.get_full_name())


def test_rep_sees_their_waiting_mql_on_the_inbox(page, rep, sla):
    LeadFactory(
        first_name="Grace",
        last_name="Hopper",
        stage="mql",
        owner=rep,
        response_due_at=timezone.now() + dt.timedelta(days=3),
    )
    log_in(page, rep.username, PASSWORD)
    expect(page.get_by_role("link", name="New MQLs to accept or reject 1")).to_be_visible()
    expect(page.get_by_role("link", name="Grace Hopper")).to_be_visible()
    expect(page.get_by_text("due in")).to_be_visible()


def test_a_wrong_password_shows_an_error_and_stays_on_the_login_page(page, live_server, rep):
    log_in(page, rep.username, "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username")
    expect(page).to_have_url(live_server.url + "/login/")


def test_logging_out_returns_to_the_login_page(page, marketer):
    log_in(page, marketer.username, PASSWORD)
    page.get_by_role("button", name=marketer.get_full_name()).click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to Handoff")).to_be_visible()
