from django import forms


class DateInput(forms.DateInput):
    """The browser's date picker. It reads and sends ISO dates whatever the site's locale, so
    the value is always rendered as YYYY-MM-DD (en-GB would otherwise render 23/12/2026, which
    the picker shows as empty)."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs=attrs, format=format or "%Y-%m-%d")
