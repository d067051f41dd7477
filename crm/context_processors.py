from functools import lru_cache

from django.conf import settings
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from crm import roles as rules

# The pages under the navbar's "Pipeline" link (URL names).
PIPELINE_PAGES = frozenset(
    {
        "pipeline",
        "opportunity-list",
        "opportunity-detail",
        "opportunity-create",
        "opportunity-update",
        "opportunity-import",
        "proposal-list",
        "proposal-detail",
        "proposal-create",
        "proposal-update",
        "account-list",
        "account-detail",
        "account-update",
        "stage-probabilities",
        "quota-list",
        "quota-create",
        "quota-update",
        "quota-delete",
    }
)

# The report pages under the navbar's "Reports" (the SLA and quotas have their own links).
REPORT_PAGES = frozenset(
    {"dashboard", "funnel", "campaigns", "response", "rejections", "sales", "pipeline", "revenue"}
)


# The navbar: (label, URL name, who sees it, when it is the current section).
NAV = (
    ("Inbox", "leads:inbox", "rep", lambda app, name: name == "inbox"),
    (
        "Pipeline",
        "leads:pipeline",
        "any",
        lambda app, name: app == "leads" and name in PIPELINE_PAGES,
    ),
    ("Leads", "leads:lead-list", "marketer", lambda app, name: name == "lead-list"),
    ("Nurture", "leads:nurture", "marketer", lambda app, name: name == "nurture"),
    ("Campaigns", "campaigns:campaign-list", "marketer", lambda app, name: app == "campaigns"),
    ("Scoring", "leads:rule-list", "marketer", lambda app, name: name.startswith("rule")),
    ("Handoffs", "leads:handoff-list", "any", lambda app, name: name == "handoff-list"),
    (
        "Reports",
        "reports:dashboard",
        "any",
        lambda app, name: app == "reports" and name in REPORT_PAGES,
    ),
    ("SLA", "reports:sla", "any", lambda app, name: name in ("sla", "sla-update")),
)


# The other addresses base.html links to, by the name the template uses.
SITE_URLS = {
    "home": "home",
    "password_change": "password_change",
    "logout": "logout",
    "admin": "admin:index",
}


@lru_cache(maxsize=8)
def _urls(prefix: str, urlconf) -> dict[str, str]:
    """Each address the navbar links to, reversed once per process (thirteen `{% url %}` tags
    cost every page 0.4 ms)."""
    urls = {name: reverse(name, urlconf=urlconf) for _, name, _, _ in NAV}
    urls |= {key: reverse(name, urlconf=urlconf) for key, name in SITE_URLS.items()}
    return urls


# The stylesheets and the script every page loads (base.html), by the name the template uses.
SITE_STATIC = {
    "bootstrap_css": "vendor/bootstrap/bootstrap.min.css",
    "base_css": "css/base.css",
    "bootstrap_js": "vendor/bootstrap/bootstrap.bundle.min.js",
}


@lru_cache(maxsize=8)
def _static_urls(static_url: str, storages: str, debug: bool) -> dict[str, str]:
    """Their addresses, looked up in the static files' manifest once per process and set of
    settings (three `{% static %}` tags cost every page 0.1 ms)."""
    return {key: static(path) for key, path in SITE_STATIC.items()}


@lru_cache(maxsize=64)
def _nav_html(links: tuple[tuple[str, str, bool], ...]) -> SafeString:
    """The navbar's items for one set of links with one marked current, written once per
    process: the template's loop over them was a tenth of a millisecond on every page."""
    return mark_safe(
        "\n".join(
            format_html(
                '<li class="nav-item"><a class="nav-link{}" href="{}">{}</a></li>',
                mark_safe(' active" aria-current="page') if current else "",
                url,
                label,
            )
            for label, url, current in links
        )
    )


def roles(request):
    """What the navbar needs: the links the user's role may use, the current one marked."""
    user = request.user
    manager = rules.is_manager(user)
    role = rules.primary_role(user)
    can = {
        "any": role is not None,
        "rep": manager or rules.is_rep(user),
        "marketer": manager or rules.is_marketer(user),
    }
    match = getattr(request, "resolver_match", None)
    app, name = (match.app_name, match.url_name or "") if match else ("", "")
    urls = _urls(get_script_prefix(), get_urlconf())
    links = tuple(
        (label, urls[url_name], current(app, name))
        for label, url_name, who, current in NAV
        if can[who]
    )
    return {
        "user_role": role,
        "user_is_manager": manager,
        "user_is_marketer": can["marketer"],
        "user_is_rep": can["rep"],
        "nav_html": _nav_html(links),
        "site_urls": {key: urls[key] for key in SITE_URLS},
        "site_static": _static_urls(settings.STATIC_URL, repr(settings.STORAGES), settings.DEBUG),
    }
