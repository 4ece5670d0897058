"""Every write to the ledgers (ORG-13, ORG-9): households, residents, special groups, special
targets, volunteers and their service hours, and the personal-data access log. The admin,
the worker portal, the API and the Excel importer all come through here.

Derived facts are computed here, never typed twice (issue #4): a household's community and
address come from its grid unit; a resident's community and address order from its
household; pinyin initials, ID and phone tails, ID validity, birth date and gender from the
name, ID number and phone (`resident_row_derive`, pure, shared with the bulk importer).
"""

import datetime as dt
import re
import uuid

from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from communities import rules
from communities.ledger_selectors import GENERATION_KEY
from communities.models import (
    Household,
    PersonalDataAction,
    PersonalDataLog,
    Resident,
    SpecialGroupMember,
    SpecialTarget,
    Unit,
    Volunteer,
    VolunteerService,
)
from core.services import instance_delete, instance_save, require

REVEAL_PERM = "communities.reveal_personal"
VIEW_SPECIAL_PERM = "communities.view_specialtarget"

# The personal data of each ledger model: masked everywhere unless revealed (and logged).
PERSONAL_FIELDS: dict[type, tuple[str, ...]] = {
    Resident: ("id_number", "phone"),
    Household: ("phone",),
    Volunteer: ("phone",),
}

# The values resident_row_derive reads (anything else in the dict is passed through).
RESIDENT_ROW_FIELDS = (
    "name",
    "id_number",
    "gender",
    "birth_date",
    "phone",
    "moved_in_on",
    "moved_out_on",
)

_GENDERS = {"male": "male", "female": "female", "男": "male", "女": "female"}
_PHONE_CHARS = re.compile(r"^\+?[\d-]+$")
_NON_DIGIT = re.compile(r"\D")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９－＋", "0123456789-+")


def _action(instance) -> str:
    return "change" if instance.pk else "add"


def _perm(instance, action: str) -> str:
    meta = instance._meta
    return f"{meta.app_label}.{action}_{meta.model_name}"


def _check(user, instance) -> None:
    """The row's community must be in the user's scope (else 404) and the user may add or
    change this kind of row there (else 403): before anything else is said about it."""
    require(user, _perm(instance, _action(instance)), instance)


def _raise(errors: list[tuple[str, str]]) -> None:
    if not errors:
        return
    grouped: dict[str, list[str]] = {}
    for field, message in errors:
        grouped.setdefault(field or NON_FIELD_ERRORS, []).append(message)
    raise ValidationError(grouped)


def ledger_changed() -> None:
    """After the transaction commits, invalidate the cached list counts
    (ledger_selectors.LedgerPaginator). Bulk writers (the importer) call it too."""
    transaction.on_commit(lambda: cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None))


# --- pure helpers (no queries): shared with the bulk importer -------------------------------


def normalise_phone(value) -> str:
    """Spaces and full-width digits removed: "138 1234 5678" → "13812345678"."""
    return str(value or "").translate(_FULL_WIDTH).replace(" ", "").replace("\u3000", "").strip()


def phone_tail(phone: str) -> str:
    return _last_four(_NON_DIGIT.sub("", phone or ""))


def _last_four(digits: str) -> str:
    return digits[-4:] if len(digits) >= 4 else ""


def household_address(unit: Unit, room: str) -> tuple[str, str]:
    """A household's address and its sort key from the grid (ORG-5): compound, building,
    unit, room, e.g. "锦湖苑 3栋 2单元 301". `unit.building` (and its compound) must be
    loaded by the caller when many rows are derived."""
    building = unit.building
    compound = building.compound.name if building.compound_id else ""
    address = " ".join(part for part in (compound, building.name, unit.name, room) if part)
    order = rules.address_order(
        building.sort_order, building.name, unit.sort_order, unit.name, room
    )
    return address[:300], order


