"""The residents ledger import (居民台帐, ORG-13): one row per resident, the household given
by its address on the community's grid (小区 / 楼栋 / 单元 / 室号).

A street-size ledger (100,000 residents in one file), so the spec runs in the framework's
set-based mode (core.imports.bulk): each row is derived in Python by
communities.ledger_services.resident_row_derive -- the function resident_save uses, so the
same ID-number, date and phone rules apply -- and the address is resolved against the grid
loaded once; the staged rows are then matched and written in SQL:

- a household by its address (a current household at that unit and room), created when
  there is none;
- a resident by ID number among the community's current residents (a row with 迁出日期 may
  also match the last moved-out record of that ID), or, without an ID number, by household
  and name; a matched resident is updated where the file differs, never duplicated, and
  only rows that change are written (the audit triggers record every one);
- blank optional cells keep the stored value; birth date and gender come from a valid ID
  number;
- refused: ID numbers twice in the file (with both row numbers), rows that would update
  the same resident, residents that cannot be told apart without an ID number, an address
  not on the community's grid or on another community's, and every resident_save rule.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import unicodedata

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.ledger_services import household_address, ledger_changed, resident_row_derive
from communities.models import RegistrationType, Relation, Unit
from core.imports import (
    CHOICE,
    DATE,
    TEXT,
    BulkCheck,
    Column,
    FileRejected,
    ImportContext,
    ImportSpec,
    register,
)

APPLY_BATCH = 20000  # staged rows per INSERT/UPDATE round (progress and cancel in between)
WORK_MEM = "64MB"  # for the set-based check's grouping and the materialised match
ADDRESS_CACHE = 4096  # addresses and units remembered (rows are mostly in address order)
_SPACE = re.compile(r"\s+")


class Gender(models.TextChoices):
    MALE = "male", gettext_lazy("男")
    FEMALE = "female", gettext_lazy("女")


def grid_key(text) -> str:
    """Grid names compare without spaces, full-width forms and case: "３ 栋" == "3栋"."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", str(text or ""))).lower()


def clean_room(text) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", str(text or "")))


