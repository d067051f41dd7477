"""The project's form renderer writes the common widgets in Python: the markup must be exactly
what Django's templates write, for every kind of value, bound or not."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test import override_settings
from django.urls import reverse
from django.utils.safestring import mark_safe

from crm.widgets import FormRenderer


class EveryWidget(forms.Form):
    text = forms.CharField(max_length=5, help_text="Short", initial="<b>\"q\"</b> & 's'")
    number = forms.IntegerField(min_value=0, required=False)
    tick = forms.BooleanField(required=False, initial=True)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    email = forms.EmailField(disabled=True, initial="a@b.example")
    hidden = forms.CharField(widget=forms.HiddenInput, initial="z&")
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), initial="pw")
    choice = forms.ChoiceField(
        choices=[("", "—"), ("a", "A & b"), ("Group", [("x", "X"), ("y", mark_safe("<i>Y</i>"))])],
        initial="x",
    )
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], initial=["a", "b"])
    maybe = forms.NullBooleanField()
    note = forms.CharField(widget=forms.Textarea, initial="hello <there>\nsecond line")
    empty_note = forms.CharField(widget=forms.Textarea, required=False)
    radio = forms.ChoiceField(widget=forms.RadioSelect, choices=[("a", "A"), ("b", "B")])


@pytest.mark.parametrize(
    "data",
    [
        None,
        {
            "text": "too long <>",
            "number": "-1",
            "tick": "on",
            "day": "not a day",
            "choice": "y",
            "many": ["b"],
            "maybe": "true",
            "note": "x & y",
            "radio": "b",
        },
    ],
)
def test_the_python_widgets_write_what_django_s_templates_write(data):
    django_form = EveryWidget(data, renderer=DjangoTemplates())
    our_form = EveryWidget(data, renderer=FormRenderer())
    for name in django_form.fields:
        assert str(our_form[name]) == str(django_form[name]), name


@pytest.mark.django_db
def test_server_timing_says_the_query_count(client, manager):
    client.force_login(manager)
    with override_settings(
        MIDDLEWARE=[
            "crm.middleware.ServerTimingMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ]
    ):
        timing = client.get(reverse("healthz")).headers["Server-Timing"]
        assert timing.startswith('db;desc="1 queries"')
        page = client.get(reverse("leads:lead-list")).headers["Server-Timing"]
    queries = int(page.split('"')[1].split()[0])
    assert queries >= 3  # the session, the user and the page's own
    assert "app;dur=" in page


@pytest.mark.django_db
def test_a_filter_form_draws_real_drop_downs_with_the_choice_kept(client, manager):
    from tests.factories import CampaignFactory

    picked = CampaignFactory(name="Spring <Webinar> & more")
    CampaignFactory(name="Autumn fair")
    client.force_login(manager)
    html = client.get(reverse("leads:lead-list"), {"campaign": picked.pk}).content.decode()
    assert '<select class="select form-select" id="id_campaign" name="campaign">' in html
    assert (
        f'<option value="{picked.pk}" selected>Spring &lt;Webinar&gt; &amp; more</option>' in html
    )
    assert "&lt;select" not in html
    assert '<option value="">Any campaign</option>' in html