def _as_date(value):
    if value.__class__ is dt.date or value is None:
        return value
    if value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def resident_row_derive(values: dict, today: dt.date) -> tuple[dict, list[tuple[str, str]]]:
    """One resident row from plain values, checked and completed WITHOUT queries (ORG-13):
    the bulk importer calls it for each of 100,000 rows, resident_save for one.

    Returns (cleaned, errors): `cleaned` has the input values normalised plus name_initials,
    id_valid, id_tail, phone_tail and, from a valid ID number, birth_date and gender;
    `errors` is a list of (field, Chinese message).

    - An empty ID number is allowed (the coverage report counts it as "without valid ID").
    - A non-empty ID number must be valid (rules.parse_id_number: length, check digit,
      birth date, region code); the error says why.
    - A typed birth date or gender that contradicts a valid ID number is an error; when left
      blank they are taken from the ID number.
    """
    cleaned = dict(values)
    errors: list[tuple[str, str]] = []

    name = str(values.get("name") or "").strip()
    if not name:
        errors.append(("name", _("请填写姓名")))
    cleaned["name"] = name
    cleaned["name_initials"] = rules.name_initials(name)[:50]

    gender = str(values.get("gender") or "").strip()
    if gender and gender not in _GENDERS:
        errors.append(("gender", _("性别应为“男”或“女”")))
        gender = ""
    gender = _GENDERS.get(gender, "")
    try:
        birth = _as_date(values.get("birth_date"))
    except ValueError:
        errors.append(("birth_date", _("出生日期格式不正确")))
        birth = None

    number = rules.normalise_id(values.get("id_number"))
    cleaned["id_number"] = number
    cleaned["id_valid"] = False
    cleaned["id_tail"] = ""
    if number:
        info = rules.parse_id_number(number, today)
        if not info.valid:
            errors.append(("id_number", info.error))
        else:
            cleaned["id_valid"] = True
            cleaned["id_tail"] = number[-4:]
            if birth is not None and birth != info.birth_date:
                errors.append(
                    (
                        "birth_date",
                        _("出生日期 %(typed)s 与身份证号中的出生日期 %(id)s 不一致")
                        % {"typed": birth.isoformat(), "id": info.birth_date.isoformat()},
                    )
                )
            if gender and gender != info.gender:
                errors.append(
                    (
                        "gender",
                        _("性别与身份证号不一致（身份证号第 17 位表示%(id)s）")
                        % {"id": _("男") if info.gender == "male" else _("女")},
                    )
                )
            birth, gender = info.birth_date, info.gender
    elif birth is not None and birth > today:
        errors.append(("birth_date", _("出生日期不能晚于今天")))
    cleaned["birth_date"] = birth
    cleaned["gender"] = gender

    phone = normalise_phone(values.get("phone"))
    digits = _NON_DIGIT.sub("", phone)
    if phone and (not _PHONE_CHARS.match(phone) or len(digits) < 7):
        errors.append(("phone", _("联系电话格式不正确（应为手机号或带区号的固定电话）")))
    cleaned["phone"] = phone
    cleaned["phone_tail"] = _last_four(digits)

    for key in ("moved_in_on", "moved_out_on"):
        try:
            cleaned[key] = _as_date(values.get(key))
        except ValueError:
            errors.append((key, _("日期格式不正确")))
            cleaned[key] = None
    moved_in, moved_out = cleaned["moved_in_on"], cleaned["moved_out_on"]
    if moved_in and moved_out and moved_out < moved_in:
        errors.append(("moved_out_on", _("迁出日期不能早于迁入日期")))
    return cleaned, errors


def resident_fill(resident: Resident, today: dt.date) -> list[tuple[str, str]]:
    """Apply resident_row_derive to a Resident instance (its household must be set): the
    community and address order from the household, the rest from the row's values."""
    if resident.household_id:
        household = resident.household
        resident.community_id = household.community_id
        resident.address_order = household.address_order
    values = {name: getattr(resident, name) for name in RESIDENT_ROW_FIELDS}
    cleaned, errors = resident_row_derive(values, today)
    for name, value in cleaned.items():
        setattr(resident, name, value)
    return errors


