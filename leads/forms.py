from django import forms
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from campaigns.models import Campaign, Channel
from crm.templatetags.fields import field_html
from crm.validators import PHONE
from crm.widgets import DateInput
from leads import deal_importer, importer
from leads.models import (
    Account,
    Activity,
    CompanySize,
    DisqualifyReason,
    Lead,
    LeadImport,
    Opportunity,
    Proposal,
    RejectReason,
    ScoringRule,
    StageProbability,
)

Field, Condition = ScoringRule.Field, ScoringRule.Condition


# A submission count a rule may name (a lead's count is an integer column).
MAX_SUBMISSIONS = 1_000_000


class ScoringRuleForm(forms.ModelForm):
    class Meta:
        model = ScoringRule
        fields = ["field", "condition", "value", "points", "is_active"]

    def clean(self):
        cleaned = super().clean()
        field, condition = cleaned.get("field"), cleaned.get("condition")
        value = (cleaned.get("value") or "").strip()
        if not (field and condition and value):
            return cleaned
        parts = [p.strip() for p in value.split(",")] if condition == Condition.IN_LIST else [value]
        parts = [p for p in parts if p]
        if not parts:
            self.add_error("value", "Give at least one value.")
            return cleaned
        if condition == Condition.AT_LEAST and field not in {Field.SUBMISSIONS, Field.COMPANY_SIZE}:
            self.add_error(
                "condition", "“is at least” compares numbers: use it with form submissions or size."
            )
        elif field == Field.SUBMISSIONS:
            if condition == Condition.CONTAINS or not all(p.isdecimal() for p in parts):
                self.add_error("value", "Form submissions are counted: give whole numbers.")
            elif any(int(p) > MAX_SUBMISSIONS for p in parts):
                self.add_error("value", f"Give a count of at most {MAX_SUBMISSIONS:,}.")
            else:
                parts = [str(int(p)) for p in parts]  # "١٢" and "012" are stored as 12
        elif field == Field.COMPANY_SIZE:
            sizes = {label.casefold(): size for size, label in CompanySize.choices}
            sizes |= {size.casefold(): size for size in CompanySize.values}
            unknown = [p for p in parts if p.casefold() not in sizes]
            if unknown:
                self.add_error(
                    "value", f"Company sizes are {', '.join(CompanySize.values)}; not {unknown[0]}."
                )
            else:
                parts = [sizes[p.casefold()] for p in parts]
        elif field == Field.CHANNEL:
            channels = {label.casefold(): code for code, label in Channel.choices}
            channels |= {code: code for code in Channel.values}
            unknown = [p for p in parts if p.casefold() not in channels]
            if unknown and condition != Condition.CONTAINS:
                self.add_error("value", f"“{unknown[0]}” is not a channel.")
            elif condition != Condition.CONTAINS:
                parts = [channels[p.casefold()] for p in parts]
        cleaned["value"] = ", ".join(parts)
        return cleaned


class LeadForm(forms.ModelForm):
    class Meta:
        model = Lead
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "company",
            "job_title",
            "industry",
            "company_size",
            "country",
            "campaign",
            "channel",
            "external_id",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].validators.append(PHONE)
        self.fields["campaign"].queryset = Campaign.objects.choices()

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if email:
            twin = Lead.objects.with_email(email).exclude(pk=self.instance.pk).first()
            if twin:
                raise forms.ValidationError(
                    format_html(
                        'Another lead already has this e-mail: <a href="{}">{}</a>.',
                        twin.get_absolute_url(),
                        twin,
                    )
                )
        return email

    def clean_external_id(self):
        external_id = self.cleaned_data["external_id"].strip()
        if external_id:
            twin = Lead.objects.filter(external_id=external_id).exclude(pk=self.instance.pk).first()
            if twin:
                raise forms.ValidationError(
                    format_html(
                        'Another lead already has this external id: <a href="{}">{}</a>.',
                        twin.get_absolute_url(),
                        twin,
                    )
                )
        return external_id

    def clean(self):
        cleaned = super().clean()
        campaign = cleaned.get("campaign")
        if campaign and not cleaned.get("channel"):
            cleaned["channel"] = campaign.channel
        return cleaned


class SendToSalesForm(forms.Form):
    justification = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed only when the lead does not meet the MQL definition.",
    )


class ImportUploadForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8 text, comma or semicolon separated.")
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.choices(),
        required=False,
        empty_label="No campaign",
        help_text="The campaign these leads came from, if any.",
    )
    dayfirst = forms.BooleanField(
        label="Dates are day first (31/12/2026)", required=False, initial=True
    )
    on_duplicate = forms.ChoiceField(
        label="When a lead already exists",
        choices=LeadImport.OnDuplicate.choices,
        initial=LeadImport.OnDuplicate.UPDATE,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > importer.MAX_BYTES:
            raise forms.ValidationError("The file is larger than 50 MB: split it and retry.")
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError("Upload a .csv file (a spreadsheet saved as CSV).")
        return upload

    def options(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("campaign", "dayfirst", "on_duplicate")}


class ColumnMappingForm(forms.Form):
    """One choice per column of the file: which field it fills, if any. Subclasses say which
    fields there are (`field_spec`) and which must be chosen (`check`)."""

    field_spec: dict = {}

    def __init__(self, *args, header: list[str], mapping: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.header = header
        by_column = {column: name for name, column in mapping.items()}
        choices = [("", "— ignore —")] + [(k, label) for k, (label, _) in self.field_spec.items()]
        for index, column in enumerate(header):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=column or f"Column {index + 1}",
                choices=choices,
                required=False,
                initial=by_column.get(column, ""),
            )
        # The extra settings (source or stage names) come after the columns.
        self.order_fields([f"col_{i}" for i in range(len(header))])

    def column_fields(self):
        return [self[f"col_{i}"] for i in range(len(self.header))]

    def extra_fields(self):
        return [self[name] for name in self.fields if not name.startswith("col_")]

    @staticmethod
    def _pairs(text: str, allowed: list[str], what: str) -> dict[str, str]:
        pairs = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            source, sep, target = line.partition("=")
            target = target.strip().casefold()
            if not sep or not source.strip():
                raise forms.ValidationError(f"Line {number}: write NAME = {what.upper()}.")
            if target not in allowed:
                raise forms.ValidationError(f"Line {number}: “{target}” is not a {what}.")
            pairs[source.strip()] = target
        return pairs

    def check(self, mapping: dict) -> None:
        """Raise ValidationError when a needed field has no column."""

    def clean(self):
        cleaned = super().clean()
        mapping, twice = {}, []
        for index, column in enumerate(self.header):
            name = cleaned.get(f"col_{index}")
            if name:
                if name in mapping:
                    twice.append(self.field_spec[name][0])
                mapping[name] = column
        if twice:
            raise forms.ValidationError(f"{twice[0]} is chosen for two columns: keep one.")
        self.check(mapping)
        cleaned["mapping"] = mapping
        return cleaned


class ImportMappingForm(ColumnMappingForm):
    field_spec = importer.FIELDS

    channel_map = forms.CharField(
        label="Source names to channels",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "LinkedIn Ads = paid_social"}),
        help_text="One per line, SOURCE = CHANNEL. Unknown sources become “other” and keep "
        f"their name. Channels: {', '.join(Channel.values)}.",
    )

    def clean_channel_map(self):
        return self._pairs(self.cleaned_data["channel_map"], Channel.values, "channel")

    def check(self, mapping):
        if not set(mapping) & {"email", "external_id"}:
            raise forms.ValidationError(
                "Choose the E-mail or External id column: leads are matched on it."
            )
        if not set(mapping) & {"first_name", "full_name"}:
            raise forms.ValidationError("Choose the First name (or Full name) column.")


class DealImportMappingForm(ColumnMappingForm):
    field_spec = deal_importer.FIELDS

    stage_map = forms.CharField(
        label="The file's stage names to stages",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Prospecting = discovery"}),
        help_text="One per line, NAME = STAGE. Won, Lost and our own stage names are known. "
        f"Stages: {', '.join(Opportunity.Stage.values)}.",
    )

    def clean_stage_map(self):
        return self._pairs(self.cleaned_data["stage_map"], Opportunity.Stage.values, "stage")

    def check(self, mapping):
        needed = (*deal_importer.REQUIRED, "close_date")
        missing = [deal_importer.FIELDS[name][0] for name in needed if name not in mapping]
        if missing:
            raise forms.ValidationError(f"Choose the column for: {', '.join(missing)}.")


class DealImportUploadForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8 text, comma or semicolon separated.")
    dayfirst = forms.BooleanField(
        label="Dates are day first (31/12/2026)", required=False, initial=True
    )
    on_duplicate = forms.ChoiceField(
        label="When a deal with the same external id exists",
        choices=[
            ("skip", "Skip the row"),
            ("update", "Update its name, product, owner, amount and close date"),
        ],
        initial="skip",
    )
    create_users = forms.BooleanField(
        label="Create a sales rep for each owner nobody is called",
        required=False,
        help_text="Otherwise such rows are reported as errors. New reps cannot log in until "
        "a password is set for them.",
    )

    clean_file = ImportUploadForm.clean_file

    def options(self) -> dict:
        return {
            name: self.cleaned_data[name] for name in ("dayfirst", "on_duplicate", "create_users")
        }


class RejectForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "Choose a reason…"), *RejectReason.choices])
    detail = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the reason is “Other”; marketing reads it in nurture.",
    )


class DisqualifyForm(forms.Form):
    ACTIONS = [("disqualify", "Disqualify for good"), ("recycle", "Recycle to marketing nurture")]

    action = forms.ChoiceField(choices=ACTIONS, widget=forms.RadioSelect, initial="recycle")
    reason = forms.ChoiceField(choices=[("", "Choose a reason…"), *DisqualifyReason.choices])
    detail = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class QualifyForm(forms.Form):
    """BANT: what sales confirmed before calling the lead sales-qualified."""

    budget = forms.CharField(max_length=300, help_text="Is money set aside, and how much?")
    authority = forms.CharField(max_length=300, help_text="Who signs?")
    need = forms.CharField(max_length=300, help_text="What problem must this solve?")
    timeline = forms.CharField(max_length=300, help_text="When do they want to decide?")

    def as_detail(self) -> str:
        return "\n".join(
            f"{name.capitalize()}: {self.cleaned_data[name].strip()}"
            for name in ("budget", "authority", "need", "timeline")
        )


class ConvertForm(forms.Form):
    account_name = forms.CharField(
        max_length=200, required=False, help_text="An existing account with this name is reused."
    )
    opportunity_name = forms.CharField(max_length=200, label="Opportunity name")
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    expected_close_date = forms.DateField(widget=DateInput())

    def clean_expected_close_date(self):
        day = self.cleaned_data["expected_close_date"]
        if day < timezone.localdate():
            raise forms.ValidationError("The expected close date is in the past.")
        return day


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=None, label="Assign to", empty_label="Choose a rep…")

    def __init__(self, *args, **kwargs):
        from leads.assignment import active_reps

        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = active_reps()


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["kind", "outcome", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 3, "maxlength": 5000})}
        labels = {"body": "What happened"}

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if len(body) > 5000:
            raise forms.ValidationError("Keep it under 5,000 characters.")
        return body


_BLANK_ACTIVITY_FIELDS: dict[str, dict[str, SafeString]] = {}


def blank_activity_fields() -> dict[str, SafeString]:
    """An empty `ActivityForm`'s fields as the lead and deal pages draw them (`form_field`), by
    name: written once per process and language, since the form is the same on every page
    (a form that fails goes back as a message). Building and drawing it took 0.3 ms a page."""
    language = get_language()
    if language not in _BLANK_ACTIVITY_FIELDS:
        form = ActivityForm()
        _BLANK_ACTIVITY_FIELDS[language] = {name: field_html(form[name]) for name in form.fields}
    return _BLANK_ACTIVITY_FIELDS[language]


class ActivityEditForm(ActivityForm):
    class Meta(ActivityForm.Meta):
        fields = ["outcome", "body"]


# --- Deals ------------------------------------------------------------------------------------

DATE_INPUT = DateInput()
OPEN_STAGES = [(s.value, s.label) for s in Opportunity.Stage if s in Opportunity.OPEN_STAGES]