@register
class ResidentSpec(ImportSpec):
    kind = "residents"
    title = gettext_lazy("居民台帐")
    sheet_name = gettext_lazy("居民")
    perms = (
        "communities.add_household",
        "communities.change_household",
        "communities.add_resident",
        "communities.change_resident",
    )
    view_perm = "communities.view_resident"
    community_column = None  # one community per file, chosen at upload
    bulk = True
    columns = (
        Column(
            "compound",
            gettext_lazy("小区"),
            TEXT,
            max_length=100,
            width=14,
            example="幸福小区",
            help=gettext_lazy("网格中的小区名称；楼栋不属于任何小区时留空"),
        ),
        Column(
            "building",
            gettext_lazy("楼栋"),
            TEXT,
            required=True,
            max_length=100,
            width=10,
            example="3栋",
            help=gettext_lazy("与网格中的楼栋名称一致"),
        ),
        Column(
            "unit",
            gettext_lazy("单元"),
            TEXT,
            required=True,
            max_length=100,
            width=10,
            example="2单元",
            help=gettext_lazy("与网格中的单元名称一致"),
        ),
        Column(
            "room",
            gettext_lazy("室号"),
            TEXT,
            required=True,
            max_length=20,
            width=8,
            example="301",
            help=gettext_lazy("与小区、楼栋、单元一起确定住户"),
        ),
        Column("name", gettext_lazy("姓名"), TEXT, required=True, max_length=50, example="张三"),
        Column(
            "id_number",
            gettext_lazy("身份证号"),
            TEXT,
            max_length=40,
            width=22,
            text_only=True,
            example="220104199001011231",
            help=gettext_lazy(
                "18 位，末位可为 X；请把该列设置为“文本”格式，否则 Excel 会把号码存成数字并丢失末几位"
            ),
        ),
        Column(
            "gender",
            gettext_lazy("性别"),
            CHOICE,
            choices=Gender,
            width=8,
            example=Gender.MALE,
            help=gettext_lazy("有身份证号时可留空，由身份证号得出"),
        ),
        Column(
            "birth_date",
            gettext_lazy("出生日期"),
            DATE,
            width=12,
            example=dt.date(1990, 1, 1),
            help=gettext_lazy("有身份证号时可留空，由身份证号得出"),
        ),
        Column(
            "relation",
            gettext_lazy("与户主关系"),
            CHOICE,
            choices=Relation,
            width=12,
            example=Relation.HEAD,
        ),
        Column(
            "phone", gettext_lazy("联系电话"), TEXT, max_length=20, width=14, example="13800000000"
        ),
        Column(
            "registration_type",
            gettext_lazy("户籍类型"),
            CHOICE,
            choices=RegistrationType,
            width=10,
            example=RegistrationType.HUJI,
        ),
        Column(
            "moved_in_on",
            gettext_lazy("迁入日期"),
            DATE,
            width=12,
            example=dt.date(2020, 5, 1),
        ),
        Column(
            "moved_out_on",
            gettext_lazy("迁出日期"),
            DATE,
            width=12,
            header_optional=True,
            help=gettext_lazy("迁出后保留记录，不再计入在册人口；可不设此列"),
        ),
    )
    rules = (
        (
            "ORG-13",
            gettext_lazy(
                "清查不漏幢、摸底不漏户、造册不漏人：住户按网格地址登记，居民按身份证号登记，"
                "身份证号须有效（校验码、出生日期、地区代码），出生日期和性别由身份证号得出"
            ),
        ),
    )
    notes = (
        gettext_lazy("每行一名居民；同一住户的家庭成员填写相同的小区、楼栋、单元和室号。"),
        gettext_lazy(
            "按“身份证号”匹配本社区已登记的居民；没有身份证号的，按“住户地址 + 姓名”匹配。"
            "已登记的居民只更新有变化的内容，不会重复登记；住户按地址匹配，没有的自动登记。"
        ),
        gettext_lazy("空白单元格保持系统中的原值不变；同一文件中同一身份证号只能出现一次。"),
        gettext_lazy("日期可填写为 2024-01-31、2024/1/31、2024.1.31、2024年1月31日 或 20240131。"),
        gettext_lazy("地址须是本社区网格中已有的单元；其他社区的地址不能导入。"),
    )
    staging = (
        ("unit_id", "int"),
        ("room", "text"),
        ("address", "text"),
        ("address_order", "text"),
        ("name", "text"),
        ("name_initials", "text"),
        ("id_number", "text"),
        ("id_valid", "bool"),
        ("id_tail", "text"),
        ("gender", "text"),
        ("birth_date", "date"),
        ("relation", "text"),
        ("phone", "text"),
        ("phone_tail", "text"),
        ("registration_type", "text"),
        ("moved_in_on", "date"),
        ("moved_out_on", "date"),
    )

    def row_limit(self) -> int:
        from django.conf import settings

        return settings.IMPORT_MAX_LEDGER_ROWS

    # --- validation: one row, no queries ----------------------------------------------------

    def bulk_prepare(self, ctx: ImportContext) -> None:
        """The community's grid, read once: units by (小区, 楼栋, 单元) and by (楼栋, 单元);
        and the addresses of the street's other communities."""
        community = ctx.community
        if community is None:
            raise FileRejected(_("请选择要导入的社区"))
        full, partial = {}, {}
        units = Unit.objects.filter(community=community).select_related("building__compound")
        for unit in units:
            building = unit.building
            compound = building.compound.name if building.compound_id else ""
            key = (grid_key(building.name), grid_key(unit.name))
            full.setdefault((grid_key(compound), *key), []).append(unit)
            partial.setdefault(key, []).append(unit)
        # The other communities' addresses of the street, to say why a row is refused
        # (bulk_row runs while the COPY holds the connection: no query may run there).
        others = set()
        rows = (
            Unit.objects.filter(community__street_id=community.street_id)
            .exclude(community=community)
            .values_list("building__compound__name", "building__name", "name")
        )
        for compound_name, building_name, unit_name in rows:
            key = (grid_key(building_name), grid_key(unit_name))
            others.add((grid_key(compound_name), *key))
            others.add(("", *key))
        ctx.cache.update(
            today=timezone.localdate(),
            full=full,
            partial=partial,
            others=others,
            units={},  # the address cells as typed -> (unit, None) or (None, reason)
            addresses={},  # (unit id, room as typed) -> (room, address, address order)
        )

    def _unit(self, ctx: ImportContext, values: dict):
        """The grid unit of a row's address, or (None, reason)."""
        compound, building, unit = (
            grid_key(values.get("compound")),
            grid_key(values["building"]),
            grid_key(values["unit"]),
        )
        found = ctx.cache["full"].get((compound, building, unit))
        if found is None and not compound:
            found = ctx.cache["partial"].get((building, unit))
        shown = " ".join(
            str(values.get(k) or "").strip()
            for k in ("compound", "building", "unit")
            if values.get(k)
        )
        if found and len(found) == 1:
            return found[0], None
        if found:
            return None, _("本社区网格中有多个“%(address)s”，请填写小区以区分") % {"address": shown}
        if self._elsewhere(ctx, compound, building, unit):
            return None, _("地址“%(address)s”属于本街道的其他社区，不能导入到“%(community)s”") % {
                "address": shown,
                "community": ctx.community.name,
            }
        return None, _(
            "地址“%(address)s”不在本社区的网格中（请检查小区、楼栋、单元名称，或先在网格中登记该单元）"
        ) % {"address": shown}

    def _elsewhere(self, ctx: ImportContext, compound, building, unit) -> bool:
        return (compound, building, unit) in ctx.cache["others"]

    def bulk_row(self, ctx: ImportContext, number: int, values: dict):
        cache = ctx.cache
        units = cache["units"]
        key = (values.get("compound"), values["building"], values["unit"])
        found = units.get(key)
        if found is None:
            if len(units) >= ADDRESS_CACHE:
                units.clear()
            found = units[key] = self._unit(ctx, values)
        unit, reason = found
        errors = [] if unit is not None else [(None, reason)]
        id_number = values.get("id_number")
        if id_number and ("*" in id_number or "＊" in id_number):
            errors.append(("id_number", _("身份证号已脱敏（含 *），请填写完整的身份证号，或留空")))
            values["id_number"] = ""
        cleaned, derive_errors = resident_row_derive(values, cache["today"])
        if errors or derive_errors:
            return None, errors + derive_errors
        addresses = cache["addresses"]
        address = addresses.get((unit.pk, values["room"]))
        if address is None:
            if len(addresses) >= ADDRESS_CACHE:
                addresses.clear()
            room = clean_room(values["room"])
            address = addresses[(unit.pk, values["room"])] = (
                room,
                *household_address(unit, room),
            )
        return (
            unit.pk,
            *address,
            cleaned["name"],
            cleaned["name_initials"],
            cleaned["id_number"],
            cleaned["id_valid"],
            cleaned["id_tail"],
            cleaned["gender"],
            cleaned["birth_date"],
            cleaned.get("relation") or "",
            cleaned["phone"],
            cleaned["phone_tail"],
            cleaned.get("registration_type") or "",
            cleaned["moved_in_on"],
            cleaned["moved_out_on"],
        ), []

    # --- the set: matching, checks, counts ---------------------------------------------------

    def _params(self, ctx: ImportContext, stage, rows=None, **extra) -> dict:
        params = stage.params(rows) if rows else stage.params()
        return {
            **params,
            "community": ctx.community.pk,
            "head": Relation.HEAD.value,
            "huji": RegistrationType.HUJI.value,
            **extra,
        }

    def bulk_check(self, ctx: ImportContext, stage) -> BulkCheck:
        from django.conf import settings

        params = self._params(ctx, stage, limit=settings.IMPORT_MAX_ERRORS)
        match = MATCH_SQL
        with transaction.atomic(), connection.cursor() as cursor, _hash_joins(cursor):
            if ctx.applying:  # match once, into the table the apply's batches read
                self._match_table(cursor, ctx, stage)
                match = MATCH_APPLY_SQL
            sql = CHECK_SQL.format(
                would_be=WOULD_BE_SQL.format(match=match.format(src=stage.source())),
                # Duplicates within the file: the staged rows do not change after the
                # validation, which found none (or there would be no apply).
                in_file="false" if ctx.applying else "true",
            )
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        check = BulkCheck(counts={"new": 0, "updated": 0, "unchanged": 0})
        for kind, number, outcome, n, error_count, detail in rows:
            if isinstance(detail, str):
                detail = json.loads(detail)
            if kind == "count":
                check.counts[outcome] = n
            elif kind == "invalid":
                check.invalid_rows, check.error_count = n, error_count or 0
            else:
                check.errors.extend(self._messages(number, detail))
        return check

    def _messages(self, number: int, d: dict):
        """The reasons of one row the set check refused, in Chinese."""

        def others(rows):
            return "、".join(str(r) for r in sorted(rows) if r != number)

        out = []
        if d.get("dup_id"):
            out.append(
                (
                    number,
                    "id_number",
                    d["file_id"],
                    _("身份证号在本文件中重复：第 %(rows)s 行与第 %(me)s 行是同一身份证号")
                    % {"rows": others(d["dup_id"]), "me": number},
                )
            )
        if d.get("dup_name"):
            out.append(
                (
                    number,
                    "name",
                    d["name"],
                    _(
                        "第 %(rows)s 行与本行是同一住户的同名居民，本行没有身份证号，无法区分；"
                        "请填写身份证号"
                    )
                    % {"rows": others(d["dup_name"])},
                )
            )
        if d.get("dup_target"):
            out.append(
                (
                    number,
                    None,
                    d["name"],
                    _("第 %(rows)s 行与本行对应同一名已登记的居民，请合并为一行")
                    % {"rows": others(d["dup_target"])},
                )
            )
        if d.get("ambiguous"):
            out.append(
                (
                    number,
                    "name",
                    d["name"],
                    _("该住户有 %(n)s 名在册居民叫“%(name)s”，没有身份证号无法确定是哪一位")
                    % {"n": d["ambiguous"], "name": d["name"]},
                )
            )
        if d.get("out_before_in"):
            out.append((number, "moved_out_on", d["moved_out_on"], _("迁出日期不能早于迁入日期")))
        if d.get("id_birth"):
            out.append(
                (
                    number,
                    "birth_date",
                    d["file_birth"],
                    _("出生日期与该居民已登记的身份证号不一致（应为 %(day)s）")
                    % {"day": d["id_birth"]},
                )
            )
        if d.get("id_gender"):
            out.append(
                (
                    number,
                    "gender",
                    Gender(d["file_gender"]).label if d["file_gender"] in Gender.values else "",
                    _("性别与该居民已登记的身份证号不一致"),
                )
            )
        if d.get("bad_stored_id"):
            out.append(
                (
                    number,
                    "id_number",
                    "",
                    _("该居民已登记的身份证号无效，请在本行填写正确的身份证号，或先在台帐中更正"),
                )
            )
        return out

    # --- apply ------------------------------------------------------------------------------

    def _match_table(self, cursor, ctx: ImportContext, stage) -> None:
        """Every staged row's resident (MATCH_SQL) in a temporary table, before the apply
        writes anything: its batches then find them by row number."""
        cursor.execute(
            f"DROP TABLE IF EXISTS pg_temp.{MATCH_TABLE}, pg_temp.{NEW_HOUSEHOLDS_TABLE}"
        )
        sql = MATCH_TABLE_SQL.format(match=MATCH_SQL.format(src=stage.source()))
        cursor.execute(sql, self._params(ctx, stage))
        cursor.execute(f"ALTER TABLE pg_temp.{MATCH_TABLE} ADD PRIMARY KEY (row_no)")
        cursor.execute(f"ANALYZE pg_temp.{MATCH_TABLE}")
        cursor.execute(NEW_HOUSEHOLDS_TABLE_SQL)
        ctx.cache["match_table"] = True

    def bulk_apply(self, ctx: ImportContext, stage, progress) -> dict[str, int]:
        written = {"new": 0, "updated": 0, "unchanged": 0}
        done, source = 0, stage.source()
        with connection.cursor() as cursor:
            with _hash_joins(cursor):
                if not ctx.cache.get("match_table"):
                    self._match_table(cursor, ctx, stage)
                cursor.execute(HOUSEHOLDS_SQL.format(src=source), self._params(ctx, stage))
                cursor.execute(f"ANALYZE pg_temp.{NEW_HOUSEHOLDS_TABLE}")
            progress(0)
            would_be = WOULD_BE_SQL.format(match=MATCH_APPLY_SQL.format(src=source))
            for rows in stage.batches(APPLY_BATCH):
                params = self._params(ctx, stage, rows)
                cursor.execute(RESIDENTS_SQL.format(would_be=would_be), params)
                updated, new, unchanged = cursor.fetchone()
                written["updated"] += updated
                written["new"] += new
                written["unchanged"] += unchanged
                done += updated + new + unchanged
                progress(done)
        ledger_changed()
        return written


