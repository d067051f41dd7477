import pytest
from django.http import QueryDict

from crm.templatetags import listing as listing_tags
from leads.filters import InboxFilter, LeadFilter
from leads.models import Lead
from tests.factories import CampaignFactory, LeadFactory, RepFactory

pytestmark = pytest.mark.django_db


def _filter(filterset_class, data, **kwargs):
    return filterset_class(data=data, queryset=Lead.objects.all(), **kwargs)


def test_a_filter_form_class_is_built_once_for_each_set_of_filters():
    first, second = _filter(LeadFilter, {}), _filter(LeadFilter, {"stage": "mql"})
    assert first.get_form_class() is second.get_form_class()
    # A rep's inbox drops the rep filter: their form is another class, without that field.
    manager = _filter(InboxFilter, {}, manager=True).form
    rep = _filter(InboxFilter, {}, manager=False).form
    assert type(manager) is not type(rep)
    assert "rep" in manager.fields
    assert "rep" not in rep.fields


def test_forms_of_one_class_still_filter_and_validate_each_their_own_data():
    rep = RepFactory()
    mine = LeadFactory(owner=rep, stage=Lead.Stage.MQL)
    LeadFactory(stage=Lead.Stage.MQL)
    assert list(_filter(LeadFilter, {"owner": str(rep.pk)}).qs) == [mine]
    refused = _filter(LeadFilter, {"owner": "999999"})
    assert not refused.is_valid()
    assert "owner" in refused.errors
    # The shared class's fields are copied per form: an error on one is not on the next.
    assert _filter(LeadFilter, {}).is_valid()


def test_each_filterset_has_filters_and_fields_of_its_own():
    first, second = _filter(LeadFilter, {"q": "ada"}), _filter(LeadFilter, {"q": "grace"})
    # A filter with a method finds it on its own FilterSet, not on the class's or another's.
    assert first.filters["q"] is not second.filters["q"]
    assert first.filters["q"].parent is first
    assert first.filters["q"].filter.f is first.filters["q"]
    assert LeadFilter.base_filters["q"].filter.f is LeadFilter.base_filters["q"]
    # What one form changes on its fields stays on that form.
    mine, theirs = first.form.fields, second.form.fields
    mine["stage"].widget.attrs["data-x"] = "1"
    mine["stage"].error_messages["invalid_choice"] = "changed"
    assert "data-x" not in theirs["stage"].widget.attrs
    assert (
        "data-x" not in LeadFilter(queryset=Lead.objects.none()).form.fields["stage"].widget.attrs
    )
    assert theirs["stage"].error_messages["invalid_choice"] != "changed"
    # Each field's choices point back at that field (django-filter draws the empty choice
    # from it), and the drop-downs read from the database are read for this form.
    assert mine["stage"].choices.field is mine["stage"]
    assert theirs["stage"].choices.field is theirs["stage"]
    assert mine["stage"].widget is not theirs["stage"].widget
    assert mine["campaign"].choices.choices is not theirs["campaign"].choices.choices


def test_search_filters_each_their_own_words():
    ada = LeadFactory(first_name="Ada", last_name="Lovelace", stage=Lead.Stage.MQL)
    grace = LeadFactory(first_name="Grace", last_name="Hopper", stage=Lead.Stage.MQL)
    first, second = _filter(LeadFilter, {"q": "lovelace"}), _filter(LeadFilter, {"q": "hopper"})
    assert list(first.qs) == [ada]
    assert list(second.qs) == [grace]


@pytest.fixture
def drawn(monkeypatch):
    """Each filter bar actually written (not taken from those kept), as its form's data."""
    listing_tags._FILTER_BARS.clear()
    written = []
    real = listing_tags.form_html

    def counting(form, **kwargs):
        written.append(dict(form.data))
        return real(form, **kwargs)

    monkeypatch.setattr(listing_tags, "form_html", counting)
    return written


def _bar(data):
    return listing_tags.filter_fields(_filter(LeadFilter, QueryDict(data)).form)


def test_a_filter_bar_is_written_once_for_the_same_values_and_choices(drawn):
    campaign = CampaignFactory(name="Spring launch")
    first = _bar("")
    assert _bar("") == first
    assert _bar("after=abc&page=2") == first  # a cursor is not a filter
    assert len(drawn) == 1
    assert ">Spring launch</option>" in first
    chosen = _bar(f"campaign={campaign.pk}")
    assert f'<option value="{campaign.pk}" selected>Spring launch</option>' in chosen
    assert len(drawn) == 2


def test_a_filter_bar_is_written_again_when_its_choices_change(drawn):
    campaign = CampaignFactory(name="Spring launch")
    _bar(f"campaign={campaign.pk}")
    campaign.name = "Summer launch"
    campaign.save()
    html = _bar(f"campaign={campaign.pk}")
    assert f'<option value="{campaign.pk}" selected>Summer launch</option>' in html
    assert "Spring launch" not in html
    assert len(drawn) == 2


def test_a_kept_filter_bar_still_shows_its_errors(drawn):
    first = _bar("score_min=lots")
    assert "Enter a number." in first
    assert 'value="lots"' in first
    assert _bar("score_min=lots") == first
    assert len(drawn) == 1
