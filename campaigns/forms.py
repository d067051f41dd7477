from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.text import slugify

from campaigns.filters import campaign_owners
from campaigns.models import Campaign, SpendEntry
from crm.validators import PHONE
from crm.widgets import DateInput
from leads.models import CompanySize

# Words the campaign pages use in their own addresses (/campaigns/new/).
RESERVED_SLUGS = {"new"}


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "name",
            "slug",
            "channel",
            "objective",
            "target_segment",
            "status",
            "start_date",
            "end_date",
            "budget",
            "owner",
            "description",
            "form_headline",
            "form_intro",
        ]
        widgets = {
            "start_date": DateInput,
            "end_date": DateInput,
            "description": forms.Textarea(attrs={"rows": 3}),
            "form_intro": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"slug": "Used in the public form's address; made from the name if empty."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["owner"].queryset = campaign_owners()
        self.fields["budget"].min_value = 0
        self.fields["budget"].widget.attrs["min"] = "0"

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(f"“{slug}” is reserved: choose another slug.")
        return slug

    def clean_budget(self):
        budget = self.cleaned_data["budget"]
        if budget is not None and budget < 0:
            raise forms.ValidationError("The budget cannot be negative.")
        return budget

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("slug") and cleaned.get("name"):
            slug = slugify(cleaned["name"])[:80]
            if not slug or slug in RESERVED_SLUGS:
                self.add_error("slug", "Give the campaign a slug with letters or digits.")
            elif Campaign.objects.filter(slug=slug).exclude(pk=self.instance.pk).exists():
                self.add_error("slug", f"“{slug}” is taken by another campaign: choose another.")
            else:
                cleaned["slug"] = slug
                self.instance.slug = slug
        return cleaned


class SpendEntryForm(forms.ModelForm):
    class Meta:
        model = SpendEntry
        fields = ["date", "amount", "note"]
        widgets = {"date": DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs["min"] = "0.01"

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError("Spend must be more than zero.")
        return amount


class LandingPageForm(forms.Form):
    """The public web-to-lead form. Every field has a length limit; the tracking fields are
    hidden and carried from the landing page's own address."""

    first_name = forms.CharField(max_length=100, label="First name")
    last_name = forms.CharField(max_length=100, label="Last name")
    email = forms.EmailField(max_length=254, label="Work e-mail")
    company = forms.CharField(max_length=200)
    job_title = forms.CharField(max_length=200, label="Job title")
    phone = forms.CharField(max_length=40, required=False, validators=[PHONE])
    company_size = forms.ChoiceField(
        choices=[("", "Choose…"), *CompanySize.choices], label="Company size"
    )
    message = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    consent = forms.BooleanField(
        label="I agree to be contacted about this offer. I can withdraw at any time.",
        error_messages={"required": "Please agree to be contacted, or we cannot reply."},
    )
    # Left empty by people; bots fill every field they find.
    website = forms.CharField(required=False, max_length=200, label="Leave this empty")
    utm_source = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    utm_medium = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    utm_campaign = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    utm_term = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    utm_content = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    referrer = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)
    landing_url = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)

    TRACKING = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"]
    URLS = ["referrer", "landing_url"]

    @classmethod
    def initial_from(cls, request) -> dict:
        """Tracking values from the landing page's address, cut to their limits."""
        initial = {name: request.GET.get(name, "")[:200] for name in cls.TRACKING}
        initial["referrer"] = request.META.get("HTTP_REFERER", "")[:1000]
        initial["landing_url"] = request.build_absolute_uri()[:1000]
        return initial

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))

    def answers(self) -> dict:
        keep = ["first_name", "last_name", "company", "job_title", "phone", "company_size"]
        data = {name: self.cleaned_data[name].strip() for name in keep}
        data["message"] = self.cleaned_data["message"].strip()
        data["consent"] = self.cleaned_data["consent"]
        return data

    def tracking(self) -> dict:
        data = {name: self.cleaned_data[name].strip() for name in self.TRACKING}
        validate = URLValidator(schemes=["http", "https"])
        for name in self.URLS:
            value = self.cleaned_data[name].strip()
            try:
                validate(value)
            except ValidationError:
                value = ""  # not a web address: nothing worth keeping
            data[name] = value
        return data
