import json
import os
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k7#x!Qm2@p9Lr4$Tz8^Wv1&Bn6*Hc3(Jd5)Fg0-Ys+Ua=Ie_Oo;",
    "DJANGO_ALLOWED_HOSTS": "crm.example.com",
}


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        # A production process starts with only its own settings (the browser tests set
        # DJANGO_ALLOW_ASYNC_UNSAFE for this test process).
        env={**{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", env={**PRODUCTION, "DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_harden_cookies_and_transport():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS >= 31536000, s.X_FRAME_OPTIONS,"
        " s.STORAGES['staticfiles']['BACKEND'].endswith('CompressedManifestStaticFilesStorage'),"
        " s.CACHES['default']['BACKEND'].endswith('DatabaseCache'))"
    )
    result = _manage("shell", "--no-imports", "-c", code, env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "True",
        "DENY",
        "True",
        "True",
    ]


def test_database_url_chooses_the_engine():
    code = "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'])"
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        env={"DATABASE_URL": "postgres://u:p@127.0.0.1:5432/handoff"},
    )
    assert result.stdout.strip() == "django.db.backends.postgresql"


@pytest.mark.django_db
def test_healthz_answers_anonymous_load_balancers(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_says_503_when_the_database_is_unreachable(client):
    with mock.patch("crm.views.connection.cursor", side_effect=Exception("down")):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503


PROBE = """
import json
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

call_command("migrate", verbosity=0)
get_user_model().objects.create_user("probe", password="a-long-passphrase-1")
# The hashed static files' manifest comes from collectstatic at deploy time; the pages here
# name their files without it (the headers and cookies do not depend on it).
from django.conf import settings
from django.test import override_settings

override_settings(
    STORAGES={
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
).enable()
client = Client()
plain = client.get("/login/")
page = client.get("/login/", secure=True)
signed_in = client.post(
    "/login/", {"username": "probe", "password": "a-long-passphrase-1"}, secure=True
)
print(json.dumps({
    "plain": [plain.status_code, plain.headers.get("Location", "")],
    "headers": dict(page.headers),
    "cookies": {
        name: {"secure": bool(m["secure"]), "httponly": bool(m["httponly"]),
               "samesite": m["samesite"]}
        for name, m in {**page.cookies, **signed_in.cookies}.items()
    },
}))
"""


def test_production_responses_carry_the_hardening_headers_and_cookie_flags(tmp_path):
    env = {
        **PRODUCTION,
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
    }
    result = _manage("shell", "--no-imports", "-c", PROBE, env=env)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://testserver/login/"]  # plain HTTP goes to HTTPS
    headers = seen["headers"]
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in headers["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"  # no inline script, no eval
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert set(seen["cookies"]) == {"csrftoken", "sessionid"}
    for name, flags in seen["cookies"].items():
        assert flags["secure"], name
        assert flags["samesite"] == "Lax", name
    assert seen["cookies"]["sessionid"]["httponly"]


def test_every_page_sends_the_content_security_policy(client, manager):
    client.force_login(manager)
    for url in (reverse("reports:dashboard"), reverse("leads:pipeline"), reverse("login")):
        assert "script-src 'self';" in client.get(url)["Content-Security-Policy"]


TEMPLATES = ROOT / "templates"


def test_no_template_runs_inline_script():
    """The policy refuses inline script, so every script must come from a static file."""
    pages = list(TEMPLATES.rglob("*.html"))
    assert len(pages) > 30
    for page in pages:
        text = page.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag, f"{page.relative_to(ROOT)}: {tag}"
        handlers = re.findall(r"\son[a-z]+\s*=", text)
        assert not handlers, f"{page.relative_to(ROOT)}: inline event handler {handlers}"
        assert "javascript:" not in text, page.relative_to(ROOT)
