"""Portal forms of the ledgers (issue #4). They parse only: the views save through
communities.ledger_services, so every rule applies as in the admin, the API and the importer.

On an edit form the ID number and phone are never sent to the browser: the masked value is
shown and an empty correction field replaces the value only when filled. Double submits
(a second tap, a reload after a slow POST) are caught by a one-time token claimed with an
atomic cache.add before saving; the second POST of the same token saves nothing and goes
where the first went."""

import uuid
from html import escape

from django import forms
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from communities import rules
from communities.ledger_selectors import resident_filter_choices, special_group_type_list
from communities.models import (
    Household,
    Organisation,
    RegistrationType,
    Resident,
    SpecialGroupMember,
    SpecialGroupType,
    SpecialTarget,
    Unit,
    Volunteer,
    VolunteerService,
)

TOKEN_TTL_SECONDS = 24 * 60 * 60


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


TEXTAREA = forms.Textarea(attrs={"rows": 3, "style": "width:100%"})


class OneTimeForm(forms.ModelForm):
    token = forms.UUIDField(widget=forms.HiddenInput)
    # Personal fields: on an edit form replaced by a masked value and a correction field.
    personal_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["token"] = uuid.uuid4()
        for key in ("required", "invalid"):
            self.fields["token"].error_messages[key] = _("表单已失效，请刷新页面后重新提交")
        if self.instance.pk:
            for name in self.personal_fields:
                field = self.fields.pop(name)
                current = getattr(self.instance, name)
                mask = rules.mask_id if name == "id_number" else rules.mask_phone
                self.fields[f"new_{name}"] = forms.CharField(
                    label=_("更正%(label)s") % {"label": field.label},
                    required=False,
                    max_length=40,
                    help_text=_("当前：%(value)s；留空则不修改")
                    % {"value": mask(current) or _("未填写")},
                )

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            for name in self.personal_fields:
                value = (cleaned.get(f"new_{name}") or "").strip()
                if value:
                    setattr(self.instance, name, value)
        return cleaned

    def _key(self, user) -> str:
        return f"ledgers:form-token:{user.pk}:{self.cleaned_data['token'].hex}"

    def claim_token(self, user) -> bool:
        """True the first time this form's token is submitted by `user`."""
        return cache.add(self._key(user), "", timeout=TOKEN_TTL_SECONDS)

    def token_done(self, user, url: str) -> None:
        """Where the first submit went: a repeated submit goes there too."""
        cache.set(self._key(user), url, timeout=TOKEN_TTL_SECONDS)

    def token_target(self, user) -> str:
        return cache.get(self._key(user)) or ""

    def submitted_before(self, user) -> str:
        """Where an earlier submit of this very form went ("" if none): checked before
        validation, since a repeated valid submit may now fail a uniqueness check."""
        try:
            token = uuid.UUID(str(self.data.get("token", "")))
        except ValueError:
            return ""
        return cache.get(f"ledgers:form-token:{user.pk}:{token.hex}") or ""

    def release_token(self, user) -> None:
        cache.delete(self._key(user))

    def add_service_errors(self, exc: ValidationError) -> None:
        """A service's error next to its field (a personal field's by its correction field);
        errors about fields not on the form above the form."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for field, errors in exc.error_dict.items():
            target = field
            if f"new_{field}" in self.fields:
                target = f"new_{field}"
            if target not in self.fields or field == NON_FIELD_ERRORS:
                target = None
            self.add_error(target, [m for error in errors for m in error.messages])


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.building.name} {obj.name}"


class HouseholdForm(OneTimeForm):
    personal_fields = ("phone",)

    class Meta:
        model = Household
        fields = ["unit", "room", "phone", "moved_out_on", "reviewed_on", "note"]
        widgets = {"moved_out_on": DateInput(), "reviewed_on": DateInput(), "note": TEXTAREA}
        field_classes = {"unit": UnitChoiceField}

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (
            Unit.objects.filter(community=community)
            .select_related("building")
            .order_by("building__sort_order", "building__name", "sort_order", "name")
        )


class ResidentForm(OneTimeForm):
    personal_fields = ("id_number", "phone")

    class Meta:
        model = Resident
        fields = [
            "name",
            "id_number",
            "gender",
            "birth_date",
            "relation",
            "phone",
            "registration_type",
            "moved_in_on",
            "moved_out_on",
            "reviewed_on",
            "note",
        ]
        widgets = {
            "birth_date": DateInput(),
            "moved_in_on": DateInput(),
            "moved_out_on": DateInput(),
            "reviewed_on": DateInput(),
            "note": TEXTAREA,
        }
        help_texts = {
            "id_number": _("出生日期和性别由身份证号自动得出，可不填"),
            "birth_date": _("无身份证号时填写"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "id_number" in self.fields:
            self.fields["id_number"].max_length = 30  # normalised by the service
            self.fields["id_number"].widget.attrs["maxlength"] = 30


class ResidentFilterForm(forms.Form):
    """The resident list's filters (GET, no JS): search, group, grid tier, registration
    type, moved out."""

    q = forms.CharField(label=_("搜索"), required=False, max_length=50)
    group = forms.ChoiceField(label=_("特殊群体"), required=False)
    residents_group = forms.TypedChoiceField(
        label=_("居民小组"), required=False, coerce=int, empty_value=None
    )
    building = forms.TypedChoiceField(label=_("楼栋"), required=False, coerce=int, empty_value=None)
    unit = forms.TypedChoiceField(label=_("单元"), required=False, coerce=int, empty_value=None)
    registration_type = forms.ChoiceField(
        label=_("户籍类型"),
        required=False,
        choices=[("", _("全部"))] + list(RegistrationType.choices),
    )
    status = forms.ChoiceField(
        label=_("在册状态"),
        required=False,
        choices=[("", _("在册")), ("moved_out", _("已迁出")), ("all", _("全部"))],
    )
    flag = forms.ChoiceField(
        label=_("待核查"),
        required=False,
        choices=[
            ("", _("全部")),
            ("duplicate", _("他社区亦有在册登记")),
            ("no_id", _("无有效身份证号")),
        ],
    )

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        everyone = [("", _("全部"))]
        building = self.data.get("building") if self.is_bound else None
        building = int(building) if building and str(building).isdigit() else None
        choices = resident_filter_choices(community, building)  # one query for all four
        self.fields["group"].choices = everyone + choices["type"]
        self.fields["residents_group"].choices = everyone + choices["group"]
        self.fields["building"].choices = everyone + choices["building"]
        self.fields["unit"].choices = everyone + choices["unit"]

    def selects(self) -> list[str]:
        """The filter selects as HTML, built here: Django's widget templates (or a template
        loop, or format_html per option) render each of a hundred buildings' options
        separately, which showed in the list's profile. Every value is escaped."""
        out = []
        for name, field in self.fields.items():
            if name == "q":
                continue
            value = self[name].value()
            current = "" if value is None else str(value)
            options = "".join(
                f'<option value="{escape(str(choice))}"'
                f"{' selected' if str(choice) == current else ''}>{escape(str(label))}</option>"
                for choice, label in field.choices
            )
            label = escape(str(field.label))
            out.append(
                mark_safe(  # noqa: S308 (every value above is escaped)
                    f'<label for="f-{name}">{label}</label>\n'
                    f'<select name="{name}" id="f-{name}">{options}</select>'
                )
            )
        return out

    def filters(self) -> dict:
        """Keyword arguments for ledger_selectors.resident_list (invalid input: none)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        status = data.get("status") or ""
        return {
            "q": data.get("q") or None,
            "group": data.get("group") or None,
            "residents_group": data.get("residents_group"),
            "building": data.get("building"),
            "unit": data.get("unit"),
            "registration_type": data.get("registration_type") or None,
            "include_moved_out": status in ("moved_out", "all"),
            "moved_out": True if status == "moved_out" else None,
            "duplicate": data.get("flag") == "duplicate" or None,
            "no_id": data.get("flag") == "no_id" or None,
        }


# --- special groups, special targets, volunteers (ORG-13, ORG-9) ---------------------------


class GroupTypeField(forms.ModelChoiceField):
    """Each type says what it needs (no JS to show or hide the amount and grade fields)."""

    def label_from_instance(self, obj):
        needs = []
        if obj.has_amount:
            needs.append(_("须登记月保障金额"))
        if obj.has_grade:
            needs.append(_("须登记等级"))
        if obj.min_age:
            needs.append(_("须年满 %(n)s 周岁") % {"n": obj.min_age})
        return f"{obj.name}（{'，'.join(str(n) for n in needs)}）" if needs else obj.name


class SpecialGroupForm(OneTimeForm):
    """A resident's membership of a special group: the grade and the amount are checked
    against the group type by the model and ledger_services.special_group_validate."""

    class Meta:
        model = SpecialGroupMember
        fields = [
            "group_type",
            "starts_on",
            "ends_on",
            "grade",
            "monthly_amount",
            "household_size",
            "note",
        ]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput(), "note": TEXTAREA}
        field_classes = {"group_type": GroupTypeField}
        help_texts = {
            "grade": _("残疾人等须登记等级的类别填写"),
            "monthly_amount": _("低保、特困供养、优抚对象等须登记金额的类别填写"),
            "household_size": _("低保等按户保障的类别填写"),
            "ends_on": _("仍在享受的留空"),
        }

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        types = special_group_type_list(community=community)
        if self.instance.group_type_id:  # a type since deactivated stays choosable here
            types = SpecialGroupType.objects.filter(pk=self.instance.group_type_id) | types
        self.fields["group_type"].queryset = types.order_by("sort_order", "code")


class SpecialGroupEndForm(OneTimeForm):
    """Ending a membership keeps the row (history): only the end date is asked."""

    class Meta:
        model = SpecialGroupMember
        fields = ["ends_on"]
        widgets = {"ends_on": DateInput()}

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ends_on"].required = True
        self.fields["ends_on"].label = _("终止日期")
        if not self.is_bound:
            self.initial["ends_on"] = today


class SpecialTargetForm(OneTimeForm):
    """特别对象 (002 五): only roles granted add/change_specialtarget see this form."""

    class Meta:
        model = SpecialTarget
        fields = ["kind", "since", "until", "responsible", "note"]
        widgets = {"since": DateInput(), "until": DateInput(), "note": TEXTAREA}


class VolunteerForm(OneTimeForm):
    personal_fields = ("phone",)

    class Meta:
        model = Volunteer
        fields = ["name", "phone", "organisation", "skills", "registered_on", "is_active"]
        widgets = {"registered_on": DateInput()}

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(
            community=community
        ).order_by("name")


class VolunteerServiceForm(OneTimeForm):
    class Meta:
        model = VolunteerService
        fields = ["date", "activity", "hours"]
        widgets = {"date": DateInput()}
        help_texts = {"hours": _("以小时计，可填半小时，如 2.5")}
