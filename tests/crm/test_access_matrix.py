"""Access control over every URL: each named pattern of the URLconf, for every kind of user,
checked against one declared table (`EXPECTED`). A new page fails here until its row says who
may use it; a rep reaching another rep's record is told it does not exist (404), never that it
is forbidden, so ids leak nothing.

Outcomes: OK (the page or the action's answer), LOGIN (redirected to sign in), DENIED (403),
HIDDEN (404). Actions are sent as POST with no data: an allowed user gets the form back or a
refusal message (200 or a redirect), never an error.
"""

import pytest
from django.db import transaction
from django.urls import reverse

from tests.site import named_patterns

pytestmark = pytest.mark.django_db

OK, LOGIN, DENIED, HIDDEN = "ok", "login", "403", "404"
USERS = ("anonymous", "inactive", "outsider", "marketer", "rep", "other_rep", "manager")


def outcome(response) -> str:
    """What the user was told. A form's 400 and a wrong method's 405 are answers to a user
    who may use the page; an error is reported as its status."""
    if response.status_code == 302 and response["Location"].startswith("/login/"):
        return LOGIN
    if response.status_code in (403, 404):
        return str(response.status_code)
    if response.status_code in (200, 302, 400, 405):
        return OK
    return f"HTTP {response.status_code}"


def answers(*, outsider=DENIED, marketer=OK, rep=OK, other_rep=OK, manager=OK, signed_out=LOGIN):
    """One row of the table: what each user in USERS is told."""
    return (signed_out, signed_out, outsider, marketer, rep, other_rep, manager)


# Who may use a page, by the roles it admits. A signed-out or deactivated user is sent to sign in.
ANYONE = answers(outsider=OK, signed_out=OK)
SIGNED_IN = answers(outsider=OK)
ANY_ROLE = answers()
MARKETING = answers(rep=DENIED, other_rep=DENIED)
SALES = answers(marketer=DENIED)
MANAGERS = answers(marketer=DENIED, rep=DENIED, other_rep=DENIED)
# The `rep`'s lead, deal or proposal: marketing reads leads and deals; another rep is told
# there is no such record.
REPS_RECORD = answers(other_rep=HIDDEN)
REPS_RECORD_FOR_SALES = answers(marketer=DENIED, other_rep=HIDDEN)
# The `rep`'s note: only its author changes it; managers and marketers see it on the lead.
REPS_NOTE = answers(outsider=HIDDEN, marketer=DENIED, other_rep=HIDDEN, manager=DENIED)

