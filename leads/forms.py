from django import forms

from campaigns.models import Channel
from leads.models import CompanySize, ScoringRule

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