@contextlib.contextmanager
def _hash_joins(cursor):
    """Within the open transaction: hash joins (no nested loops) and room to hash the
    community's rows in memory, for the statements of the block only."""
    cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
    cursor.execute("SET LOCAL enable_nestloop = off")
    yield
    cursor.execute("SET LOCAL enable_nestloop = on")


# The staged rows (`src`) with the current household at their address and the resident
# they match: by ID number among the current residents; a moved-out row also the last
# moved-out record of that ID; without an ID number by household and name (`name_matches`
# > 1: ambiguous). Plain joins on the community's rows, run as hash joins (see
# _hash_joins): linear in the rows of the file and of the community, whatever the planner's
# statistics say about a community that has just grown by 100,000 residents.
MATCH_SQL = """
SELECT s.*,
       hh.id AS household_id,
       COALESCE(hh.address_order, s.address_order) AS final_order,
       COALESCE(cur.id, gone.id, CASE WHEN byname.n = 1 THEN byname.id END) AS resident_id,
       COALESCE(byname.n, 0) AS name_matches
FROM {src} s
LEFT JOIN communities_household hh
       ON hh.community_id = %(community)s AND hh.unit_id = s.unit_id AND hh.room = s.room
      AND hh.moved_out_on IS NULL
LEFT JOIN communities_resident cur
       ON cur.community_id = %(community)s AND cur.moved_out_on IS NULL
      AND cur.id_number <> '' AND cur.id_number = s.id_number
LEFT JOIN (
    SELECT DISTINCT ON (r.id_number) r.id, r.id_number
    FROM communities_resident r
    WHERE r.community_id = %(community)s AND r.moved_out_on IS NOT NULL AND r.id_number <> ''
    ORDER BY r.id_number, r.moved_out_on DESC, r.id DESC
) gone ON cur.id IS NULL AND s.moved_out_on IS NOT NULL AND gone.id_number = s.id_number
LEFT JOIN (
    SELECT r.household_id, r.name, min(r.id) AS id, count(*) AS n
    FROM communities_resident r
    WHERE r.community_id = %(community)s AND r.moved_out_on IS NULL
    GROUP BY r.household_id, r.name
) byname ON s.id_number = '' AND byname.household_id = hh.id AND byname.name = s.name
"""

