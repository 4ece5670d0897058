"""Excel import of the small ledgers (issue #4 "Excel in"), in the framework's row-by-row
mode (core.imports: each row in a savepoint, the validation a rolled-back dry run of the
apply): special-group memberships here, volunteers and their service hours in
ledger_imports_volunteers, resident units and social organisations in
ledger_imports_units. The residents ledger (street size, set-based) is communities.imports.

Every spec imports into the one community chosen at upload (no 社区 column, no street-wide
import), matches only that community's rows, and saves through communities.ledger_services
or communities.services, so every rule refuses a row exactly as in the admin and the
portal. Blank optional cells keep the stored value.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities import rules
from communities.ledger_services import special_group_save
from communities.models import (
    DisabilityGrade,
    Resident,
    SpecialGroupMember,
    SpecialGroupType,
)
from core.imports import (
    CHOICE,
    DATE,
    DECIMAL,
    INT,
    TEXT,
    CellError,
    Column,
    ImportContext,
    ImportSpec,
    Outcome,
    Row,
    RowError,
    register,
)


@dataclass(frozen=True)
class TableColumn(Column):
    """A coded column whose codes are rows of a table, not a TextChoices (the special group
    types of the profiles): the template's dropdown lists `options()` when it is
    downloaded; the cell is read as text and the spec resolves it in the row's community."""

    options: Any = None

    def labels(self) -> list[str]:
        return list(self.options()) if self.options is not None else []

    def parse(self, raw):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if self.required:
                raise CellError(_("必填项不能为空"))
            return None
        return self._parse_text(raw)

    def parser(self):
        return self.parse

    def to_cell(self, value):
        return value or None


def save_changes(existing, given: dict, save) -> Outcome:
    """Save what differs between `existing` and the row's values `given` (a copy is saved:
    a refused row leaves nothing changed in memory). UNCHANGED writes nothing."""
    changed = {name: value for name, value in given.items() if getattr(existing, name) != value}
    if not changed:
        return Outcome.UNCHANGED
    obj = copy.copy(existing)
    for name, value in changed.items():
        setattr(obj, name, value)
    save(obj)
    return Outcome.UPDATED


def given_values(values: dict, names) -> dict:
    """The row's filled cells among `names` (a blank cell keeps the stored value)."""
    return {name: values[name] for name in names if values.get(name) not in (None, "")}


def today(ctx: ImportContext) -> dt.date:
    """One "today" per run, so a row is judged the same at validation and at apply."""
    return ctx.cache.setdefault("today", timezone.localdate())


def resident_by_id(ctx: ImportContext, values: dict, *, id_key="id_number", name_key="name"):
    """The resident of the chosen community with the row's ID number (the current record,
    else the latest moved-out one). Residents of other communities are never matched."""
    number = rules.normalise_id(values.get(id_key))
    if "*" in number or "＊" in number:
        raise RowError(_("身份证号已脱敏（含 *），请填写完整的身份证号"), column=id_key)
    info = rules.parse_id_number(number, today(ctx))
    if not info.valid:
        raise RowError(info.error, column=id_key)
    resident = (
        Resident.objects.filter(community=ctx.community, id_number=number)
        .order_by(F("moved_out_on").desc(nulls_first=True), "-pk")
        .first()
    )
    if resident is None:
        raise RowError(
            _("本社区居民台帐中没有身份证号为 %(id)s 的居民，请先登记该居民")
            % {"id": rules.mask_id(number)},
            column=id_key,
        )
    name = (values.get(name_key) or "").strip()
    if name and name != resident.name:
        raise RowError(
            _("姓名与该身份证号登记的居民“%(name)s”不一致") % {"name": resident.name},
            column=name_key,
        )
    return resident


# --- special groups (特殊群体) ---------------------------------------------------------------


def group_type_names() -> list[str]:
    """The dropdown of the 类别 column: the active group types of every profile, by order."""
    names = SpecialGroupType.objects.filter(is_active=True).order_by("sort_order", "code")
    return list(dict.fromkeys(names.values_list("name", flat=True)))


MEMBER_FIELDS = ("ends_on", "grade", "monthly_amount", "household_size", "note")