class SeenVersion(forms.Form):
    """The version of the deal the form was filled from (hidden): a change someone made since
    refuses the form rather than being silently undone (leads.services.deals)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class OpportunityForm(forms.ModelForm):
    """A deal's details. The account is named, not picked from a list (there may be tens of
    thousands): the account with that name is used, a new name makes a new account. Only
    managers see (and may change) the owner."""

    account_name = forms.CharField(
        max_length=200,
        label="Account",
        help_text="The account with this name is used (any case); a new name makes a new account.",
    )
    version = SeenVersion.base_fields["version"]

    class Meta:
        model = Opportunity
        fields = ["name", "amount", "expected_close_date", "type", "product", "owner"]
        widgets = {"expected_close_date": DATE_INPUT}
        labels = {"name": "Opportunity name"}

    def __init__(self, *args, manager: bool = False, **kwargs):
        from leads.assignment import active_reps

        super().__init__(*args, **kwargs)
        creating = self.instance.pk is None
        self.order_fields(["name", "account_name"])
        self.fields["amount"].min_value = 0
        self.fields["amount"].widget.attrs["min"] = "0"
        if creating:
            self.fields["type"].required = False
            self.fields["type"].choices = [
                ("", "From the account's history (new business or upsell)"),
                *Opportunity.Type.choices,
            ]
        else:
            self.fields["account_name"].initial = self.instance.account.name
            self.fields["version"].initial = self.instance.version
        if manager:
            self.fields["owner"].queryset = active_reps().order_by("first_name", "username")
            self.fields["owner"].required = creating is False
            self.fields["owner"].empty_label = "Me" if creating else None
        else:
            del self.fields["owner"]

    def clean_account_name(self):
        name = self.cleaned_data["account_name"].strip()
        if not name:
            raise forms.ValidationError("Name the account.")
        return name

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount < 0:
            raise forms.ValidationError("The amount must be zero or more.")
        return amount

    def clean_expected_close_date(self):
        day = self.cleaned_data["expected_close_date"]
        changed = self.instance.pk is None or day != self.instance.expected_close_date
        if changed and day < timezone.localdate():
            raise forms.ValidationError("The expected close date is in the past.")
        return day


class MoveForm(SeenVersion):
    stage = forms.ChoiceField(choices=OPEN_STAGES, label="Move to")


class CloseWonForm(SeenVersion):
    closed_date = forms.DateField(label="Won on", widget=DATE_INPUT, initial=timezone.localdate)

    def clean_closed_date(self):
        day = self.cleaned_data["closed_date"]
        if day > timezone.localdate():
            raise forms.ValidationError("A deal cannot be won on a date still to come.")
        return day


class CloseLostForm(SeenVersion):
    reason = forms.ChoiceField(
        choices=[("", "Choose…"), *Opportunity.LostReason.choices], label="Lost because"
    )
    detail = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the reason is “Other”.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == Opportunity.LostReason.OTHER and not cleaned.get("detail"):
            self.add_error("detail", "Say why when the reason is “Other”.")
        return cleaned


class ReopenForm(SeenVersion):
    stage = forms.ChoiceField(choices=OPEN_STAGES, initial="negotiation", label="Back to")
    note = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Why reopen it"
    )


class StageProbabilityForm(forms.ModelForm):
    class Meta:
        model = StageProbability
        fields = ["probability"]
        widgets = {
            "probability": forms.NumberInput(attrs={"min": 0, "max": 100, "class": "form-control"})
        }


# Edits the rows there are; a posted form count past them adds nothing.
StageProbabilityFormSet = forms.modelformset_factory(
    StageProbability, form=StageProbabilityForm, extra=0, can_delete=False, edit_only=True
)


class AccountForm(forms.ModelForm):
    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Account
        fields = ["name", "industry", "company_size", "website", "country", "owner"]

    def __init__(self, *args, **kwargs):
        from leads.assignment import active_reps

        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = active_reps().order_by("first_name", "username")
        self.fields["owner"].label = "Account owner"

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Account.objects.named(name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("Another account already has this name.")
        return name


# --- Proposals --------------------------------------------------------------------------------


class ProposalForm(forms.ModelForm):
    class Meta:
        model = Proposal
        fields = ["title", "valid_until", "tax_rate", "terms"]
        widgets = {
            "valid_until": DATE_INPUT,
            "terms": forms.Textarea(attrs={"rows": 4}),
            "tax_rate": forms.NumberInput(attrs={"min": 0, "max": 100, "step": "0.01"}),
        }
        help_texts = {"tax_rate": "Applied to the subtotal; 0 for none."}

    def clean_tax_rate(self):
        rate = self.cleaned_data["tax_rate"]
        if not 0 <= rate <= 100:
            raise forms.ValidationError("The tax rate is a percentage, 0–100.")
        return rate


class ProposalLineForm(forms.Form):
    description = forms.CharField(max_length=300)
    quantity = forms.DecimalField(
        max_digits=10,
        decimal_places=2,
        initial=1,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01"}),
    )
    unit_price = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
    )
    discount_percent = forms.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        initial=0,
        label="Discount (%)",
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100"}),
    )

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        if quantity <= 0:
            raise forms.ValidationError("The quantity must be more than zero.")
        return quantity


class BaseProposalLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[dict]:
        """The filled-in lines, in order, without the ones ticked for removal or left blank."""
        return [
            {name: form.cleaned_data[name] for name in ProposalLineForm.base_fields}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self):
        super().clean()
        if not any(self.errors) and not self.lines():
            raise forms.ValidationError("Add at least one line.")


ProposalLineFormSet = forms.formset_factory(
    ProposalLineForm,
    formset=BaseProposalLineFormSet,
    extra=1,
    can_delete=True,
    max_num=100,
    validate_max=True,
)
