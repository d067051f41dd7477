"""The busy pages draw their forms with crm/templatetags/fields.py: Bootstrap's markup with
every label tied to its control, required marks, help and errors, and all text escaped."""

import pytest
from django import forms
from django.template import Context, Template

from campaigns.models import Campaign
from tests.factories import CampaignFactory

HOSTILE = '<script>alert("x")</script>'


class ExampleForm(forms.Form):
    name = forms.CharField(max_length=20, help_text=f"Help {HOSTILE}")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    amount = forms.DecimalField(required=False)
    kind = forms.ChoiceField(choices=[("", "Choose…"), ("a", f"A {HOSTILE}"), ("b", "B")])
    action = forms.ChoiceField(
        choices=[("keep", "Keep"), ("drop", "Drop")], widget=forms.RadioSelect, initial="drop"
    )
    agree = forms.BooleanField(required=False, label="I agree")
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        raise forms.ValidationError(f"Whole form {HOSTILE}")


def _render(form, tag="form_fields form"):
    return Template("{% load fields %}{% " + tag + " %}").render(Context({"form": form}))


def test_every_field_has_its_label_control_and_help():
    html = _render(ExampleForm())
    assert '<div id="div_id_name" class="mb-3"><label for="id_name" class="form-label ' in html
    assert 'requiredField">Name<span class="asteriskField">*</span></label>' in html
    assert 'aria-describedby="id_name_helptext" class="textinput form-control" required' in html
    assert f'<div id="id_name_helptext" class="form-text">Help {HOSTILE}' not in html
    assert "Help &lt;script&gt;" in html
    assert '<label for="id_notes" class="form-label">Notes</label>' in html
    assert 'class="textarea form-control"' in html
    assert 'class="numberinput form-control"' in html
    assert '<select class="select form-select" id="id_kind" name="kind" required>' in html
    assert "A &lt;script&gt;" in html
    assert '<input type="hidden" name="token" id="id_token">' in html


def test_radio_buttons_sit_in_a_fieldset_with_the_choice_kept():
    html = _render(ExampleForm())
    assert '<fieldset><legend class="form-label requiredField fs-6">Action' in html
    assert (
        '<input type="radio" class="form-check-input" name="action" value="drop" '
        'id="id_action_1" required checked>'
    ) in html
    assert '<label for="id_action_1" class="form-check-label">Drop</label>' in html


def test_a_check_box_has_its_label_after_it():
    html = _render(ExampleForm())
    assert '<div id="div_id_agree" class="mb-3 form-check"><input type="checkbox"' in html
    assert '<label for="id_agree" class="form-check-label">I agree</label>' in html


def test_errors_show_next_to_their_field_and_for_the_whole_form():
    form = ExampleForm(data={"name": "", "kind": "zzz", "action": "keep"})
    assert not form.is_valid()
    html = _render(form)
    assert 'class="textinput form-control is-invalid"' in html
    # The control points at its error and its help, and says it is invalid.
    assert 'aria-describedby="error_1_id_name id_name_helptext"' in html
    assert 'aria-invalid="true"' in html
    assert (
        '<span id="error_1_id_name" class="invalid-feedback"><strong>This field is required.'
        in html
    )
    assert "Select a valid choice." in html
    assert '<div class="alert alert-danger" role="alert">Whole form &lt;script&gt;' in html
    assert HOSTILE not in html


def test_one_field_alone():
    html = _render(ExampleForm(), "form_field form.amount")
    assert html.startswith('<div id="div_id_amount" class="mb-3"><label for="id_amount"')
    assert "id_name" not in html


def test_a_drop_down_is_drawn_again_when_its_choices_or_the_choice_change():
    class Pick(forms.Form):
        fruit = forms.ChoiceField(choices=[("a", "Apple"), ("b", "Banana")], required=False)

    first = _render(Pick(), "form_field form.fruit")
    assert _render(Pick(), "form_field form.fruit") == first
    assert '<option value="a">Apple</option>' in first
    picked = _render(Pick(data={"fruit": "b"}), "form_field form.fruit")
    assert '<option value="b" selected>Banana</option>' in picked
    assert '<option value="b">Banana</option>' not in picked
    renamed = Pick()
    renamed.fields["fruit"].choices = [("a", "Apricot"), ("b", "Banana")]
    html = _render(renamed, "form_field form.fruit")
    assert '<option value="a">Apricot</option>' in html
    assert "Apple" not in html


@pytest.mark.django_db
def test_a_model_drop_down_reads_its_rows_once_without_counting_them(
    django_assert_num_queries,
):
    CampaignFactory(name="Spring <launch>")

    class Pick(forms.Form):
        campaign = forms.ModelChoiceField(queryset=Campaign.objects.order_by("name"))

    with django_assert_num_queries(1):
        html = _render(Pick(), "form_field form.campaign")
    assert "Spring &lt;launch&gt;</option>" in html
    assert '<option value="" selected>---------</option>' in html
