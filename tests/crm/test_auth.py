"""The authentication backend reads a session's user together with their roles; the session
store reads the session with a statement of its own."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.auth import RoleBackend
from crm.roles import Role, roles_of
from crm.sessions import SessionStore
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
    person.last_login = timezone.now()
    person.save()
    with django_assert_num_queries(1):
        user = RoleBackend().get_user(person.pk)
        assert roles_of(user) == roles
    assert user == person
    # Every column as the ORM gives it: SQLite's timestamps come back as aware datetimes.
    for field in type(person)._meta.concrete_fields:
        assert getattr(user, field.attname) == getattr(person, field.attname), field.name
    assert user.last_login.tzinfo is not None
    assert not user._state.adding


def test_a_user_in_two_teams_holds_both_roles(rep):
    rep.groups.add(Group.objects.get(name=Role.MARKETING.value))
    assert roles_of(RoleBackend().get_user(rep.pk)) == {"Sales", "Marketing"}


def test_a_user_in_every_team_holds_every_role(rep):
    rep.groups.add(*Group.objects.filter(name__in=[Role.MARKETING.value, Role.MANAGERS.value]))
    assert roles_of(RoleBackend().get_user(rep.pk)) == {"Sales", "Marketing", "Managers"}


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


def test_the_session_is_read_in_one_query_and_not_once_expired(client, rep):
    client.force_login(rep)
    key = client.session.session_key
    store = SessionStore(key)
    with CaptureQueriesContext(connection) as queries:
        assert store.load()["_auth_user_id"] == str(rep.pk)
    assert len(queries) == 1
    assert client.get(reverse("leads:inbox")).status_code == 200
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    expired = SessionStore(key)
    assert expired.load() == {}
    assert expired.session_key is None  # as Django's store: a new key on the next save
    assert client.get(reverse("leads:inbox")).status_code == 302  # to the login page
    assert SessionStore("no-such-session-key-at-all").load() == {}