# What each row's resident would be after the import (blank cells keep the stored value;
# birth date and gender follow a valid ID number), next to the stored one (old_*).
WOULD_BE_SQL = """
SELECT w.*,
       w.matched AND (
           w.household_id IS DISTINCT FROM w.old_household_id
           OR (w.name, w.name_initials, w.id_number, w.id_valid, w.id_tail, w.gender,
               w.birth_date, w.relation, w.phone, w.phone_tail, w.registration_type,
               w.moved_in_on, w.moved_out_on, w.address_order)
              IS DISTINCT FROM
              (w.old_name, w.old_name_initials, w.old_id_number, w.old_id_valid, w.old_id_tail,
               w.old_gender, w.old_birth_date, w.old_relation, w.old_phone, w.old_phone_tail,
               w.old_registration_type, w.old_moved_in_on, w.old_moved_out_on,
               w.old_address_order)
       ) AS changed
FROM (
    SELECT m.row_no, m.unit_id, m.room, m.resident_id, m.household_id, m.name_matches,
           m.id_number AS file_id, m.gender AS file_gender, m.birth_date AS file_birth,
           r.id IS NOT NULL AS matched,
           m.final_order AS address_order,
           m.name, m.name_initials,
           CASE WHEN m.id_number <> '' THEN m.id_number ELSE COALESCE(r.id_number, '') END
               AS id_number,
           CASE WHEN m.id_number <> '' THEN m.id_valid ELSE COALESCE(r.id_valid, false) END
               AS id_valid,
           CASE WHEN m.id_number <> '' THEN m.id_tail ELSE COALESCE(r.id_tail, '') END
               AS id_tail,
           CASE WHEN m.id_number <> '' THEN m.gender
                WHEN r.id_valid THEN r.gender
                ELSE COALESCE(NULLIF(m.gender, ''), r.gender, '') END AS gender,
           CASE WHEN m.id_number <> '' THEN m.birth_date
                WHEN r.id_valid THEN r.birth_date
                ELSE COALESCE(m.birth_date, r.birth_date) END AS birth_date,
           COALESCE(NULLIF(m.relation, ''), r.relation, %(head)s) AS relation,
           CASE WHEN m.phone <> '' THEN m.phone ELSE COALESCE(r.phone, '') END AS phone,
           CASE WHEN m.phone <> '' THEN m.phone_tail ELSE COALESCE(r.phone_tail, '') END
               AS phone_tail,
           COALESCE(NULLIF(m.registration_type, ''), r.registration_type, %(huji)s)
               AS registration_type,
           COALESCE(m.moved_in_on, r.moved_in_on) AS moved_in_on,
           COALESCE(m.moved_out_on, r.moved_out_on) AS moved_out_on,
           r.household_id AS old_household_id, r.name AS old_name,
           r.name_initials AS old_name_initials, r.id_number AS old_id_number,
           r.id_valid AS old_id_valid, r.id_tail AS old_id_tail, r.gender AS old_gender,
           r.birth_date AS old_birth_date, r.relation AS old_relation, r.phone AS old_phone,
           r.phone_tail AS old_phone_tail, r.registration_type AS old_registration_type,
           r.moved_in_on AS old_moved_in_on, r.moved_out_on AS old_moved_out_on,
           r.address_order AS old_address_order
    FROM ({match}) m
    LEFT JOIN communities_resident r
           ON r.community_id = %(community)s AND r.id = m.resident_id
) w
"""