@register
class SpecialGroupSpec(ImportSpec):
    kind = "special_groups"
    title = gettext_lazy("特殊群体台帐")
    sheet_name = gettext_lazy("特殊群体")
    perms = ("communities.add_specialgroupmember", "communities.change_specialgroupmember")
    view_perm = "communities.view_specialgroupmember"
    columns = (
        Column(
            "id_number",
            gettext_lazy("身份证号"),
            TEXT,
            required=True,
            max_length=40,
            width=22,
            text_only=True,
            example="220104194401011234",
            help=gettext_lazy(
                "按身份证号匹配本社区居民台帐中已登记的居民；请把该列设置为“文本”格式"
            ),
        ),
        Column(
            "name",
            gettext_lazy("姓名"),
            TEXT,
            max_length=50,
            width=10,
            example="张三",
            help=gettext_lazy("可留空；填写时须与居民台帐一致，用于核对"),
        ),
        TableColumn(
            "group_type",
            gettext_lazy("类别"),
            CHOICE,
            required=True,
            max_length=50,
            width=12,
            example="低保",
            options=group_type_names,
            help=gettext_lazy("本社区参数方案的特殊群体类别，填写名称或代码"),
        ),
        Column(
            "starts_on",
            gettext_lazy("起始日期"),
            DATE,
            required=True,
            width=12,
            example=dt.date(2024, 1, 1),
        ),
        Column(
            "ends_on",
            gettext_lazy("终止日期"),
            DATE,
            width=12,
            help=gettext_lazy("仍在享受的留空；不得早于起始日期"),
        ),
        Column(
            "grade",
            gettext_lazy("等级"),
            CHOICE,
            choices=DisabilityGrade,
            width=8,
            help=gettext_lazy("登记等级的类别（如残疾人）必填"),
        ),
        Column(
            "monthly_amount",
            gettext_lazy("月保障金额（元）"),
            DECIMAL,
            decimal_places=2,
            width=14,
            example="650.00",
            help=gettext_lazy("登记金额的类别（如低保、特困供养）必填，其他类别不填；不能为负数"),
        ),
        Column(
            "household_size",
            gettext_lazy("保障人口"),
            INT,
            width=10,
            example=2,
            help=gettext_lazy("低保等按户保障的类别填写保障人数"),
        ),
        Column("note", gettext_lazy("备注"), TEXT, max_length=500, width=20),
    )
    rules = (
        (
            "ORG-13",
            gettext_lazy(
                "特殊群体按居民登记，类别取自参数方案的类别表；同一居民同一类别只能有一条"
                "正在享受的记录；高龄等类别按身份证号中的出生日期核对年龄"
            ),
        ),
    )
    notes = (
        gettext_lazy("每行一条特殊群体记录；居民须已在本社区居民台帐中登记（按身份证号匹配）。"),
        gettext_lazy(
            "按“居民 + 类别 + 起始日期”匹配已有记录；起始日期不同但该居民该类别有正在享受的"
            "记录时，更新那条记录（如更正起始日期、填写终止日期），不会重复登记。"
        ),
        gettext_lazy("空白单元格保持系统中的原值不变；终止一条记录请填写终止日期。"),
    )

    def natural_key(self, values):
        return (
            rules.normalise_id(values.get("id_number")),
            (values.get("group_type") or "").strip(),
            values.get("starts_on"),
        )

    def _group(self, ctx: ImportContext, text: str) -> SpecialGroupType:
        """The group type named (or coded) `text` for the community's profile: the
        profile's own before the shared ones, active before inactive."""
        community = ctx.community
        groups = ctx.cache.get("groups")
        if groups is None:
            groups = {}
            types = SpecialGroupType.objects.filter(
                Q(profile__isnull=True) | Q(profile_id=community.profile_id)
            ).order_by("-is_active", F("profile_id").asc(nulls_last=True), "sort_order")
            for group in types:
                groups.setdefault(group.name.strip(), group)
                groups.setdefault(group.code.lower(), group)
            ctx.cache["groups"] = groups
        group = groups.get(text.strip()) or groups.get(text.strip().lower())
        if group is not None:
            return group
        if SpecialGroupType.objects.filter(Q(name=text.strip()) | Q(code=text.strip())).exists():
            raise RowError(_("该类别不适用于本社区的参数方案"), column="group_type")
        active = [g.name for g in dict.fromkeys(groups.values()) if g.is_active]
        raise RowError(
            _("不是本社区的特殊群体类别，应为：%(labels)s") % {"labels": "、".join(active)},
            column="group_type",
        )

    def _match(self, ctx, resident, group, values):
        members = SpecialGroupMember.objects.filter(resident=resident, group_type=group)
        exact = members.filter(starts_on=values["starts_on"]).first()
        if exact is not None:
            return exact
        day, ends_on = today(ctx), values.get("ends_on")
        if ends_on is None or ends_on >= day:
            current = list(members.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))[:2])
            if len(current) == 1:
                return current[0]
        return None

    def apply_row(self, ctx: ImportContext, row: Row) -> Outcome:
        v = row.values
        resident = resident_by_id(ctx, v)
        group = self._group(ctx, v["group_type"])
        given = given_values(v, MEMBER_FIELDS)
        existing = self._match(ctx, resident, group, v)

        def save(member):
            special_group_save(user=ctx.user, member=member, today=today(ctx))

        if existing is None:
            save(
                SpecialGroupMember(
                    resident=resident,
                    community_id=resident.community_id,
                    group_type=group,
                    starts_on=v["starts_on"],
                    **given,
                )
            )
            return Outcome.NEW
        return save_changes(existing, {"starts_on": v["starts_on"], **given}, save)

    def export_response(self, *, user, community=None):
        from communities.ledger_exports_more import spec_export_response

        return spec_export_response(self.kind, user=user, community=community)


def portal_import_url(user, kind: str, community) -> str | None:
    """The portal's upload page of spec `kind` when `user` may import it into `community`
    (the ledger pages link to it), else None."""
    from django.urls import reverse

    from core.imports import can_import, get_spec

    if not can_import(user, get_spec(kind), community):
        return None
    return reverse("portal:import_upload", args=[kind])