# URL name → (GET, POST). Actions answer GET with 405 (counted OK) to whoever passes the role
# check, before they look the record up; detail pages answer POST the same way.
EXPECTED = {
    "healthz": (ANYONE, ANYONE),
    "login": (ANYONE, ANYONE),
    "logout": (
        ANYONE,
        answers(outsider=LOGIN, marketer=LOGIN, rep=LOGIN, other_rep=LOGIN, manager=LOGIN),
    ),
    "landing-page": (ANYONE, ANYONE),
    "landing-thanks": (ANYONE, ANYONE),
    "password_change": (SIGNED_IN, SIGNED_IN),
    "password_change_done": (SIGNED_IN, SIGNED_IN),
    "home": (ANY_ROLE, ANY_ROLE),
    # Marketing
    "campaigns:campaign-list": (MARKETING, MARKETING),
    "campaigns:campaign-create": (MARKETING, MARKETING),
    "campaigns:campaign-detail": (ANY_ROLE, MARKETING),  # everyone reads; marketing records spend
    "campaigns:campaign-update": (MARKETING, MARKETING),
    "campaigns:campaign-complete": (MARKETING, MARKETING),
    "leads:lead-list": (MARKETING, MARKETING),
    "leads:lead-export": (MARKETING, MARKETING),
    "leads:lead-create": (MARKETING, MARKETING),
    "leads:lead-bulk-send": (MARKETING, MARKETING),
    "leads:lead-send": (MARKETING, MARKETING),
    "leads:nurture": (MARKETING, MARKETING),
    "leads:import-upload": (MARKETING, MARKETING),
    "leads:import-mapping": (MARKETING, MARKETING),
    "leads:import-status": (MARKETING, MARKETING),
    "leads:import-errors": (MARKETING, MARKETING),
    "leads:rule-list": (MARKETING, MARKETING),
    "leads:rule-create": (MARKETING, MARKETING),
    "leads:rule-update": (MARKETING, MARKETING),
    "leads:rule-delete": (MARKETING, MARKETING),
    # Shared pages
    "leads:handoff-list": (ANY_ROLE, ANY_ROLE),
    "leads:handoff-export": (ANY_ROLE, ANY_ROLE),
    "leads:activity-list": (ANY_ROLE, ANY_ROLE),
    "leads:pipeline": (ANY_ROLE, ANY_ROLE),
    "leads:opportunity-list": (ANY_ROLE, ANY_ROLE),
    "leads:proposal-list": (ANY_ROLE, ANY_ROLE),
    "leads:account-list": (ANY_ROLE, ANY_ROLE),
    # Accounts are the company's, not a rep's: any rep works on any account.
    "leads:account-detail": (ANY_ROLE, ANY_ROLE),
    "leads:account-update": (SALES, SALES),
    # Sales
    "leads:inbox": (SALES, SALES),
    "leads:inbox-bulk": (SALES, SALES),
    "leads:opportunity-create": (SALES, SALES),
    "leads:lead-detail": (REPS_RECORD, ANY_ROLE),
    "leads:lead-update": (REPS_RECORD, REPS_RECORD),
    "leads:lead-activity": (ANY_ROLE, REPS_RECORD),
    "leads:lead-action": (SALES, REPS_RECORD_FOR_SALES),
    "leads:opportunity-detail": (REPS_RECORD, ANY_ROLE),
    "leads:opportunity-update": (REPS_RECORD_FOR_SALES, REPS_RECORD_FOR_SALES),
    "leads:opportunity-activity": (SALES, REPS_RECORD_FOR_SALES),
    "leads:opportunity-action": (SALES, REPS_RECORD_FOR_SALES),
    "leads:proposal-create": (REPS_RECORD_FOR_SALES, REPS_RECORD_FOR_SALES),
    "leads:proposal-detail": (REPS_RECORD, ANY_ROLE),
    "leads:proposal-print": (REPS_RECORD, ANY_ROLE),
    "leads:proposal-update": (REPS_RECORD_FOR_SALES, REPS_RECORD_FOR_SALES),
    "leads:proposal-action": (SALES, REPS_RECORD_FOR_SALES),
    "leads:activity-update": (REPS_NOTE, REPS_NOTE),
    "leads:activity-delete": (REPS_NOTE, REPS_NOTE),
    # Managers
    "leads:stage-probabilities": (MANAGERS, MANAGERS),
    "leads:opportunity-import-upload": (MANAGERS, MANAGERS),
    "leads:opportunity-import-mapping": (MANAGERS, MANAGERS),
    "leads:opportunity-import-status": (MANAGERS, MANAGERS),
    "leads:opportunity-import-errors": (MANAGERS, MANAGERS),
    "reports:sla-update": (MANAGERS, MANAGERS),
    "reports:quota-list": (MANAGERS, MANAGERS),
    "reports:quota-create": (MANAGERS, MANAGERS),
    "reports:quota-history": (MANAGERS, MANAGERS),
    "reports:quota-update": (MANAGERS, MANAGERS),
    "reports:quota-delete": (MANAGERS, MANAGERS),
    # Reports: every team reads them.
    **{
        f"reports:{name}": (ANY_ROLE, ANY_ROLE)
        for name in (
            "dashboard",
            "sla",
            "funnel",
            "campaigns",
            "response",
            "rejections",
            "sales",
            "pipeline",
            "revenue",
        )
    },
}


def observe(client, users, kwargs, names, method):
    """{url name: {user: outcome}} for `method` ("get" or "post"). Each request is rolled back,
    so a delete or a sign-out does not change what the next one finds."""
    seen = {}
    for who, user in users.items():
        for name in names:
            client.logout()
            if user is not None:
                client.force_login(user)
            with transaction.atomic():
                response = getattr(client, method)(reverse(name, kwargs=kwargs.get(name, {})))
                transaction.set_rollback(True)
            seen.setdefault(name, {})[who] = outcome(response)
    return seen


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_url_answers_every_user_as_the_table_declares(client, world, method):
    users, kwargs = world
    names = set(named_patterns())
    assert names == set(EXPECTED), (
        f"Undeclared pages: {sorted(names - set(EXPECTED))}; gone: {sorted(set(EXPECTED) - names)}"
    )
    seen = observe(client, users, kwargs, sorted(names), method)
    wrong = [
        f"{method.upper()} {name} as {who}: {seen[name][who]}, declared {expected}"
        for name, rows in EXPECTED.items()
        for who, expected in zip(USERS, rows[method == "post"], strict=True)
        if seen[name][who] != expected
    ]
    assert not wrong, "\n".join(wrong)


# The URLs that name one of the `rep`'s records, and what another rep sends there.
RECORD_URLS = [name for name, rows in EXPECTED.items() if HIDDEN in rows[0] + rows[1]]


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_reps_record_and_a_missing_one_get_the_same_answer(
    client, world, other_rep, method
):
    """Ids leak nothing: whether the record is someone else's or does not exist, the answer is
    the same."""
    _, kwargs = world
    client.force_login(other_rep)
    for name in RECORD_URLS:
        theirs = getattr(client, method)(reverse(name, kwargs=kwargs[name]))
        missing = getattr(client, method)(reverse(name, kwargs={**kwargs[name], "pk": 99_999}))
        assert theirs.status_code == missing.status_code, f"{method.upper()} {name}"
