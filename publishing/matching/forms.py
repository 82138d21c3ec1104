"""The form that saves a naming rule: a rule that does not compile is refused with its reason."""

from __future__ import annotations

from django import forms

from publishing.matching.rules import RuleInvalid, compile_rule
from publishing.models import NamingRule


class NamingRuleForm(forms.ModelForm):
    class Meta:
        model = NamingRule
        fields = ["position", "pattern", "is_regex"]
        labels = {"pattern": "Rule", "is_regex": "Regular expression"}
        help_texts = {
            "pattern": "Tokens: {sequence} {shot} {task} {asset} {version}; _ - . space / match any of them.",
        }

    def clean(self):
        data = super().clean()
        if "pattern" in data:
            try:
                compile_rule(data["pattern"], is_regex=bool(data.get("is_regex")))
            except RuleInvalid as refused:
                self.add_error("pattern", str(refused))
        return data
