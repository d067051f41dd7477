"""The authentication backend reads a session's user together with their roles."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from crm.auth import RoleBackend
from crm.roles import Role, roles_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "roles"),
    [
        ("marketer", {"Marketing"}),
        ("rep", {"Sales"}),
        ("manager", {"Managers"}),
        ("outsider", set()),
    ],
)
def test_the_user_comes_with_their_roles_in_one_query(
    request, django_assert_num_queries, who, roles
):
    person = request.getfixturevalue(who)
    with django_assert_num_queries(1):
        user = RoleBackend().get_user(person.pk)
        assert roles_of(user) == roles
    assert user == person
    assert user.username == person.username


def test_a_user_in_two_teams_holds_both_roles(rep):
    rep.groups.add(Group.objects.get(name=Role.MARKETING.value))
    assert roles_of(RoleBackend().get_user(rep.pk)) == {"Sales", "Marketing"}


def test_a_superuser_is_a_manager():
    boss = UserFactory(is_superuser=True)
    assert roles_of(RoleBackend().get_user(boss.pk)) == {"Managers"}


def test_no_user_for_an_inactive_unknown_or_malformed_id(rep):
    rep.is_active = False
    rep.save()
    assert RoleBackend().get_user(rep.pk) is None
    assert RoleBackend().get_user(rep.pk + 1000) is None
    assert RoleBackend().get_user("not-an-id") is None


def test_a_role_taken_away_applies_on_the_next_request(client, rep):
    client.force_login(rep)
    assert client.get(reverse("leads:inbox")).status_code == 200
    rep.groups.clear()
    assert client.get(reverse("leads:inbox")).status_code == 403


def test_signing_in_with_a_password_still_works(client):
    UserFactory(username="pat", password="a-long-passphrase-1")
    response = client.post(reverse("login"), {"username": "pat", "password": "a-long-passphrase-1"})
    assert response.status_code == 302
    assert client.session["_auth_user_backend"] == "crm.auth.RoleBackend"