# The check: per row the resident_save rules that need the other rows or the stored record,
# then the outcome counts of the rows without errors, the number of rows with errors and
# the first %(limit)s of them with what the messages need. Duplicates are grouped once
# (the first six row numbers of each group), never per row.
CHECK_SQL = """
WITH w AS MATERIALIZED ({would_be}),
dup_id AS (
    SELECT file_id, (array_agg(row_no ORDER BY row_no))[1:6] AS rows
    FROM w WHERE file_id <> '' AND {in_file} GROUP BY file_id HAVING count(*) > 1
),
dup_name AS (
    SELECT unit_id, room, name, (array_agg(row_no ORDER BY row_no))[1:6] AS rows
    FROM w WHERE {in_file}
    GROUP BY unit_id, room, name HAVING count(*) > 1 AND bool_or(file_id = '')
),
dup_target AS (
    SELECT resident_id, (array_agg(row_no ORDER BY row_no))[1:6] AS rows
    FROM w WHERE resident_id IS NOT NULL GROUP BY resident_id HAVING count(*) > 1
),
e AS (
    SELECT w.row_no, w.file_id, w.name, w.matched, w.changed, w.moved_out_on,
           w.file_birth, w.file_gender,
           di.rows AS dup_id,
           CASE WHEN w.file_id = '' THEN dn.rows END AS dup_name,
           dt.rows AS dup_target,
           CASE WHEN w.name_matches > 1 THEN w.name_matches END AS ambiguous,
           (w.moved_out_on < w.moved_in_on) IS TRUE AS out_before_in,
           CASE WHEN w.file_id = '' AND w.old_id_valid AND w.file_birth IS NOT NULL
                 AND w.file_birth <> w.old_birth_date THEN w.old_birth_date END AS id_birth,
           CASE WHEN w.file_id = '' AND w.old_id_valid AND w.file_gender <> ''
                 AND w.file_gender <> w.old_gender THEN w.old_gender END AS id_gender,
           (w.file_id = '' AND w.matched AND w.old_id_number <> '' AND NOT w.old_id_valid
            AND w.changed) AS bad_stored_id
    FROM w
    LEFT JOIN dup_id di ON di.file_id = w.file_id
    LEFT JOIN dup_name dn ON dn.unit_id = w.unit_id AND dn.room = w.room AND dn.name = w.name
    LEFT JOIN dup_target dt ON dt.resident_id = w.resident_id
),
f AS MATERIALIZED (
    SELECT e.*,
           (e.dup_id IS NOT NULL)::int + (e.dup_name IS NOT NULL)::int
           + (e.dup_target IS NOT NULL)::int + (e.ambiguous IS NOT NULL)::int
           + e.out_before_in::int + (e.id_birth IS NOT NULL)::int
           + (e.id_gender IS NOT NULL)::int + e.bad_stored_id::int AS problems
    FROM e
)
SELECT 'count', NULL::int, CASE WHEN NOT f.matched THEN 'new'
                                WHEN f.changed THEN 'updated' ELSE 'unchanged' END,
       count(*)::int, NULL::int, NULL::jsonb
FROM f WHERE f.problems = 0 GROUP BY 3
UNION ALL
SELECT 'invalid', NULL, NULL, count(*)::int, COALESCE(sum(f.problems), 0)::int, NULL
FROM f WHERE f.problems > 0
UNION ALL
(SELECT 'error', f.row_no, NULL, NULL, NULL,
        jsonb_build_object(
            'file_id', f.file_id, 'name', f.name, 'dup_id', f.dup_id, 'dup_name', f.dup_name,
            'dup_target', f.dup_target, 'ambiguous', f.ambiguous,
            'out_before_in', f.out_before_in, 'moved_out_on', f.moved_out_on,
            'id_birth', f.id_birth, 'file_birth', f.file_birth,
            'id_gender', f.id_gender, 'file_gender', f.file_gender,
            'bad_stored_id', f.bad_stored_id)
 FROM f WHERE f.problems > 0 ORDER BY f.row_no LIMIT %(limit)s)
"""

