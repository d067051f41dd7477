import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_login_page_renders_a_labelled_form(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'for="id_username"' in html
    assert 'for="id_password"' in html
    assert "csrfmiddlewaretoken" in html


def test_logging_in_sends_the_user_home(client, rep):
    response = client.post(reverse("login"), {"username": "rep", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_a_wrong_password_re_renders_with_an_error(client, rep):
    response = client.post(reverse("login"), {"username": "rep", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_inactive_user_cannot_log_in(client, rep):
    rep.is_active = False
    rep.save()
    response = client.post(reverse("login"), {"username": "rep", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logging_out_takes_a_post_and_returns_to_login(client, rep):
    client.force_login(rep)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_changing_the_password(client, rep):
    client.force_login(rep)
    assert client.get(reverse("password_change")).status_code == 200
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-better-secret-42",
            "new_password2": "a-much-better-secret-42",
        },
    )
    assert response["Location"] == reverse("password_change_done")
    rep.refresh_from_db()
    assert rep.check_password("a-much-better-secret-42")
    assert client.get(reverse("password_change_done")).status_code == 200


def test_a_weak_new_password_is_refused_with_field_errors(client, rep):
    client.force_login(rep)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()


def _log_in(client, username, password, address="203.0.113.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_password_guessing_is_locked_out_with_a_clear_message(client, rep, other_rep, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _log_in(client, "rep", "guess").status_code == 200
    assert _log_in(client, "rep", "guess").status_code == 429  # the fifth locks
    locked = _log_in(client, "rep", PASSWORD)  # even the right password, while locked
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Too many failed log-ins" in page
    assert "locked from your address for 15 minutes" in page
    assert "_auth_user_id" not in client.session
    # The same address may still sign someone else in; the same user from elsewhere too.
    assert _log_in(client, "other_rep", PASSWORD).status_code == 302
    client.logout()
    assert _log_in(client, "rep", PASSWORD, address="198.51.100.9").status_code == 302


def test_the_lock_lifts_after_the_cool_off(client, rep, settings):
    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, "rep", "guess")
    assert _log_in(client, "rep", PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1)
    )
    assert _log_in(client, "rep", PASSWORD).status_code == 302


def test_a_right_password_clears_the_failed_count(client, rep, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _log_in(client, "rep", "guess")
    assert _log_in(client, "rep", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _log_in(client, "rep", "guess")
    assert _log_in(client, "rep", PASSWORD).status_code == 302