def household_fill(household: Household) -> None:
    """A household's community and address from its unit (loaded with its building)."""
    unit = household.unit
    household.community_id = unit.community_id
    household.room = str(household.room or "").strip()
    household.address, household.address_order = household_address(unit, household.room)


# --- households ---------------------------------------------------------------------------


def _unit(unit_id) -> Unit:
    if unit_id is None:
        raise ValidationError({"unit": _("请选择单元")})
    unit = Unit.objects.select_related("building__compound").filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    return unit


def _household_old(household: Household):
    if not household.pk:
        return None
    return (
        Household.objects.filter(pk=household.pk)
        .values("community_id", "address_order", "moved_out_on")
        .first()
    )


def household_validate(*, user, household: Household, old=None) -> None:
    """The checks of household_save without writing; fills community and address in."""
    old = old if old is not None else _household_old(household)
    household.unit = _unit(household.unit_id)
    household_fill(household)
    _check(user, household)
    moved_community = old is not None and old["community_id"] != household.community_id
    if moved_community and Resident.objects.filter(household_id=household.pk).exists():
        raise ValidationError(
            {"unit": _("该住户已登记居民，不能改到其他社区的地址；请在新社区另行登记")}
        )


@transaction.atomic
def household_save(*, user, household: Household) -> Household:
    """Save a household at a grid unit address (ORG-13 摸底不漏户): the community and the
    address come from the unit, never from the payload. A changed address is copied to the
    household's residents (their sort order); moving the household out (moved_out_on) moves
    its current residents out on the same day and keeps every row."""
    old = _household_old(household)
    household_validate(user=user, household=household, old=old)
    instance_save(user=user, instance=household, old_community_id=old and old["community_id"])
    if old is not None and old["address_order"] != household.address_order:
        Resident.objects.filter(household_id=household.pk).update(
            address_order=household.address_order
        )
    if household.moved_out_on and (old is None or old["moved_out_on"] is None):
        day = household.moved_out_on
        Resident.objects.filter(household_id=household.pk, moved_out_on__isnull=True).update(
            moved_out_on=Case(When(moved_in_on__gt=day, then=F("moved_in_on")), default=Value(day))
        )
    ledger_changed()
    return household


@transaction.atomic
def household_delete(*, user, household: Household) -> None:
    """A household with resident rows is kept (history): move it out instead."""
    require(user, _perm(household, "delete"), household)
    if Resident.objects.filter(household_id=household.pk).exists():
        raise ValidationError(
            _("该住户下有居民记录，不能删除；住户迁出请填写迁出日期（记录将保留）")
        )
    instance_delete(user=user, instance=household)
    ledger_changed()


# --- residents ----------------------------------------------------------------------------


def _household(household_id) -> Household:
    if household_id is None:
        raise ValidationError({"household": _("请选择住户")})
    household = Household.objects.filter(pk=household_id).first()
    if household is None:
        raise Http404
    return household


def same_id_current(resident: Resident):
    """The other current resident of the same community with this ID number, if any."""
    if not resident.id_number or resident.moved_out_on is not None:
        return None
    return (
        Resident.objects.filter(
            community_id=resident.community_id,
            id_number=resident.id_number,
            moved_out_on__isnull=True,
        )
        .exclude(pk=resident.pk)
        .select_related("household")
        .first()
    )


def same_id_elsewhere(resident: Resident) -> bool:
    """Whether the resident's ID number is current in another community (flagged for
    review unless one of the two is registered as 人户分离)."""
    if not resident.id_number or resident.moved_out_on is not None:
        return False
    return (
        Resident.objects.filter(id_number=resident.id_number, moved_out_on__isnull=True)
        .exclude(community_id=resident.community_id)
        .exists()
    )


