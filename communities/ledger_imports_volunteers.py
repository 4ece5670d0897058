"""Excel import of volunteers and of their service hours (ORG-9, issue #4 "Excel in"),
row by row, into the community chosen at upload (see communities.ledger_imports).

- Volunteers are matched by 姓名 + 联系电话 within the community; the 所属社会组织 is
  looked up by name among the community's organisations. Saved by
  ledger_services.volunteer_save.
- Service records are matched by volunteer + 服务日期 + 服务内容 (the hours are updated);
  the volunteer must be registered. Saved by ledger_services.volunteer_service_save (not in
  the future; more than 0 and at most 24 hours).
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.ledger_imports import given_values, save_changes
from communities.ledger_services import normalise_phone, volunteer_save, volunteer_service_save
from communities.models import Organisation, OrgKind, Volunteer, VolunteerService
from core.imports import (
    BOOL,
    DATE,
    DECIMAL,
    TEXT,
    Column,
    ImportContext,
    ImportSpec,
    Outcome,
    Row,
    RowError,
    register,
)

NAME = Column(
    "name",
    gettext_lazy("姓名"),
    TEXT,
    required=True,
    max_length=50,
    width=10,
    example="李梅",
    help=gettext_lazy("与联系电话一起识别同一志愿者"),
)
PHONE = Column(
    "phone",
    gettext_lazy("联系电话"),
    TEXT,
    max_length=20,
    width=14,
    example="13700000001",
    help=gettext_lazy("与姓名一起识别同一志愿者；已登记的电话请保持一致"),
)


def _key(values: dict) -> tuple[str, str]:
    return ((values.get("name") or "").strip(), normalise_phone(values.get("phone")))


def volunteer_match(ctx: ImportContext, values: dict, column="name") -> Volunteer | None:
    """The community's volunteer with the row's name and phone, None when there is none;
    RowError when several cannot be told apart."""
    name, phone = _key(values)
    if "*" in phone or "＊" in phone:
        raise RowError(_("联系电话已脱敏（含 *），请填写完整的电话号码"), column="phone")
    found = list(Volunteer.objects.filter(community=ctx.community, name=name, phone=phone)[:2])
    if len(found) > 1:
        raise RowError(
            _("本社区有多名志愿者“%(name)s”使用同一联系电话，无法确定是哪一位") % {"name": name},
            column=column,
        )
    return found[0] if found else None


@register
class VolunteerSpec(ImportSpec):
    kind = "volunteers"
    title = gettext_lazy("志愿者名册")
    sheet_name = gettext_lazy("志愿者")
    perms = ("communities.add_volunteer", "communities.change_volunteer")
    view_perm = "communities.view_volunteer"
    columns = (
        NAME,
        PHONE,
        Column(
            "organisation",
            gettext_lazy("所属社会组织"),
            TEXT,
            max_length=150,
            width=18,
            example="夕阳红志愿服务队",
            help=gettext_lazy("本社区已登记的社会组织名称；可留空"),
        ),
        Column("skills", gettext_lazy("服务特长"), TEXT, max_length=200, width=18, example="助老"),
        Column(
            "registered_on",
            gettext_lazy("注册日期"),
            DATE,
            width=12,
            example=dt.date(2024, 3, 5),
            help=gettext_lazy("新登记的志愿者必填"),
        ),
        Column(
            "is_active",
            gettext_lazy("是否在册"),
            BOOL,
            width=10,
            example=True,
            help=gettext_lazy("留空：新登记的为“是”，已登记的保持不变"),
        ),
    )
    rules = (("ORG-9", gettext_lazy("社会组织和志愿者须登记（志愿者注册）")),)
    notes = (
        gettext_lazy("每行一名志愿者；按“姓名 + 联系电话”匹配本社区已登记的志愿者。"),
        gettext_lazy("已登记的志愿者只更新有变化的内容；空白单元格保持系统中的原值不变。"),
        gettext_lazy("服务时长请使用“志愿服务记录”模板导入。"),
    )

    def natural_key(self, values):
        return _key(values)

    def _organisation(self, ctx: ImportContext, name: str) -> Organisation:
        orgs = Organisation.objects.filter(community=ctx.community, name=name.strip())
        orgs = sorted(orgs, key=lambda o: o.kind != OrgKind.SOCIAL_ORG)
        if not orgs:
            raise RowError(
                _("本社区没有名为“%(name)s”的组织，请先登记该社会组织") % {"name": name},
                column="organisation",
            )
        return orgs[0]

    def apply_row(self, ctx: ImportContext, row: Row) -> Outcome:
        v = row.values
        given = given_values(v, ("skills", "registered_on"))
        if v.get("is_active") is not None:
            given["is_active"] = v["is_active"]
        if v.get("organisation"):
            given["organisation"] = self._organisation(ctx, v["organisation"])
        existing = volunteer_match(ctx, v)

        def save(volunteer):
            volunteer_save(user=ctx.user, volunteer=volunteer)

        if existing is None:
            if not v.get("registered_on"):
                raise RowError(_("新登记的志愿者须填写注册日期"), column="registered_on")
            name, phone = _key(v)
            save(Volunteer(community=ctx.community, name=name, phone=phone, **given))
            return Outcome.NEW
        return save_changes(existing, given, save)

    def export_response(self, *, user, community=None):
        from communities.ledger_exports_more import spec_export_response

        return spec_export_response(self.kind, user=user, community=community)


@register
class VolunteerServiceSpec(ImportSpec):
    kind = "volunteer_services"
    title = gettext_lazy("志愿服务记录")
    sheet_name = gettext_lazy("服务记录")
    perms = ("communities.add_volunteerservice", "communities.change_volunteerservice")
    view_perm = "communities.view_volunteerservice"
    # The database's hours check (0 < hours <= 24) is a constraint of the row, not a field.
    field_columns = {"__all__": "hours"}
    columns = (
        NAME,
        PHONE,
        Column(
            "date",
            gettext_lazy("服务日期"),
            DATE,
            required=True,
            width=12,
            example=dt.date(2025, 3, 5),
            help=gettext_lazy("不能晚于今天"),
        ),
        Column(
            "activity",
            gettext_lazy("服务内容"),
            TEXT,
            required=True,
            max_length=200,
            width=24,
            example="社区环境整治",
        ),
        Column(
            "hours",
            gettext_lazy("服务时长（小时）"),
            DECIMAL,
            required=True,
            decimal_places=1,
            width=14,
            example="2.5",
            help=gettext_lazy("大于 0 且不超过 24，最多 1 位小数"),
        ),
    )
    rules = (("ORG-9", gettext_lazy("志愿服务按次登记服务时长，计入志愿者的服务总时长")),)
    notes = (
        gettext_lazy("每行一次服务；志愿者须已在本社区登记（按“姓名 + 联系电话”匹配）。"),
        gettext_lazy(
            "按“志愿者 + 服务日期 + 服务内容”匹配已有记录，时长不同则更新，不会重复登记；"
            "同一天同一内容的多次服务请合并为一行。"
        ),
    )

    def natural_key(self, values):
        return (*_key(values), values.get("date"), (values.get("activity") or "").strip())

    def apply_row(self, ctx: ImportContext, row: Row) -> Outcome:
        v = row.values
        volunteer = volunteer_match(ctx, v)
        if volunteer is None:
            raise RowError(
                _("本社区没有登记该志愿者（姓名和联系电话须与志愿者名册一致），请先登记"),
                column="name",
            )
        activity = v["activity"].strip()
        found = list(
            VolunteerService.objects.filter(volunteer=volunteer, date=v["date"], activity=activity)[
                :2
            ]
        )
        if len(found) > 1:
            raise RowError(
                _("该志愿者同日已有多条相同内容的服务记录，无法确定更新哪一条"), column="activity"
            )

        def save(service):
            volunteer_service_save(user=ctx.user, service=service)

        if not found:
            save(
                VolunteerService(
                    volunteer=volunteer,
                    community_id=volunteer.community_id,
                    date=v["date"],
                    activity=activity,
                    hours=v["hours"],
                )
            )
            return Outcome.NEW
        return save_changes(found[0], {"hours": v["hours"]}, save)

    def export_response(self, *, user, community=None):
        from communities.ledger_exports_more import spec_export_response

        return spec_export_response(self.kind, user=user, community=community)
