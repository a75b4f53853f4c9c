"""The alert rule form of the rules page."""
from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from recon.kinds import kind_choices, type_choices

from .alerts import file_kind_choices
from .alerts_models import AlertRule
from .alerts_rules import alert_rule_problems, role_label


class AlertRuleForm(forms.ModelForm):
    type_code = forms.ChoiceField(label=_("discrepancy type"), required=False)
    kind = forms.ChoiceField(label=_("kind"), required=False)
    file_kind = forms.ChoiceField(label=_("expected file"), required=False)

    class Meta:
        model = AlertRule
        fields = ["name", "rule_type", "threshold_percent", "threshold_amount", "days", "type_code", "kind", "counterparty",
                  "time_of_day", "file_kind", "subscribers", "role", "active"]
        widgets = {"time_of_day": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "subscribers": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        blank = [("", "—")]
        self.fields["type_code"].choices = blank + list(type_choices())
        self.fields["kind"].choices = blank + list(kind_choices())
        self.fields["file_kind"].choices = blank + file_kind_choices()
        self.fields["role"].label_from_instance = lambda group: role_label(group.name)
        self.fields["subscribers"].queryset = (get_user_model().objects.filter(is_active=True, groups__isnull=False)
                                               .distinct().order_by("username"))

    def clean(self):
        data = super().clean()
        for name, message in alert_rule_problems(data=data).items():
            self.add_error(name, message)
        return data

    def rule_values(self) -> dict:
        """The cleaned fields a service writes, without the subscribers."""
        return {k: v for k, v in self.cleaned_data.items() if k != "subscribers"}
