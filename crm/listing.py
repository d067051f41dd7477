"""What every filtered list page shares."""

import copy

import django_filters
from django import forms
from django.utils.choices import BaseChoiceIterator, CallableChoiceIterator
from django_filters.filterset import FilterSetMetaclass

from crm.db import Prepared
from crm.roles import display_name, is_manager

# Query parameters that page or sort a list without filtering it.
NOT_FILTERS = frozenset({"page", "ordering"})


def is_filtered(request, ignore=NOT_FILTERS) -> bool:
    """Whether the request sets any filter (so the page offers to clear them)."""
    return any(value for key, value in request.GET.items() if key not in ignore)


class FilteredListMixin:
    """For django-filter's FilterView: says in the context whether a filter is set.

    `always_bound`: filter even a bare visit, so a FilterSet's defaults (open deals only) hold.
    `filters_by_owner`: the FilterSet takes `manager=` and drops its owner choice for reps."""

    always_bound = False
    filters_by_owner = False

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        if self.always_bound:
            kwargs["data"] = self.request.GET
        if self.filters_by_owner:
            kwargs["manager"] = is_manager(self.request.user)
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filtered"] = is_filtered(self.request)
        return context


class PeopleChoices:
    """(id, name) of some users, for a filter's drop-down: `users()` gives a queryset of them,
    read as values by a query compiled once (crm.db.Prepared)."""

    def __init__(self, users):
        self.people = Prepared(
            lambda: users().values_list("pk", "first_name", "last_name", "username")
        )

    def __call__(self) -> list[tuple]:
        return [(pk, display_name(*names)) for pk, *names in self.people.rows()]

    def __deepcopy__(self, memo):
        # A filter's field copies its choices for every form; one compiled query serves all.
        return self


class OnceChoices(BaseChoiceIterator):
    """A callable's choices, read when first needed (to validate a value or draw the drop-down)
    and kept for the rest of the request; a download that never draws the form never reads
    them."""

    def __init__(self, read):
        self.read = read
        self.choices = None

    def __iter__(self):
        if self.choices is None:
            self.choices = list(self.read())  # (value, label) pairs, as our callables give
        yield from self.choices


def _filter_for_request(filter_):
    """A filter of its own for one FilterSet: its own parent, model and `extra`, the rest
    shared with the class's filter (which no request changes)."""
    fresh = copy.copy(filter_)
    fresh.extra = filter_.extra.copy()
    if filter_.method is not None:
        fresh.method = filter_.method  # a FilterMethod that finds this filter's parent
    return fresh


def _field_for_request(field):
    """What Field.__deepcopy__ gives (its own widget, attributes, messages and validators),
    with the choices shared rather than copied item by item: nothing changes them in place,
    and a request that needs others sets new ones."""
    if isinstance(field, forms.ModelChoiceField):
        return copy.deepcopy(field)  # its queryset is copied too
    fresh = copy.copy(field)
    fresh.widget = copy.copy(field.widget)
    fresh.widget.attrs = field.widget.attrs.copy()
    fresh.error_messages = field.error_messages.copy()
    fresh.validators = field.validators[:]
    if isinstance(field, forms.ChoiceField):
        given = field._choices
        # django-filter wraps the choices in an iterator that points back at its field.
        fresh.choices = getattr(given, "choices", given)
    return fresh


class _CopiedPerRequest(dict):
    """A class's filters or form fields, deep-copied for each request the cheap way:
    `copy.deepcopy` walked every filter's and field's attributes and every choice (about 500
    copies, 0.4 ms, for the lead list's eleven filters)."""

    def __init__(self, items, copy_one):
        super().__init__(items)
        self.copy_one = copy_one

    def __deepcopy__(self, memo):
        return {name: self.copy_one(item) for name, item in self.items()}


class _FilterSetMetaclass(FilterSetMetaclass):
    def __new__(mcs, name, bases, attrs):
        new_class = super().__new__(mcs, name, bases, attrs)
        new_class.base_filters = _CopiedPerRequest(new_class.base_filters, _filter_for_request)
        return new_class


# Each FilterSet's form class, by the FilterSet and the filters it kept (see get_form_class).
_form_classes: dict[tuple, type] = {}


class FilterSet(django_filters.FilterSet, metaclass=_FilterSetMetaclass):
    """Every list's filters. Choices read from the database (callables) are read at most once
    per request, where Django would read them to validate a value and again for the drop-down;
    they are set on the form's own fields, after the form copied them.

    The form class is built once per process for each set of filters: django-filter builds a
    new class, and a new field for every filter, on every request (a millisecond of a list
    page). Each request's filters and form fields are shallow copies (_CopiedPerRequest). So a
    subclass's `__init__` may drop filters but not change them, nothing may change a filter's
    or a field's choices in place, and a ModelChoiceFilter's queryset callable must not depend
    on the request: it is called once.
    """

    def get_form_class(self):
        key = (type(self), tuple(self.filters))
        form_class = _form_classes.get(key)
        if form_class is None:
            form_class = super().get_form_class()
            form_class.base_fields = _CopiedPerRequest(form_class.base_fields, _field_for_request)
            _form_classes[key] = form_class
        return form_class

    @property
    def form(self):
        if not hasattr(self, "_form"):
            for field in super().form.fields.values():
                choices = getattr(field, "choices", None)
                # django-filter wraps the choices it was given in an iterator of its own.
                given = getattr(choices, "choices", choices)
                if callable(given):
                    field.choices = OnceChoices(given)
                elif isinstance(given, CallableChoiceIterator):
                    field.choices = OnceChoices(given.func)
        return self._form
