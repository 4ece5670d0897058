"""Portal forms of staffing: what a community worker records on a phone. They parse only;
the view saves through staffing.services.staffing_save, so STAFF-6 and the model's
constraints apply exactly as in the admin and the API.

Double submits (a second tap, a reload after a slow POST, the back button) are caught by a
one-time token: each rendered form carries a fresh random token in a hidden field, and the
view claims it with an atomic `cache.add` (Redis SET NX in production) before saving. The
second POST of the same token finds it claimed and saves nothing. A unique constraint could
not do this for trainings and check-ups: two real trainings or check-ups of one worker on
one day are legitimate, so the rows themselves have no natural key to refuse a duplicate
by."""

import uuid

from django import forms
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from staffing.models import PartyCheckup, StudySession, TrainingRecord

# How long a rendered form's token stays claimable/claimed (a form left open over a day
# is submitted once more at most).
TOKEN_TTL_SECONDS = 24 * 60 * 60


class DateInput(forms.DateInput):
    input_type = "date"  # the phone's date picker

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


# Full width on a phone (the stylesheet sizes inputs only).
TEXTAREA = forms.Textarea(attrs={"rows": 4, "style": "width:100%"})


class OneTimeForm(forms.ModelForm):
    """A model form with a hidden one-time token against double submits."""

    token = forms.UUIDField(widget=forms.HiddenInput)
    # Field by which form-wide model errors (e.g. a unique constraint over the community
    # and a field) are shown; None shows them above the form.
    form_wide_field: str | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["token"] = uuid.uuid4()
        self.fields["token"].error_messages["required"] = _("表单已失效，请刷新页面后重新提交")
        self.fields["token"].error_messages["invalid"] = _("表单已失效，请刷新页面后重新提交")

    def _token_key(self, user) -> str:
        return f"staffing:form-token:{user.pk}:{self.cleaned_data['token'].hex}"

    def claim_token(self, user) -> bool:
        """True the first time this form's token is submitted by `user`, False after."""
        return cache.add(self._token_key(user), 1, timeout=TOKEN_TTL_SECONDS)

    def release_token(self, user) -> None:
        """Nothing was saved (a rule refused it): the corrected form may be sent again."""
        cache.delete(self._token_key(user))

    def add_service_errors(self, exc: ValidationError) -> None:
        """A service's ValidationError next to the field it names; errors about fields not
        on the form (the worker, the community) go to `form_wide_field` or above the form."""
        if not hasattr(exc, "error_dict"):
            self.add_error(self.form_wide_field, exc.messages)
            return
        for field, errors in exc.error_dict.items():
            target = field if field in self.fields else self.form_wide_field
            if field == NON_FIELD_ERRORS:
                target = self.form_wide_field
            self.add_error(target, [message for error in errors for message in error.messages])


class TrainingRecordForm(OneTimeForm):
    """STAFF-6 (003 七(一)): one training of one worker, with hours and exam result."""

    class Meta:
        model = TrainingRecord
        fields = ["course", "organiser", "date", "hours", "attended", "exam_result"]
        widgets = {"date": DateInput()}


class StudySessionForm(OneTimeForm):
    """STAFF-6 (003 七(四)): the community's weekly collective study, with its record."""

    # The only form-wide rule is one session per community and day: shown by the date.
    form_wide_field = "date"

    class Meta:
        model = StudySession
        fields = ["date", "topic", "notes", "attendees"]
        widgets = {"date": DateInput(), "notes": TEXTAREA}


class PartyCheckupForm(OneTimeForm):
    """STAFF-10 (000 第八条(六)): one 党性体检 of a worker."""

    class Meta:
        model = PartyCheckup
        fields = ["date", "result"]
        widgets = {"date": DateInput(), "result": TEXTAREA}
