"""Signed-out visitors: every page's answer to them is in test_access_matrix.py; here, the
admin and signing out."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_the_admin_asks_anonymous_users_to_log_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_logging_out_when_not_logged_in_just_lands_on_login(client):
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout"))["Location"] == reverse("login")
