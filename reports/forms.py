from django import forms

from crm.widgets import DateInput
from leads.assignment import active_reps
from reports.models import Quota


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
