"""Portal forms of meetings: parse only; the views call meetings.services. The one-time
token against double submits is attendance.forms.TokenForm's."""

from django import forms
from django.utils.translation import gettext_lazy as _

from attendance.forms import TEXTAREA, DateInput, TokenForm
from meetings.models import AttendanceStatus, MeetingKind, MotionKind, SittingBasis, SittingKind
from meetings.workplans import PlanKind


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class ConveneForm(TokenForm):
    """MEET-1: convene a sitting (the roster and N are fixed when it is saved)."""

    kind = forms.ChoiceField(label=_("会议类别"), choices=SittingKind.choices)
    title = forms.CharField(label=_("会议名称"), max_length=200)
    scheduled_at = forms.DateTimeField(
        label=_("召开时间"), widget=DateTimeInput(), input_formats=["%Y-%m-%dT%H:%M"]
    )
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    basis = forms.ChoiceField(
        label=_("临时会议召开依据"), choices=SittingBasis.choices, required=False
    )
    decision_note = forms.CharField(label=_("决定记录"), max_length=200, required=False)
    proposer_ids = forms.MultipleChoiceField(
        label=_("提议代表"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, roster=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposer_ids"].choices = [(m.pk, m.person_name) for m in roster]


class MotionForm(TokenForm):
    kind = forms.ChoiceField(label=_("事项类别"), choices=MotionKind.choices)
    title = forms.CharField(label=_("表决事项"), max_length=200)
    text = forms.CharField(label=_("内容"), widget=TEXTAREA, required=False)


class VoteForm(TokenForm):
    choice = forms.ChoiceField(
        label=_("表决意见"),
        choices=[("for", _("赞成")), ("against", _("反对")), ("abstain", _("弃权"))],
    )
    seat = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CloseSittingForm(TokenForm):
    recorder = forms.ModelChoiceField(label=_("记录人"), queryset=None)
    minutes = forms.CharField(label=_("会议记录"), widget=TEXTAREA)

    def __init__(self, *args, workers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recorder"].queryset = workers


class MeetingForm(TokenForm):
    """MEET-3/4/5: a regular meeting with minutes and each worker's attendance."""

    kind = forms.ChoiceField(label=_("会议类别"), choices=MeetingKind.choices)
    date = forms.DateField(label=_("日期"), widget=DateInput())
    topic = forms.CharField(label=_("议题"), max_length=200)
    chair = forms.ModelChoiceField(label=_("主持人"), queryset=None, required=False)
    recorder = forms.ModelChoiceField(label=_("记录人"), queryset=None)
    minutes = forms.CharField(label=_("会议记录"), widget=TEXTAREA)
    major_event = forms.CharField(label=_("记入大事记（可选）"), max_length=200, required=False)

    def __init__(self, *args, workers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.workers = list(workers or [])
        for name in ("chair", "recorder"):
            self.fields[name].queryset = workers
        for worker in self.workers:
            self.fields[f"w{worker.pk}"] = forms.ChoiceField(
                label=worker.name,
                choices=AttendanceStatus.choices,
                initial=AttendanceStatus.PRESENT,
            )

    def attendance(self) -> dict[int, str]:
        return {w.pk: self.cleaned_data[f"w{w.pk}"] for w in self.workers}


class ChronicleForm(TokenForm):
    date = forms.DateField(label=_("日期"), widget=DateInput())
    title = forms.CharField(label=_("事项"), max_length=200)
    description = forms.CharField(label=_("内容"), widget=TEXTAREA, required=False)


class WorkPlanForm(TokenForm):
    """MEET-2: a yearly, quarterly or monthly plan; any day of the period picks the period."""

    kind = forms.ChoiceField(label=_("计划类别"), choices=PlanKind.choices)
    period = forms.DateField(label=_("计划期内任一日期"), widget=DateInput())
    title = forms.CharField(label=_("标题"), max_length=200)
    body = forms.CharField(label=_("计划内容"), widget=TEXTAREA)
