"""Form fields in Bootstrap 5's markup, written in Python.

crispy-forms draws a field through five nested templates: on a lead page its three action forms
took 9 ms of 15. The forms that sit on the busy pages (a record's action panels, the activity
and spend forms, filter bars) use these tags instead, with the same markup crispy's bootstrap5
pack writes (ids, label `for`, required marks, help text tied by aria-describedby, errors next
to the control); the create and edit pages keep crispy, where the rendering time does not
matter and its layouts do.

    {% load fields %}
    {% form_fields form %}        every field, the hidden ones and the form's own errors
    {% form_field form.amount %}  one field
"""

from functools import lru_cache

from django import template
from django.forms import CheckboxInput, RadioSelect, Select, Textarea
from django.forms.boundfield import BoundField
from django.utils.safestring import SafeString, mark_safe
from django_filters.fields import ChoiceIterator

from crm.html import escape
from crm.html import html_format as format_html

register = template.Library()

# crispy-bootstrap5's class for each input type, before Bootstrap's own.
_INPUT_CLASS = {
    "text": "textinput",
    "email": "emailinput",
    "number": "numberinput",
    "date": "dateinput",
    "url": "urlinput",
    "password": "passwordinput",
    "tel": "textinput",
    "datetime-local": "datetimeinput",
    "file": "fileinput",
}


def _control_class(widget) -> str:
    if isinstance(widget, Select) and not widget.allow_multiple_selected:
        return "select form-select"
    if isinstance(widget, Select):
        return "selectmultiple form-select"
    if isinstance(widget, Textarea):
        return "textarea form-control"
    kind = getattr(widget, "input_type", "text")
    return f"{_INPUT_CLASS.get(kind, kind + 'input')} form-control"


def _errors(field: BoundField) -> str:
    return "".join(
        format_html(
            '<span id="error_{}_{}" class="invalid-feedback"><strong>{}</strong></span>',
            i,
            field.auto_id,
            error,
        )
        for i, error in enumerate(field.errors, start=1)
    )


def _help(field: BoundField) -> str:
    if not field.help_text:
        return ""
    return format_html(
        '<div id="{}_helptext" class="form-text">{}</div>', field.auto_id, field.help_text
    )


def _label_text(field: BoundField) -> SafeString:
    if field.field.required:
        return format_html('{}<span class="asteriskField">*</span>', field.label)
    return mark_safe(escape(field.label))


def _required_class(field: BoundField) -> str:
    return " requiredField" if field.field.required else ""


def _choices(field: BoundField, attrs: dict) -> SafeString:
    """Radio buttons as Bootstrap form-check rows, in a fieldset whose legend is the label."""
    chosen = {str(v) for v in field.field.widget.format_value(field.value())}
    invalid = " is-invalid" if field.errors else ""
    required = " required" if field.field.required else ""
    rows = []
    for i, (value, label) in enumerate(field.field.choices):
        value = "" if value is None else str(value)
        rows.append(
            format_html(
                '<div class="form-check"><input type="radio" class="form-check-input{}" '
                'name="{}" value="{}" id="{}_{}"{}{}{}><label for="{}_{}" '
                'class="form-check-label">{}</label></div>',
                invalid,
                field.html_name,
                value,
                field.auto_id,
                i,
                mark_safe(required),
                mark_safe(" checked" if value in chosen else ""),
                mark_safe(
                    format_html(' aria-describedby="{}"', attrs["aria-describedby"])
                    if "aria-describedby" in attrs
                    else ""
                ),
                field.auto_id,
                i,
                label,
            )
        )
    return format_html(
        '<div id="div_{}" class="mb-3"><fieldset><legend class="form-label{} fs-6">{}</legend>'
        "<div>{}</div>{}{}</fieldset></div>",
        field.auto_id,
        _required_class(field),
        _label_text(field),
        mark_safe("".join(rows)),
        mark_safe(_errors(field)),
        mark_safe(_help(field)),
    )


