import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from crm.roles import MANAGER_LIMITS, ROLE_APPS, Role, has_role, primary_role, roles_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _codes(role: Role) -> set[str]:
    group = Group.objects.get(name=role.value)
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_the_three_role_groups_exist():
    assert set(Group.objects.values_list("name", flat=True)) >= {"Marketing", "Sales", "Managers"}


def test_managers_hold_every_permission_of_the_role_apps_except_rewriting_history():
    everything = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.filter(
            content_type__app_label__in=ROLE_APPS
        ).values_list("content_type__app_label", "codename")
    }
    forbidden = {
        f"{label.split('.')[0]}.{action}_{label.split('.')[1]}"
        for label, allowed in MANAGER_LIMITS.items()
        for action in {"add", "change", "delete"} - allowed
    }
    assert _codes(Role.MANAGERS) == everything - forbidden
    assert "leads.change_leadtransition" not in _codes(Role.MANAGERS)
    assert "reports.change_servicelevelagreement" not in _codes(Role.MANAGERS)
    assert "reports.add_servicelevelagreement" in _codes(Role.MANAGERS)


def test_marketers_own_campaigns_but_cannot_touch_deals_or_quotas():
    codes = _codes(Role.MARKETING)
    assert {"campaigns.add_campaign", "campaigns.change_campaign", "leads.add_lead"} <= codes
    assert "leads.change_opportunity" not in codes
    assert "reports.view_quota" not in codes
    assert not any(code.endswith("servicelevelagreement") and "view" not in code for code in codes)


def test_reps_work_deals_but_cannot_edit_campaigns_sla_or_quotas():
    codes = _codes(Role.SALES)
    assert {"leads.change_opportunity", "leads.add_proposal", "leads.add_activity"} <= codes
    assert "campaigns.change_campaign" not in codes
    assert "reports.add_servicelevelagreement" not in codes
    assert "reports.change_quota" not in codes


def test_nobody_may_edit_the_transition_log():
    for role in Role:
        assert not {"leads.change_leadtransition", "leads.delete_leadtransition"} & _codes(role)


def test_roles_of_reads_groups_once_per_user_object(django_assert_num_queries, rep):
    with django_assert_num_queries(1):
        assert roles_of(rep) == {"Sales"}
        assert roles_of(rep) == {"Sales"}


def test_managers_pass_every_role_check(manager):
    assert has_role(manager, Role.SALES)
    assert has_role(manager, Role.MARKETING)
    assert primary_role(manager) == Role.MANAGERS


def test_a_superuser_counts_as_a_manager():
    boss = UserFactory(is_superuser=True)
    assert primary_role(boss) == Role.MANAGERS


def test_an_inactive_user_has_no_role(rep):
    rep.is_active = False
    assert roles_of(rep) == frozenset()


@pytest.mark.parametrize(
    ("who", "home"),
    [("marketer", "/campaigns/"), ("rep", "/inbox/"), ("manager", "/reports/")],
)
def test_each_role_lands_on_its_home_page(client, request, who, home):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == home


def test_a_user_without_a_role_is_told_so(client, outsider):
    client.force_login(outsider)
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert b"no role in Handoff yet" in response.content


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        (
            "marketer",
            ["Leads", "Nurture", "Campaigns", "Scoring", "Handoffs", "Reports"],
            ["Inbox", "Admin"],
        ),
        ("rep", ["Inbox", "Handoffs", "Reports"], ["Leads", "Campaigns", "Scoring", "Admin"]),
        ("manager", ["Inbox", "Leads", "Campaigns", "Scoring", "Handoffs", "Reports", "Admin"], []),
    ],
)
def test_the_navbar_shows_only_what_the_role_may_use(client, request, who, shown, hidden):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("reports:dashboard"))
    nav = response.content.decode().split('aria-label="Main"')[1].split("</nav>")[0]
    for label in shown:
        assert f">{label}</a>" in nav
    for label in hidden:
        assert f">{label}</a>" not in nav


@pytest.mark.parametrize(
    ("url_name", "current"),
    [("leads:lead-list", "Leads"), ("leads:proposal-list", "Pipeline"), ("reports:sla", "SLA")],
)
def test_the_navbar_marks_the_current_section_and_links_home_and_out(
    client, manager, url_name, current
):
    client.force_login(manager)
    html = client.get(reverse(url_name)).content.decode()
    nav = html.split('aria-label="Main"')[1].split("</nav>")[0]
    assert nav.count('aria-current="page"') == 1
    marked = nav.split('class="nav-link active" aria-current="page"')[1].split("</a>")[0]
    assert marked.endswith(f">{current}")
    assert f'<a class="navbar-brand fw-semibold" href="{reverse("home")}">' in nav
    assert f'href="{reverse("password_change")}"' in nav
    assert f'<form method="post" action="{reverse("logout")}">' in nav
    assert f'href="{reverse("admin:index")}">Admin</a>' in nav


@pytest.mark.parametrize("signed_in", [True, False])
def test_every_page_loads_the_stylesheets_and_script_at_their_static_addresses(
    client, manager, settings, signed_in
):
    """base.html takes them from the context (looked up once per process), not `{% static %}`;
    with another static URL they follow it."""
    from django.templatetags.static import static

    settings.STATIC_URL = "/assets/"
    if signed_in:
        client.force_login(manager)
    html = client.get(reverse("leads:lead-list" if signed_in else "login")).content.decode()
    for path in (
        "vendor/bootstrap/bootstrap.min.css",
        "css/base.css",
        "vendor/bootstrap/bootstrap.bundle.min.js",
    ):
        assert static(path).startswith("/assets/")
        assert f'"{static(path)}"' in html
