"""Portal forms of attendance and meetings: parse only; the views call the services.

Every form carries a one-time token against double submits (a second tap, a reload after a
slow POST): the view claims it with an atomic cache.add before calling the service, the
same pattern as staffing.forms.OneTimeForm, for plain (non-model) forms. None of them has a
field naming a worker for the sign-in or the leave request: those are always the user's own.
"""

import uuid

from django import forms
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from attendance.models import LeaveType

TOKEN_TTL_SECONDS = 24 * 60 * 60
EXPIRED = _("表单已失效，请刷新页面后重新提交")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


TEXTAREA = forms.Textarea(attrs={"rows": 4, "style": "width:100%"})


class TokenForm(forms.Form):
    """A plain form with a hidden one-time token."""

    token = forms.UUIDField(widget=forms.HiddenInput, error_messages={"required": EXPIRED})
    form_wide_field: str | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["token"] = uuid.uuid4()
        self.fields["token"].error_messages["invalid"] = EXPIRED

    def _key(self, user, scope: str) -> str:
        return f"attendance:form-token:{user.pk}:{self.cleaned_data['token'].hex}:{scope}"

    def claim_token(self, user, scope: str = "") -> bool:
        """True the first time this token is submitted by `user` for `scope` (the URL the
        form posts to, plus the row it is about when one URL serves several buttons: one
        page's buttons share the page's token)."""
        return cache.add(self._key(user, scope), 1, timeout=TOKEN_TTL_SECONDS)

    def release_token(self, user, scope: str = "") -> None:
        cache.delete(self._key(user, scope))

    def add_service_errors(self, exc: ValidationError) -> None:
        """A service's error next to the field it names, else above the form."""
        if not hasattr(exc, "error_dict"):
            self.add_error(self.form_wide_field, exc.messages)
            return
        for field, errors in exc.error_dict.items():
            target = field if field in self.fields else self.form_wide_field
            if field == NON_FIELD_ERRORS:
                target = self.form_wide_field
            self.add_error(target, [m for e in errors for m in e.messages])


class ButtonForm(TokenForm):
    """A button (sign in, sign out, approve, …): the token only."""


class LeaveForm(TokenForm):
    """ATT-2: a leave request from a phone: dates, half days, type, reason, the written
    request (required over the profile's days; PDF/JPG/PNG ≤ 5 MB)."""

    leave_type = forms.ChoiceField(label=_("请假类别"), choices=LeaveType.choices)
    start_date = forms.DateField(label=_("开始日期"), widget=DateInput())
    start_half = forms.BooleanField(label=_("从下午开始（上午上班）"), required=False)
    end_date = forms.DateField(label=_("结束日期"), widget=DateInput())
    end_half = forms.BooleanField(label=_("到上午结束（下午上班）"), required=False)
    reason = forms.CharField(label=_("请假事由"), widget=TEXTAREA, max_length=2000)
    attachment = forms.FileField(
        label=_("请假条"),
        required=False,
        help_text=_("超过三天须上传书面请假条（PDF、JPG、PNG，不超过 5 MB）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class DecideForm(TokenForm):
    """ATT-2: approve or refuse the current step (refusal needs a comment)."""

    decision = forms.ChoiceField(
        label=_("意见"), choices=[("approve", _("同意")), ("reject", _("不同意"))]
    )
    comment = forms.CharField(label=_("批注"), required=False, max_length=200)


class CorrectionForm(TokenForm):
    """ATT-1: the clerk's correction of one day, with a mandatory reason."""

    sign_in_at = forms.TimeField(label=_("签到时间"), required=False, widget=TimeInput())
    sign_out_at = forms.TimeField(label=_("签退时间"), required=False, widget=TimeInput())
    correction_reason = forms.CharField(label=_("更正原因"), max_length=200)


class CriticismForm(TokenForm):
    """ATT-3: a recorded criticism."""

    date = forms.DateField(label=_("批评日期"), widget=DateInput())
    note = forms.CharField(label=_("批评教育内容"), widget=TEXTAREA)


class CaseDecisionForm(TokenForm):
    """ATT-3/ATT-4: the street confirms or dismisses, with a reason."""

    confirm = forms.ChoiceField(
        label=_("处理"),
        choices=[("1", _("确认按自动辞职处理")), ("0", _("不予认定"))],
        widget=forms.RadioSelect,
    )
    decision_reason = forms.CharField(label=_("理由"), widget=TEXTAREA)


class SelfCriticismForm(TokenForm):
    """ATT-4: the worker's written self-criticism, typed or uploaded."""

    statement = forms.CharField(label=_("书面检查"), widget=TEXTAREA, required=False)
    statement_file = forms.FileField(
        label=_("或上传签字的检查"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class SubmitSheetForm(TokenForm):
    """ATT-5: submit to the street after confirming the stamp."""

    stamped = forms.BooleanField(label=_("已在纸质考勤表上加盖社区印章"), required=False)