def field_html(field: BoundField, *, required_marks: bool = True) -> SafeString:
    """One visible field: label, control, errors, help text."""
    widget = field.field.widget
    attrs = {}
    # Screen readers announce the errors and the help with the control.
    described = [f"error_{i}_{field.auto_id}" for i in range(1, len(field.errors) + 1)]
    if field.help_text:
        described.append(f"{field.auto_id}_helptext")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if field.errors:
        attrs["aria-invalid"] = "true"
    if isinstance(widget, RadioSelect):
        return _choices(field, attrs)
    checkbox = isinstance(widget, CheckboxInput)
    css = "checkboxinput form-check-input" if checkbox else _control_class(widget)
    if field.errors:
        css += " is-invalid"
    attrs["class"] = css
    control = (_select(field, attrs) if type(widget) is Select else None) or field.as_widget(
        attrs=attrs
    )
    marks = required_marks and field.field.required
    label = format_html(
        '<label for="{}" class="{}{}">{}</label>',
        field.id_for_label,
        "form-check-label" if checkbox else "form-label",
        " requiredField" if marks else "",
        _label_text(field) if marks else field.label,
    )
    extra = mark_safe(_errors(field) + _help(field))
    if checkbox:
        return format_html(
            '<div id="div_{}" class="mb-3 form-check">{}{}{}</div>',
            field.auto_id,
            control,
            label,
            extra,
        )
    return format_html(
        '<div id="div_{}" class="mb-3">{}{}{}</div>', field.auto_id, label, control, extra
    )


def _attributes(attrs: dict) -> str:
    """Django's `flatatt()` (name="value" pairs by name, then the true booleans by name)
    without its lazy-string wrappers."""
    pairs = sorted((k, v) for k, v in attrs.items() if v is not None and not isinstance(v, bool))
    flags = sorted(k for k, v in attrs.items() if v is True)
    return "".join(f' {k}="{escape(v)}"' for k, v in pairs) + "".join(f" {k}" for k in flags)


@lru_cache(maxsize=256)
def _options(empty_label, choices: tuple, chosen: frozenset) -> str | None:
    """A drop-down's <option>s. The same few lists are drawn on every list page (two hundred
    campaigns cost 0.4 ms to escape each time), so each is written once per process for each
    choice made; the choices themselves are the key, so a renamed campaign is a new list."""
    html = [] if empty_label is None else [f'<option value="">{escape(empty_label)}</option>']
    for value, label in choices:
        if isinstance(label, (list, tuple)):  # an optgroup: Django's own rendering
            return None
        value = "" if value is None else str(value)
        selected = " selected" if value in chosen else ""
        if not value.isdigit():  # ids need no escaping
            value = escape(value)
        html.append(f'<option value="{value}"{selected}>{escape(label)}</option>')
    return "\n".join(html)


def select_options(choices, *, empty_label: str | None = None) -> SafeString:
    """A drop-down's <option>s for (value, label) pairs, none chosen, written once per process
    for each list (as `_options`)."""
    return mark_safe(_options(empty_label, tuple(choices), frozenset()))


def _select(field, attrs) -> str | None:
    """A single-choice drop-down written straight from the field's choices: Django first
    builds a dict per option (a list of two hundred campaigns took a millisecond). None for
    what it does not write (option groups, a null choice)."""
    chosen = frozenset(str(v) for v in field.field.widget.format_value(field.value()))
    attrs = {"name": field.html_name, **attrs, "id": field.auto_id}
    if field.field.required and field.form.use_required_attribute:
        attrs["required"] = True
    choices, empty_label = field.field.choices, None
    if isinstance(choices, ChoiceIterator):  # django-filter's: the empty choice, then the list
        if choices.field.null_label is not None:
            return None
        empty_label = choices.field.empty_label
        choices = choices.choices
    try:
        # iter(): a ModelChoiceIterator asked for its length counts its rows in a query.
        options = _options(empty_label, tuple(iter(choices)), chosen)
    except TypeError:  # a choice that cannot be a key (an option group's list)
        return None
    if options is None:
        return None
    parts = [f"<select{_attributes(attrs)}>", options, "</select>"]
    return mark_safe("\n".join(part for part in parts if part))


@register.simple_tag
def form_field(field: BoundField) -> SafeString:
    return field_html(field)


def form_html(form, *, required_marks: bool = True, alert: str = "alert alert-danger") -> str:
    """A whole form's fields: the hidden ones, the form's own errors (in a box of class
    `alert`), then every visible field."""
    parts = [str(field) for field in form.hidden_fields()]
    parts += [
        format_html('<div class="{}" role="alert">{}</div>', alert, error)
        for error in form.non_field_errors()
    ]
    parts += [field_html(field, required_marks=required_marks) for field in form.visible_fields()]
    return mark_safe("\n".join(parts))


@register.simple_tag
def form_fields(form) -> SafeString:
    return form_html(form)
