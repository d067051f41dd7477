"""Stored script payloads in every free-text field, then every page that shows them: none comes
out unescaped. The fields are found from the models, so a new text field is covered too (the
browser side is in tests/e2e/test_content_security.py)."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse

from crm.roles import ROLE_APPS
from tests.site import named_patterns

pytestmark = pytest.mark.django_db

PAYLOADS = ('<script>alert("x")</script>', '"><img src=x onerror=alert(1)>')
# Text that is not free text: identifiers, addresses and codes validated on the way in.
NOT_FREE_TEXT = (models.SlugField, models.EmailField, models.URLField)
SKIP = {"password", "username", "email", "content", "error_report", "timezone", "currency"}


def _free_text_fields(model):
    for field in model._meta.concrete_fields:
        if (
            isinstance(field, (models.CharField, models.TextField))
            and not isinstance(field, NOT_FREE_TEXT)
            and not field.choices
            and field.name not in SKIP
        ):
            yield field


def _fill_every_text_field(payload: str) -> int:
    """Write `payload` into every free-text column of every row of the apps' models and the
    users' names; the number of columns written."""
    written = 0
    targets = [m for label in ROLE_APPS for m in apps.get_app_config(label).get_models()]
    for model in [*targets, get_user_model()]:
        for field in _free_text_fields(model):
            value = payload if field.max_length is None else payload[: field.max_length]
            model._base_manager.update(**{field.name: value})
            written += 1
    return written


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_page_shows_a_stored_payload_unescaped(client, world, payload):
    users, kwargs = world
    assert _fill_every_text_field(payload) > 30
    pages = 0
    for who in ("manager", "rep", "marketer"):
        client.force_login(users[who])
        for name in sorted(set(named_patterns()) - {"logout"}):
            response = client.get(reverse(name, kwargs=kwargs.get(name, {})))
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            pages += 1
            assert payload not in response.content.decode(), f"{name} as {who}"
    assert pages > 100