# The apply matches every staged row once, under its lock and before it writes anything
# (MATCH_SQL into a temporary table, which its check then reads): the batches find their
# household and resident by row number and id.
MATCH_TABLE = "resident_import_match"
MATCH_TABLE_SQL = """
CREATE TEMPORARY TABLE resident_import_match ON COMMIT DROP AS
SELECT m.row_no, m.unit_id, m.room, m.resident_id, m.name_matches, m.household_id,
       m.final_order
FROM ({match}) m
"""
MATCH_APPLY_SQL = """
SELECT s.*, COALESCE(t.household_id, h.id) AS household_id, t.final_order, t.resident_id,
       t.name_matches
FROM {src} s
JOIN pg_temp.resident_import_match t ON t.row_no = s.row_no
LEFT JOIN pg_temp.resident_import_households h
       ON t.household_id IS NULL AND h.unit_id = t.unit_id AND h.room = t.room
"""

# The households the apply creates, by address (empty until HOUSEHOLDS_SQL runs).
NEW_HOUSEHOLDS_TABLE = "resident_import_households"
NEW_HOUSEHOLDS_TABLE_SQL = """
CREATE TEMPORARY TABLE resident_import_households
    (unit_id bigint, room text, id bigint, PRIMARY KEY (unit_id, room)) ON COMMIT DROP
"""

