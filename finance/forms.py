"""Portal forms of finance: they parse only; the views call finance.services, so every rule
applies exactly as in the admin and the API.

Double submits (a second tap, a reload after a slow POST) are caught by a one-time token, as
in staffing.forms: each rendered form carries a fresh random token; the view claims it with
an atomic cache.add before calling the service, and a second POST of the same token does
nothing. The claim's own state machine refuses a second approval or payment anyway; the
token also keeps a double tap on "submit a new claim" from filing it twice."""

import uuid

from django import forms
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from core.scoping import scope_for, scoped
from finance.models import (
    AllowanceStandard,
    AttachmentKind,
    BudgetLine,
    BudgetState,
    Decision,
    ExpenseClaim,
    Income,
    PaymentMethod,
)

TOKEN_TTL_SECONDS = 24 * 60 * 60
MAX_FILES = 10


class OneTimeTokenMixin:
    """A hidden one-time token against double submits (see the module docstring)."""

    def _add_token(self):
        self.fields["token"] = forms.UUIDField(widget=forms.HiddenInput)
        if not self.is_bound:
            self.initial["token"] = uuid.uuid4()
        message = _("表单已失效，请刷新页面后重新提交")
        self.fields["token"].error_messages.update({"required": message, "invalid": message})

    def _token_key(self, user) -> str:
        return f"finance:form-token:{user.pk}:{self.cleaned_data['token'].hex}"

    def claim_token(self, user) -> bool:
        return cache.add(self._token_key(user), 1, timeout=TOKEN_TTL_SECONDS)

    def release_token(self, user) -> None:
        cache.delete(self._token_key(user))

    def add_service_errors(self, exc: ValidationError, default_field=None) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(default_field, exc.messages)
            return
        for field, errors in exc.error_dict.items():
            target = field if field in self.fields and field != NON_FIELD_ERRORS else None
            self.add_error(target, [m for e in errors for m in e.messages])


class ActionForm(OneTimeTokenMixin, forms.Form):
    """A button with a token (submit, withdraw)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_token()


class DecideForm(ActionForm):
    decision = forms.ChoiceField(choices=Decision.choices, label=_("意见"))
    step = forms.CharField(widget=forms.HiddenInput)
    comment = forms.CharField(
        required=False, label=_("审批意见"), widget=forms.Textarea(attrs={"rows": 2})
    )


class CollectiveForm(ActionForm):
    """FIN-3 collective review: one present/decision pair per supervision member."""

    comment = forms.CharField(
        required=False, label=_("审议意见"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)
        for m in self.members:
            name = m.get_full_name() or m.get_username()
            self.fields[f"present_{m.pk}"] = forms.BooleanField(
                required=False, label=_("%(name)s 出席") % {"name": name}
            )
            self.fields[f"vote_{m.pk}"] = forms.ChoiceField(
                choices=Decision.choices, label=_("%(name)s 表决") % {"name": name}
            )

    def votes(self) -> dict[int, str]:
        return {
            m.pk: self.cleaned_data[f"vote_{m.pk}"]
            for m in self.members
            if self.cleaned_data.get(f"present_{m.pk}")
        }


class PayForm(ActionForm):
    amount = forms.DecimalField(
        label=_("付款金额（元）"),
        required=False,
        max_digits=14,
        decimal_places=4,
        help_text=_("留空为未付余额"),
    )
    method = forms.ChoiceField(choices=PaymentMethod.choices, label=_("支付方式"))
    paid_on = forms.DateField(
        required=False, label=_("付款日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reference = forms.CharField(required=False, max_length=60, label=_("转账凭证号"))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several invoice files in one field (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ClaimForm(OneTimeTokenMixin, forms.ModelForm):
    """A new expense claim with its invoices (JPG/PNG/PDF, ≤ 5 MB each, checked by
    finance.services.check_upload), filed and optionally submitted at once."""

    files = MultipleFileField(
        label=_("发票或收据"),
        required=False,
        help_text=_("JPG、PNG 或 PDF，每个文件不超过 5 MB"),
    )
    kind = forms.ChoiceField(
        choices=AttachmentKind.choices, initial=AttachmentKind.INVOICE, label=_("凭证类型")
    )
    submit_now = forms.BooleanField(required=False, initial=True, label=_("保存后立即提交审批"))

    class Meta:
        model = ExpenseClaim
        fields = (
            "community",
            "budget_line",
            "payee",
            "purpose",
            "amount",
            "expense_date",
            "payment_method",
            "funded_by",
            "allowance_standard",
            "allowance_units",
            "large_amount_confirmed",
            "note",
        )
        widgets = {
            "expense_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_token()
        scope = scope_for(user)
        communities = scoped(Community.objects.filter(is_active=True), user)
        if not scope.everything:
            allowed = [
                cid
                for cid, perms in scope.perms_by_community.items()
                if "finance.add_expenseclaim" in perms
            ]
            communities = communities.filter(pk__in=allowed)
        self.fields["community"].queryset = communities.order_by("name")
        self.fields["budget_line"].queryset = (
            scoped(BudgetLine.objects.filter(budget__state=BudgetState.APPROVED), user)
            .select_related("budget", "community")
            .order_by("community__name", "-budget__year", "category", "name")
        )
        self.fields["budget_line"].label_from_instance = lambda line: (
            f"{line.community.name} · {line}"
        )
        self.fields["funded_by"].queryset = scoped(
            Income.objects.exclude(earmark_category=""), user
        ).select_related("community")
        self.fields["allowance_standard"].queryset = (
            AllowanceStandard.objects.filter(street_id__in=scope.street_ids)
            if not scope.everything
            else AllowanceStandard.objects.all()
        )
        # The amount is checked by the service (positive, two decimals) with a clear message.
        self.fields["amount"] = forms.DecimalField(
            label=self.fields["amount"].label, max_digits=20, decimal_places=6
        )
        if len(self.fields["community"].queryset) == 1:
            self.initial.setdefault("community", self.fields["community"].queryset[0].pk)

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        if len(files) > MAX_FILES:
            raise ValidationError(_("一次最多上传 %(n)s 个文件") % {"n": MAX_FILES})
        return files

    def _post_clean(self):
        # The model's validation runs in the service (claim_save), with the rule ids.
        from django.forms.models import construct_instance

        construct_instance(self, self.instance, self._meta.fields)
