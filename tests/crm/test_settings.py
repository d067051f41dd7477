import os
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
