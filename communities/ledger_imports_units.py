"""Excel import of resident units (驻社区单位, ORG-10) and social organisations (社区社会组织,
ORG-9), row by row, into the community chosen at upload (see communities.ledger_imports).

A row is matched by name among the community's units and social organisations (a changed
类别 updates the record); the 所在小区 is looked up by name among the community's compounds.
Saved by communities.services.registry_save, like the admin. The organisations of the
community's own structure (党组织, 居委会, ...) are not imported here.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.ledger_imports import given_values, save_changes
from communities.models import Compound, Organisation, OrgKind
from communities.services import registry_save
from core.imports import (
    CHOICE,
    DATE,
    TEXT,
    Column,
    ImportContext,
    ImportSpec,
    Outcome,
    Row,
    RowError,
    register,
)


class UnitKind(models.TextChoices):
    """The kinds of OrgKind this ledger holds (same values and labels)."""

    RESIDENT_UNIT = OrgKind.RESIDENT_UNIT.value, OrgKind.RESIDENT_UNIT.label
    SOCIAL_ORG = OrgKind.SOCIAL_ORG.value, OrgKind.SOCIAL_ORG.label


ORG_FIELDS = (
    "kind",
    "established_on",
    "registration_no",
    "contact_person",
    "contact_phone",
    "note",
)


@register
class OrganisationSpec(ImportSpec):
    kind = "organisations"
    title = gettext_lazy("驻社区单位和社会组织台帐")
    sheet_name = gettext_lazy("单位和组织")
    perms = ("communities.add_organisation", "communities.change_organisation")
    view_perm = "communities.view_organisation"
    columns = (
        Column(
            "name",
            gettext_lazy("名称"),
            TEXT,
            required=True,
            max_length=150,
            width=24,
            example="市第二医院社区服务站",
            help=gettext_lazy("按名称匹配本社区已登记的驻社区单位和社会组织"),
        ),
        Column(
            "kind",
            gettext_lazy("类别"),
            CHOICE,
            required=True,
            choices=UnitKind,
            width=14,
            example=UnitKind.RESIDENT_UNIT,
        ),
        Column(
            "compound",
            gettext_lazy("所在小区"),
            TEXT,
            max_length=100,
            width=14,
            example="幸福小区",
            help=gettext_lazy("本社区已登记的小区名称；可留空"),
        ),
        Column(
            "established_on",
            gettext_lazy("成立（登记）日期"),
            DATE,
            width=14,
            example=dt.date(2018, 6, 1),
        ),
        Column(
            "registration_no",
            gettext_lazy("登记（备案）号"),
            TEXT,
            max_length=100,
            width=18,
        ),
        Column(
            "contact_person",
            gettext_lazy("联系人"),
            TEXT,
            max_length=50,
            width=10,
            example="王强",
        ),
        Column(
            "contact_phone",
            gettext_lazy("联系电话"),
            TEXT,
            max_length=40,
            width=14,
            example="0431-88880000",
        ),
        Column("note", gettext_lazy("备注"), TEXT, max_length=1000, width=24),
    )
    rules = (
        ("ORG-9", gettext_lazy("社区社会组织须登记")),
        ("ORG-10", gettext_lazy("驻社区单位须登记（四本台帐之一），由社区动员参与社区建设")),
    )
    notes = (
        gettext_lazy("每行一个驻社区单位或社区社会组织；按名称匹配本社区已登记的记录。"),
        gettext_lazy("已登记的只更新有变化的内容；空白单元格保持系统中的原值不变。"),
        gettext_lazy("社区党组织、居委会等组织机构请在“社区组织”中登记，不在此导入。"),
    )

    def natural_key(self, values):
        return ((values.get("name") or "").strip(),)

    def _compound(self, ctx: ImportContext, name: str) -> Compound:
        compound = Compound.objects.filter(community=ctx.community, name=name.strip()).first()
        if compound is None:
            raise RowError(_("本社区没有名为“%(name)s”的小区") % {"name": name}, column="compound")
        return compound

    def apply_row(self, ctx: ImportContext, row: Row) -> Outcome:
        v = row.values
        name = v["name"].strip()
        given = given_values(v, ORG_FIELDS)
        phone = given.get("contact_phone") or ""
        if "*" in phone or "＊" in phone:
            raise RowError(
                _("联系电话已脱敏（含 *），请填写完整的电话号码"), column="contact_phone"
            )
        if v.get("compound"):
            given["compound"] = self._compound(ctx, v["compound"])
        found = list(
            Organisation.objects.filter(
                community=ctx.community, name=name, kind__in=UnitKind.values
            )[:2]
        )
        if len(found) > 1:
            raise RowError(
                _("本社区同时有名为“%(name)s”的驻社区单位和社会组织，请在系统中区分后再导入")
                % {"name": name},
                column="name",
            )

        def save(organisation):
            registry_save(user=ctx.user, instance=organisation)

        if not found:
            save(Organisation(community=ctx.community, name=name, **given))
            return Outcome.NEW
        return save_changes(found[0], given, save)

    def export_response(self, *, user, community=None):
        from communities.ledger_exports_more import spec_export_response

        return spec_export_response(self.kind, user=user, community=community)
