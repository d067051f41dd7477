from django import forms
from django.core.validators import MinValueValidator

from campaigns.models import Channel
from crm.widgets import DateInput
from leads.assignment import active_reps
from reports.models import MQL_FIELD_CHOICES, WEEKDAY_NAMES, Quota, ServiceLevelAgreement
from reports.services import SLA_TERMS


class QuotaForm(forms.ModelForm):
    class Meta:
        model = Quota
        fields = ["rep", "period", "period_start", "amount"]
        widgets = {"period_start": DateInput()}
        labels = {"period_start": "Starts on", "amount": "Revenue quota"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rep"].queryset = active_reps().order_by("first_name", "username")
        self.fields["rep"].label = "Sales rep"
        self.fields["amount"].widget.attrs["min"] = "0.01"


class SlaForm(forms.ModelForm):
    """The terms of a new SLA version; saving never edits the one in force."""

    working_days = forms.TypedMultipleChoiceField(
        choices=list(enumerate(WEEKDAY_NAMES)),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        label="Working days",
    )
    mql_required_fields = forms.MultipleChoiceField(
        choices=MQL_FIELD_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Fields an MQL must have",
    )

    class Meta:
        model = ServiceLevelAgreement
        # The channels' targets are one number field per channel (`target_<channel>`).
        fields = [*(name for name in SLA_TERMS if name != "mql_targets_by_channel"), "change_note"]
        widgets = {
            "workday_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "workday_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("accept_within_hours", "first_contact_within_hours", "qualify_within_days"):
            field = self.fields[name]
            field.validators.append(MinValueValidator(1, "A window of at least 1 is needed."))
            field.widget.attrs["min"] = "1"
        targets = self.initial.get("mql_targets_by_channel") or {}
        for key, label in Channel.choices:
            self.fields[f"target_{key}"] = forms.IntegerField(
                label=label,
                required=False,
                min_value=1,
                initial=targets.get(key),
                widget=forms.NumberInput(attrs={"min": "1"}),
            )

    def target_fields(self):
        return [self[f"target_{key}"] for key, _ in Channel.choices]

    def clean(self):
        cleaned = super().clean()
        targets = {
            key: cleaned[f"target_{key}"]
            for key, _ in Channel.choices
            if cleaned.get(f"target_{key}") is not None
        }
        total = cleaned.get("mql_target_per_month")
        if total is not None and sum(targets.values()) > total:
            raise forms.ValidationError(
                f"The channels' targets add up to {sum(targets.values())}, more than the "
                f"{total} MQLs a month in all."
            )
        cleaned["mql_targets_by_channel"] = targets
        return cleaned

    def clean_change_note(self):
        note = self.cleaned_data["change_note"].strip()
        if not note:
            raise forms.ValidationError("Say what changed and why: both teams read it.")
        return note

    def terms(self) -> dict:
        return {name: self.cleaned_data[name] for name in SLA_TERMS}
