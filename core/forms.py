"""Forms of the worker portal."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import FindingStatus


class FindingFilterForm(forms.Form):
    """Filter a community's latest findings by conclusion and rule id (GET, no JS)."""

    status = forms.ChoiceField(
        label=_("结论"),
        required=False,
        choices=[("", _("全部"))] + list(FindingStatus.choices),
    )
    rule = forms.CharField(label=_("规则编号"), required=False, max_length=20)

    def apply(self, pairs):
        """The (check, finding) pairs that match; unchecked items only when no filter is set."""
        if not self.is_valid():
            return pairs
        status = self.cleaned_data["status"]
        rule = self.cleaned_data["rule"].strip().upper()
        if status:
            pairs = [(c, f) for c, f in pairs if f is not None and f.status == status]
        if rule:
            pairs = [(c, f) for c, f in pairs if c.rule_id.upper().startswith(rule)]
        return pairs
