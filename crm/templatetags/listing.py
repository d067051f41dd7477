"""What list pages share: sortable column headers (through a django-filter OrderingFilter) and
the filter form."""

from django import template
from django.forms import CheckboxInput, Select
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django_filters.fields import ChoiceIterator

from crm.html import escape

register = template.Library()


@register.simple_tag(takes_context=True)
def sortable_th(context, label: str, key: str, css: str = ""):
    """A <th> whose link sorts by `key`, then by `-key`; says the current order to screen
    readers with aria-sort."""
    request = context["request"]
    current = request.GET.get("ordering", "")
    params = request.GET.copy()
    for paging in ("page", "after", "before"):  # a new order starts at its first page
        params.pop(paging, None)
    if current == key:
        params["ordering"], aria, arrow = f"-{key}", "ascending", " ▲"
    elif current == f"-{key}":
        params["ordering"], aria, arrow = key, "descending", " ▼"
    else:
        params["ordering"], aria, arrow = key, "none", ""
    return format_html(
        '<th scope="col" class="{}" aria-sort="{}"><a class="sort-link" href="?{}">{}{}</a></th>',
        css,
        aria,
        params.urlencode(),
        label,
        arrow,
    )


@register.simple_tag
def filter_fields(form):
    """A filter form's fields in Bootstrap's markup, written here rather than through crispy's
    templates: crispy took 10 ms of a 30 ms list page for eleven fields, this about one."""
    parts = [str(field) for field in form.hidden_fields()]
    for error in form.non_field_errors():
        parts.append(format_html('<div class="alert alert-danger py-2 small">{}</div>', error))
    for field in form.visible_fields():
        widget = field.field.widget
        checkbox = isinstance(widget, CheckboxInput)
        css = (
            "form-check-input"
            if checkbox
            else "form-select"
            if isinstance(widget, Select)
            else "form-control"
        )
        if field.errors:
            css += " is-invalid"
        attrs = {"class": css}
        if field.help_text:
            attrs["aria-describedby"] = f"{field.auto_id}_helptext"
        control = (_select(field, attrs) if type(widget) is Select else None) or field.as_widget(
            attrs=attrs
        )
        label = format_html(
            '<label for="{}" class="{}">{}</label>',
            field.id_for_label,
            "form-check-label" if checkbox else "form-label",
            field.label,
        )
        extra = format_html_join(
            "", '<div class="invalid-feedback d-block">{}</div>', ((e,) for e in field.errors)
        )
        if field.help_text:
            extra += format_html(
                '<div id="{}_helptext" class="form-text">{}</div>', field.auto_id, field.help_text
            )
        if checkbox:
            parts.append(
                format_html('<div class="mb-3 form-check">{}{}{}</div>', control, label, extra)
            )
        else:
            parts.append(format_html('<div class="mb-3">{}{}{}</div>', label, control, extra))
    return mark_safe("\n".join(parts))


def _select(field, attrs) -> str | None:
    """A single-choice drop-down written straight from the field's choices: Django first
    builds a dict per option (a list of two hundred campaigns took a millisecond). None for
    what it does not write (option groups, a null choice)."""
    chosen = {str(v) for v in field.field.widget.format_value(field.value())}
    attrs = {"name": field.html_name, **attrs, "id": field.auto_id}
    html = [f"<select{flatatt(attrs)}>"]
    choices = field.field.choices
    if isinstance(choices, ChoiceIterator):  # django-filter's: the empty choice, then the list
        if choices.field.null_label is not None:
            return None
        if choices.field.empty_label is not None:
            html.append(f'<option value="">{escape(choices.field.empty_label)}</option>')
        choices = choices.choices
    for value, label in choices:
        if isinstance(label, (list, tuple)):  # an optgroup: Django's own rendering
            return None
        value = "" if value is None else str(value)
        selected = " selected" if value in chosen else ""
        if not value.isdigit():  # ids need no escaping
            value = escape(value)
        html.append(f'<option value="{value}"{selected}>{escape(label)}</option>')
    html.append("</select>")
    return mark_safe("\n".join(html))
