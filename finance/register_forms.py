"""Portal forms of the receipt register (FIN-11): they parse only; finance.register_views
calls finance.services. Each carries a one-time token against double submits
(finance.forms.OneTimeTokenMixin)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from core.scoping import scope_for, scoped
from finance.forms import OneTimeTokenMixin
from finance.models import ReceiptBatch
from finance.register_selectors import incomes_without_receipt

DATE = forms.DateInput(attrs={"type": "date"})


class BatchForm(OneTimeTokenMixin, forms.ModelForm):
    class Meta:
        model = ReceiptBatch
        fields = ("community", "series", "first_no", "last_no", "received_on", "source", "note")
        widgets = {"received_on": DATE}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_for(user)
        allowed = [
            cid
            for cid, perms in scope.perms_by_community.items()
            if "finance.add_receiptbatch" in perms
        ]
        qs = scoped(Community.objects.order_by("name"), user)
        self.fields["community"].queryset = qs if scope.everything else qs.filter(pk__in=allowed)
        self._add_token()


class IssueForm(OneTimeTokenMixin, forms.Form):
    number = forms.IntegerField(
        label=_("票号"), required=False, min_value=0, help_text=_("留空为下一个号码")
    )
    amount = forms.DecimalField(label=_("金额（元）"), max_digits=14, decimal_places=4)
    payer = forms.CharField(label=_("交款单位或个人"), max_length=200)
    purpose = forms.CharField(label=_("收款事由"), max_length=200, required=False)
    issued_on = forms.DateField(label=_("开票日期"), required=False, widget=DATE)
    income = forms.ModelChoiceField(
        label=_("对应收入"),
        queryset=None,
        required=False,
        help_text=_("FIN-11 账证相符：选择这张收据所记的收入"),
    )

    def __init__(self, *args, batch, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["income"].queryset = incomes_without_receipt(batch.community_id)
        self._add_token()


class VoidForm(OneTimeTokenMixin, forms.Form):
    number = forms.IntegerField(label=_("票号"), min_value=0)
    void_reason = forms.CharField(label=_("作废原因"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_token()


class HandInForm(OneTimeTokenMixin, forms.Form):
    first_no = forms.IntegerField(label=_("起始号码"), min_value=0)
    last_no = forms.IntegerField(label=_("终止号码"), min_value=0)
    handed_to = forms.CharField(label=_("缴交至"), max_length=100)
    handed_on = forms.DateField(label=_("缴销日期"), required=False, widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_token()