# A household at every address that has none (with the first row's address text), in one
# statement before the residents, noted by address in resident_import_households: the
# batches then find every household through the match table, whatever the planner thinks
# of a table that grows inside the transaction.
HOUSEHOLDS_SQL = """
WITH created AS (
    INSERT INTO communities_household
        (created_at, updated_at, community_id, unit_id, room, address, address_order,
         phone, note)
    SELECT DISTINCT ON (s.unit_id, s.room)
           now(), now(), %(community)s, s.unit_id, s.room, s.address, s.address_order, '', ''
    FROM {src} s
    JOIN pg_temp.resident_import_match t ON t.row_no = s.row_no
    WHERE t.household_id IS NULL
    ORDER BY s.unit_id, s.room, s.row_no
    RETURNING id, unit_id, room
)
INSERT INTO pg_temp.resident_import_households (unit_id, room, id)
SELECT unit_id, room, id FROM created
"""

# The residents of the batch: changed ones updated, new ones inserted (in row order);
# unchanged ones are not touched, so they get no audit event.
RESIDENTS_SQL = """
WITH v AS MATERIALIZED ({would_be}),
upd AS (
    UPDATE communities_resident r
       SET household_id = v.household_id, name = v.name, name_initials = v.name_initials,
           id_number = v.id_number, id_valid = v.id_valid, id_tail = v.id_tail,
           gender = v.gender, birth_date = v.birth_date, relation = v.relation,
           phone = v.phone, phone_tail = v.phone_tail,
           registration_type = v.registration_type, moved_in_on = v.moved_in_on,
           moved_out_on = v.moved_out_on, address_order = v.address_order, updated_at = now()
      FROM v
     WHERE r.id = v.resident_id AND v.changed
    RETURNING 1
),
ins AS (
    INSERT INTO communities_resident
        (created_at, updated_at, community_id, household_id, name, name_initials, id_number,
         id_valid, id_tail, gender, birth_date, relation, phone, phone_tail, registration_type,
         moved_in_on, moved_out_on, address_order, note)
    SELECT now(), now(), %(community)s, v.household_id, v.name, v.name_initials, v.id_number,
           v.id_valid, v.id_tail, v.gender, v.birth_date, v.relation, v.phone, v.phone_tail,
           v.registration_type, v.moved_in_on, v.moved_out_on, v.address_order, ''
    FROM v WHERE NOT v.matched
    ORDER BY v.row_no
    RETURNING 1
)
SELECT (SELECT count(*) FROM upd)::int, (SELECT count(*) FROM ins)::int,
       (SELECT count(*) FROM v WHERE v.matched AND NOT v.changed)::int
"""


# The small ledgers' specs (row by row) register when they are imported: core.imports
# discovers each app's `imports` module only.
from communities import (  # noqa: E402, F401
    ledger_imports,
    ledger_imports_units,
    ledger_imports_volunteers,
)
