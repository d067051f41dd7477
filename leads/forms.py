from django import forms
from django.utils.html import format_html

from campaigns.models import Campaign, Channel
from crm.validators import PHONE
from leads.models import CompanySize, Lead, ScoringRule

Field, Condition = ScoringRule.Field, ScoringRule.Condition


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
            if condition == Condition.CONTAINS or not all(p.isdigit() for p in parts):
                self.add_error("value", "Form submissions are counted: give whole numbers.")
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
        self.fields["campaign"].queryset = Campaign.objects.order_by("name")

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if email:
            twin = Lead.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).first()
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
