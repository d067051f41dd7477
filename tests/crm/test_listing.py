import pytest

from leads.filters import InboxFilter, LeadFilter
from leads.models import Lead
from tests.factories import LeadFactory, RepFactory

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
