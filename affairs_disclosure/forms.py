"""Forms of affairs disclosure. They parse only; the views call affairs_disclosure.services.

Double submits (a second tap, a reload after a slow POST) are caught by a one-time token in
a hidden field, as in staffing.forms and finance.forms: staff forms claim it with an atomic
cache.add before calling the service. The residents' question form goes further: its token
is stored in the question's row under a unique index, so two submits of the same form make
one row even if the cache is emptied or both arrive at the same moment."""

import uuid

from django import forms
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from affairs_disclosure import rules
from affairs_disclosure.models import (
    ApprovalSide,
    Category,
    Channel,
    DisclosureItem,
    QuestionKind,
)
from affairs_disclosure.services import question_problems

TOKEN_TTL_SECONDS = 24 * 60 * 60
TEXTAREA = {"rows": 6, "style": "width:100%"}


class OneTimeTokenMixin:
    def _add_token(self):
        self.fields["token"] = forms.UUIDField(widget=forms.HiddenInput)
        if not self.is_bound:
            self.initial["token"] = uuid.uuid4()
        message = _("表单已失效，请刷新页面后重新提交")
        self.fields["token"].error_messages.update({"required": message, "invalid": message})

    def _token_key(self, user) -> str:
        return f"disclosure:form-token:{user.pk}:{self.cleaned_data['token'].hex}"

    def claim_token(self, user) -> bool:
        """True the first time this form's token is submitted by `user`, False after."""
        return cache.add(self._token_key(user), 1, timeout=TOKEN_TTL_SECONDS)

    def release_token(self, user) -> None:
        """Nothing was saved (a rule refused it): the corrected form may be sent again."""
        cache.delete(self._token_key(user))

    def add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for name, errors in exc.error_dict.items():
            target = name if name in self.fields and name != NON_FIELD_ERRORS else None
            self.add_error(target, [m for e in errors for m in e.messages])


def year_choices():
    this = timezone.localdate().year
    return [(y, str(y)) for y in range(this, this - 6, -1)]


QUARTERS = [(1, _("第一季度")), (2, _("第二季度")), (3, _("第三季度")), (4, _("第四季度"))]