def _forget_facts_of_old_id(resident: Resident) -> None:
    """A corrected ID number: the birth date and gender that came from the old (valid)
    number are derived again from the new one instead of contradicting it."""
    if not resident.pk:
        return
    old = (
        Resident.objects.filter(pk=resident.pk)
        .values("id_number", "id_valid", "birth_date", "gender")
        .first()
    )
    if old is None or not old["id_valid"]:
        return
    if rules.normalise_id(resident.id_number) == old["id_number"]:
        return
    if resident.birth_date == old["birth_date"]:
        resident.birth_date = None
    if resident.gender == old["gender"]:
        resident.gender = ""


def resident_validate(*, user, resident: Resident, today: dt.date | None = None) -> None:
    """Every check of resident_save without writing (the admin shows the errors by the
    fields): scope and permission, the household, resident_row_derive (which also fills
    the derived fields in), and no second current record of the ID in this community."""
    today = today or timezone.localdate()
    resident.household = _household(resident.household_id)
    resident.community_id = resident.household.community_id
    _check(user, resident)
    if resident.household.moved_out_on and resident.moved_out_on is None:
        raise ValidationError({"household": _("该住户已迁出，不能再登记在册居民")})
    _forget_facts_of_old_id(resident)
    _raise(resident_fill(resident, today))
    other = same_id_current(resident)
    if other is not None:
        raise ValidationError(
            {
                "id_number": _("该身份证号已在本社区登记（%(address)s %(name)s），请更新原记录")
                % {"address": other.household.address, "name": other.name}
            }
        )


@transaction.atomic
def resident_save(*, user, resident: Resident, today: dt.date | None = None) -> Resident:
    """Save a resident (ORG-13 造册不漏人) after resident_row_derive: community and address
    order from the household; an ID number already current in this community is refused
    (update that record instead); the same ID current in another community is allowed and
    flagged for review by the selectors (人户分离 is legitimate, a duplicate is not)."""
    resident_validate(user=user, resident=resident, today=today)
    ledger_changed()
    return instance_save(user=user, instance=resident)


@transaction.atomic
def resident_move_out(*, user, resident: Resident, day: dt.date) -> Resident:
    """Moving out keeps the row: the resident is no longer counted and the ID number is
    free to be registered again (e.g. after moving back)."""
    resident.moved_out_on = day
    return resident_save(user=user, resident=resident)


@transaction.atomic
def resident_delete(*, user, resident: Resident) -> None:
    instance_delete(user=user, instance=resident)
    ledger_changed()


@transaction.atomic
def records_reviewed(*, user, queryset, day: dt.date | None = None) -> int:
    """ORG-13 (动态管理, 003 十一(三)): mark households or residents as reviewed on `day`."""
    day = day or timezone.localdate()
    ids = []
    for obj in queryset.select_related(None).prefetch_related(None).only("pk", "community_id"):
        require(user, _perm(obj, "change"), obj)
        ids.append(obj.pk)
    return queryset.model.objects.filter(pk__in=ids).update(reviewed_on=day)


# --- special groups and special targets ----------------------------------------------------


def _resident(resident_id) -> Resident:
    if resident_id is None:
        raise ValidationError({"resident": _("请选择居民")})
    resident = Resident.objects.select_related("community__profile").filter(pk=resident_id)
    resident = resident.first()
    if resident is None:
        raise Http404
    return resident


