"""Portal forms of the books (FIN-11): a cash deposit or withdrawal and the monthly
reconciliation. They parse only; finance.services.books checks every rule, and a one-time
token (finance.forms.OneTimeTokenMixin) keeps a double tap from recording twice."""

from django import forms
from django.utils.translation import gettext_lazy as _

from finance.forms import OneTimeTokenMixin

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Amounts are parsed loosely here: the service refuses zero, negatives and more than two
# decimals with its own message (and rule id), exactly as in the admin and the API.
LOOSE = {"max_digits": 20, "decimal_places": 6}


class CashMoveForm(OneTimeTokenMixin, forms.Form):
    direction = forms.ChoiceField(
        label=_("业务"),
        choices=[("withdraw", _("从银行提取现金")), ("deposit", _("现金存入银行"))],
    )
    amount = forms.DecimalField(label=_("金额（元）"), **LOOSE)
    on = forms.DateField(label=_("日期"), required=False, widget=DATE, help_text=_("留空为今天"))
    note = forms.CharField(label=_("摘要补充"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_token()


class ReconciliationForm(OneTimeTokenMixin, forms.Form):
    month = forms.DateField(
        label=_("对账月份"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    counted_cash = forms.DecimalField(label=_("库存现金实点（元）"), **LOOSE)
    bank_statement = forms.DecimalField(label=_("银行对账单余额（元）"), **LOOSE)
    explanation = forms.CharField(
        label=_("差异说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("账实不符时必须填写（FIN-11）"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_token()