class ItemForm(OneTimeTokenMixin, forms.ModelForm):
    """A draft typed in the portal: text, one optional table typed as lines, channels."""

    channels = forms.MultipleChoiceField(
        label=_("公开形式（DISC-5）"),
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    table_title = forms.CharField(label=_("表格标题"), required=False, max_length=100)
    table_text = forms.CharField(
        label=_("表格（可选）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "style": "width:100%"}),
        help_text=_(
            "每行一条，单元格之间用 | 分隔；第一行为列名。填写后替换原有表格，留空则保留原有表格。"
        ),
    )

    class Meta:
        model = DisclosureItem
        fields = ["community", "category", "year", "quarter", "month", "title", "body", "channels"]
        widgets = {"body": forms.Textarea(attrs=TEXTAREA)}

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_token()
        if communities is not None:
            self.fields["community"].queryset = communities
        if self.instance.pk:
            self.fields["community"].disabled = True
            if self.instance.supersedes_id:
                for name in ("category", "year", "quarter", "month"):
                    self.fields[name].disabled = True
        self.fields["year"].widget = forms.Select(choices=year_choices())
        self.fields["quarter"].help_text = _("月度综合信息发布按月份自动确定季度")

    def clean(self):
        cleaned = super().clean()
        month = cleaned.get("month")
        if month:
            cleaned["quarter"] = rules.quarter_of_month(month)
        text = cleaned.get("table_text") or ""
        if text.strip():
            lines = rules.parse_table_text(text)
            table = {
                "title": cleaned.get("table_title") or "",
                "columns": lines[0],
                "rows": lines[1:],
            }
            problem = rules.tables_problem([table])
            if problem:
                self.add_error("table_text", problem)
            else:
                self.instance.tables = [table]
        return cleaned

    def _post_clean(self):
        # The quarter follows the month before the model validates (DISC-6).
        if self.cleaned_data.get("month"):
            self.instance.quarter = self.cleaned_data["quarter"]
        super()._post_clean()


class ActionForm(OneTimeTokenMixin, forms.Form):
    """A workflow button with a token; the optional fields serve some actions."""

    side = forms.ChoiceField(choices=ApprovalSide.choices, required=False, widget=forms.HiddenInput)
    on = forms.DateField(
        label=_("日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    comment = forms.CharField(label=_("意见"), required=False, max_length=500)
    reason = forms.CharField(label=_("原因"), required=False, max_length=1000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_token()


class AttachmentForm(OneTimeTokenMixin, forms.Form):
    file = forms.FileField(label=_("图片或 PDF"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_token()


class FinanceGenerateForm(OneTimeTokenMixin, forms.Form):
    statement = forms.ModelChoiceField(label=_("季度财务公开表（已签章）"), queryset=None)

    def __init__(self, *args, statements=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_token()
        self.fields["statement"].queryset = statements


class SittingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.community.name} · {obj}"


class AssemblyGenerateForm(OneTimeTokenMixin, forms.Form):
    """DISC-1(3): the results of a closed sitting of the residents' representative assembly."""

    sitting = SittingChoiceField(label=_("居民代表会议（已闭会）"), queryset=None)

    def __init__(self, *args, sittings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_token()
        self.fields["sitting"].queryset = sittings


class ListGenerateForm(OneTimeTokenMixin, forms.Form):
    community = forms.ModelChoiceField(label=_("社区"), queryset=None)
    category = forms.ChoiceField(
        label=_("名单"),
        choices=[(c, Category(c).label) for c in rules.LIST_GROUP_CODES],
    )
    year = forms.TypedChoiceField(label=_("年度"), coerce=int, choices=())
    quarter = forms.TypedChoiceField(label=_("季度"), coerce=int, choices=QUARTERS)

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_token()
        self.fields["community"].queryset = communities
        self.fields["year"].choices = year_choices()


class InScopeCommunityField(forms.ModelChoiceField):
    """Offers the user's communities; an id of any other community passes the form so that
    the service refuses it as not found (404), as the API does, rather than as a bad choice."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        from communities.models import Community

        try:
            return Community.objects.get(pk=int(value))
        except (ValueError, TypeError, Community.DoesNotExist):
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class PaidFeesGenerateForm(OneTimeTokenMixin, forms.Form):
    """FIN-8: the fees of the community's paid services in a quarter."""

    community = InScopeCommunityField(label=_("社区"), queryset=None)
    year = forms.TypedChoiceField(label=_("年度"), coerce=int, choices=())
    quarter = forms.TypedChoiceField(label=_("季度"), coerce=int, choices=QUARTERS)

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_token()
        self.fields["community"].queryset = communities
        self.fields["year"].choices = year_choices()


class ReplyForm(OneTimeTokenMixin, forms.Form):
    public_text = forms.CharField(
        label=_("公开的问题摘要"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "style": "width:100%"}),
        help_text=_("留空则公开居民原文；请删去姓名、电话、门牌号等个人信息"),
    )
    reply = forms.CharField(
        label=_("答复（将公布在公开事项下）"),
        widget=forms.Textarea(attrs=TEXTAREA),
        max_length=rules.REPLY_MAX_CHARS,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_token()


class CloseForm(OneTimeTokenMixin, forms.Form):
    close_reason = forms.CharField(label=_("办结说明（不公开）"), max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_token()


class QuestionForm(forms.Form):
    """DISC-4: a resident's question from the public item page. `website` is a honeypot:
    hidden from people, filled by bots; a filled one is thanked and dropped."""

    kind = forms.ChoiceField(
        label=_("类型"),
        choices=QuestionKind.choices,
        initial=QuestionKind.QUESTION,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label=_("内容"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4, "style": "width:100%"}),
        help_text=_("%(min)s—%(max)s 字")
        % {
            "min": rules.QUESTION_MIN_CHARS,
            "max": rules.QUESTION_MAX_CHARS,
        },
    )
    contact = forms.CharField(
        label=_("联系方式（选填，不公开）"),
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "tel"}),
    )
    website = forms.CharField(
        label=_("请勿填写此项"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["token"] = uuid.uuid4()
        message = _("表单已失效，请刷新页面后重新提交")
        self.fields["token"].error_messages.update({"required": message, "invalid": message})

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    def clean(self):
        cleaned = super().clean()
        problems = question_problems(
            body=cleaned.get("body", ""),
            contact=cleaned.get("contact", ""),
            kind=cleaned.get("kind", ""),
        )
        for name, message in problems.items():
            if name not in self.errors:
                self.add_error(name, message)
        return cleaned