def special_group_validate(
    *, user, member: SpecialGroupMember, today: dt.date | None = None
) -> None:
    """A resident's membership of a special group (特殊群体): the community from the
    resident; the group type must apply to the community's profile; an age-bound group
    (高龄 80+) needs the age; one current membership per group and resident."""
    today = today or timezone.localdate()
    resident = member.resident = _resident(member.resident_id)
    member.community_id = resident.community_id
    _check(user, member)
    errors = []
    group = member.group_type if member.group_type_id else None
    if group is not None:
        profile_id = resident.community.profile_id
        if group.profile_id is not None and group.profile_id != profile_id:
            errors.append(("group_type", _("该类别不适用于本社区的参数方案")))
        if not group.is_active and member.pk is None:
            errors.append(("group_type", _("该类别已停用")))
        current = member.ends_on is None or member.ends_on >= today
        if group.min_age and current:
            age = rules.age_on(resident.birth_date, today)
            if age is None:
                errors.append(
                    ("group_type", _("“%(g)s”须有出生日期（身份证号）") % {"g": group.name})
                )
            elif age < group.min_age:
                errors.append(
                    (
                        "group_type",
                        _("“%(g)s”须年满 %(n)s 周岁（该居民 %(age)s 周岁）")
                        % {"g": group.name, "n": group.min_age, "age": age},
                    )
                )
        if current:
            overlapping = (
                SpecialGroupMember.objects.filter(resident_id=resident.pk, group_type=group)
                .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
                .exclude(pk=member.pk)
            )
            if overlapping.exists():
                errors.append(("group_type", _("该居民已在“%(g)s”中") % {"g": group.name}))
    _raise(errors)


@transaction.atomic
def special_group_save(
    *, user, member: SpecialGroupMember, today: dt.date | None = None
) -> SpecialGroupMember:
    special_group_validate(user=user, member=member, today=today)
    ledger_changed()
    return instance_save(user=user, instance=member)


@transaction.atomic
def special_group_end(
    *, user, member: SpecialGroupMember, day: dt.date, today: dt.date | None = None
) -> SpecialGroupMember:
    """End a membership on `day`; the row stays (who was in which group when). A membership
    that had already ended cannot be ended again (change its dates instead)."""
    today = today or timezone.localdate()
    old = (
        SpecialGroupMember.objects.select_for_update()
        .filter(pk=member.pk)
        .values_list("ends_on", flat=True)
        .first()
    )
    if old is not None and old < today:
        raise ValidationError(
            {"ends_on": _("该成员资格已于 %(day)s 终止") % {"day": old.isoformat()}}
        )
    if day is None:
        raise ValidationError({"ends_on": _("请填写终止日期")})
    member.ends_on = day
    return special_group_save(user=user, member=member, today=today)


@transaction.atomic
def special_group_delete(*, user, member: SpecialGroupMember) -> None:
    instance_delete(user=user, instance=member)
    ledger_changed()


@transaction.atomic
def special_target_save(*, user, target: SpecialTarget) -> SpecialTarget:
    """特别对象 (002 五): only roles granted add/change_specialtarget (core.roles)."""
    resident = target.resident = _resident(target.resident_id)
    target.community_id = resident.community_id
    _check(user, target)
    return instance_save(user=user, instance=target)


@transaction.atomic
def special_target_delete(*, user, target: SpecialTarget) -> None:
    instance_delete(user=user, instance=target)


# --- volunteers (ORG-9) ---------------------------------------------------------------------


@transaction.atomic
def volunteer_save(*, user, volunteer: Volunteer) -> Volunteer:
    volunteer.name = (volunteer.name or "").strip()
    volunteer.phone = normalise_phone(volunteer.phone)
    return instance_save(user=user, instance=volunteer)


@transaction.atomic
def volunteer_delete(*, user, volunteer: Volunteer) -> None:
    instance_delete(user=user, instance=volunteer)


@transaction.atomic
def volunteer_service_save(*, user, service: VolunteerService) -> VolunteerService:
    """Hours of service (ORG-9): the community from the volunteer, never from the payload;
    not in the future; more than 0 and at most 24 hours a record (model constraint)."""
    if service.volunteer_id is None:
        raise ValidationError({"volunteer": _("请选择志愿者")})
    volunteer = Volunteer.objects.filter(pk=service.volunteer_id).first()
    if volunteer is None:
        raise Http404
    service.volunteer = volunteer
    service.community_id = volunteer.community_id
    _check(user, service)
    if service.date and service.date > timezone.localdate():
        raise ValidationError({"date": _("服务日期不能晚于今天")})
    return instance_save(user=user, instance=service)


