import pytest
from django.db import connection, transaction

from tests.factories import (
    ManagerFactory,
    MarketerFactory,
    RepFactory,
    SLAFactory,
    UserFactory,
)


@pytest.fixture
def marketer(db):
    return MarketerFactory(username="marketer", first_name="Mara", last_name="Keting")


@pytest.fixture
def rep(db):
    return RepFactory(username="rep", first_name="Rita", last_name="Rep")


@pytest.fixture
def other_rep(db):
    return RepFactory(username="other_rep", first_name="Otto", last_name="Rep")


@pytest.fixture
def manager(db):
    return ManagerFactory(username="manager", first_name="Mona", last_name="Ger", is_staff=True)


@pytest.fixture
def outsider(db):
    """Logged in, but in no team."""
    return UserFactory(username="outsider")


@pytest.fixture
def sla(db):
    return SLAFactory()


requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks are only real on PostgreSQL"
)


def query_plan(queryset) -> str:
    """The query plan, with PostgreSQL told to avoid a sequential scan where an index will do
    (on a test-sized table it would rather read the few rows)."""
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            return queryset.explain()
    return queryset.explain()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is a quarter second per user: fine for a login, not for a
    # test suite that makes hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _imports_inline(settings):
    # The web process runs an import in a thread of its own; in tests it runs in the request,
    # where the test database is.
    settings.HANDOFF_IMPORTS_INLINE = True