@transaction.atomic
def volunteer_service_delete(*, user, service: VolunteerService) -> None:
    instance_delete(user=user, instance=service)


# --- one entry point for the admin (ScopedModelAdmin.save_service / delete_service) --------


def ledger_save(*, user, instance):
    if isinstance(instance, Household):
        return household_save(user=user, household=instance)
    if isinstance(instance, Resident):
        return resident_save(user=user, resident=instance)
    if isinstance(instance, SpecialGroupMember):
        return special_group_save(user=user, member=instance)
    if isinstance(instance, SpecialTarget):
        return special_target_save(user=user, target=instance)
    if isinstance(instance, Volunteer):
        return volunteer_save(user=user, volunteer=instance)
    if isinstance(instance, VolunteerService):
        return volunteer_service_save(user=user, service=instance)
    return instance_save(user=user, instance=instance)


def ledger_validate(*, user, instance) -> None:
    """The rule checks of ledger_save without writing (ScopedModelAdmin.validate_service)."""
    if isinstance(instance, Household):
        household_validate(user=user, household=instance)
    elif isinstance(instance, Resident):
        resident_validate(user=user, resident=instance)
    elif isinstance(instance, SpecialGroupMember):
        special_group_validate(user=user, member=instance)


def ledger_delete(*, user, instance) -> None:
    if isinstance(instance, Household):
        return household_delete(user=user, household=instance)
    if isinstance(instance, Resident):
        return resident_delete(user=user, resident=instance)
    if isinstance(instance, SpecialGroupMember):
        return special_group_delete(user=user, member=instance)
    return instance_delete(user=user, instance=instance)


# --- personal data: reveals, special-target views, exports (always logged) ----------------


def personal_data_log(
    *,
    user,
    action: str,
    model: str,
    community_id: int | None = None,
    object_id: int | None = None,
    fields=(),
    filters: str = "",
    rows: int = 0,
    ip: str | None = None,
) -> PersonalDataLog:
    """One row of the access log: who saw which personal data, when, from where."""
    return PersonalDataLog.objects.create(
        user=user,
        action=action,
        model=model,
        community_id=community_id,
        object_id=object_id,
        fields=",".join(fields)[:200],
        filters=filters,
        rows=rows,
        ip=ip or None,
    )


def personal_reveal(*, user, obj, ip: str | None = None) -> dict[str, str]:
    """The full ID number / phone of one record for a user holding reveal_personal in its
    community (404 outside the user's scope, 403 without the permission); logged."""
    fields = PERSONAL_FIELDS.get(type(obj))
    if fields is None:
        raise Http404
    require(user, REVEAL_PERM, obj)
    personal_data_log(
        user=user,
        action=PersonalDataAction.REVEAL,
        model=obj._meta.model_name,
        community_id=obj.community_id,
        object_id=obj.pk,
        fields=fields,
        ip=ip,
    )
    return {name: getattr(obj, name) for name in fields}


def special_targets_viewed(*, user, targets, ip: str | None = None, listing: bool = False):
    """Log a view of special targets (特别对象): one row per community shown, with the
    object id for a single record and the number of rows for a list."""
    targets = list(targets)
    if not listing:
        for target in targets:
            personal_data_log(
                user=user,
                action=PersonalDataAction.VIEW_SPECIAL,
                model="specialtarget",
                community_id=target.community_id,
                object_id=target.pk,
                rows=1,
                ip=ip,
            )
        return
    by_community: dict[int, int] = {}
    for target in targets:
        by_community[target.community_id] = by_community.get(target.community_id, 0) + 1
    for community_id, rows in by_community.items():
        personal_data_log(
            user=user,
            action=PersonalDataAction.VIEW_SPECIAL,
            model="specialtarget",
            community_id=community_id,
            rows=rows,
            ip=ip,
        )
