"""The roster import (花名册): one row per post term of a community worker.

Workers are matched by community + 姓名 + 联系电话, terms by worker + 职务 + 任期开始; a
matched record is updated where the file differs and never duplicated. Every save goes
through staffing.services (worker_save, post_term_save), so STAFF-4 (overlapping terms) and
STAFF-8 (incompatible posts) refuse rows exactly as in the admin, with their rule id.
"""

import copy
import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.imports import (
    BOOL,
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
from staffing.models import Gender, Post, PostTerm, Selection, Source, Worker
from staffing.services import post_term_save, worker_save

WORKER_FIELDS = ("gender", "source", "is_full_time", "hired_on")
TERM_FIELDS = ("ends_on", "selection")


@register
class RosterSpec(ImportSpec):
    kind = "roster"
    title = gettext_lazy("社区工作者花名册")
    sheet_name = gettext_lazy("花名册")
    perms = (
        "staffing.add_worker",
        "staffing.change_worker",
        "staffing.add_postterm",
        "staffing.change_postterm",
    )
    view_perm = "staffing.view_worker"
    community_column = "community"
    columns = (
        Column(
            "community",
            gettext_lazy("社区"),
            TEXT,
            header_optional=True,
            max_length=100,
            width=16,
            example="幸福社区",
            help=gettext_lazy(
                "全街道导入时必填，按名称匹配您管理的社区；在本社区导入时可留空，"
                "填写时须为本社区名称"
            ),
        ),
        Column(
            "name",
            gettext_lazy("姓名"),
            TEXT,
            required=True,
            max_length=50,
            width=10,
            example="张三",
            help=gettext_lazy("与联系电话一起识别同一人员"),
        ),
        Column("gender", gettext_lazy("性别"), CHOICE, choices=Gender, width=8, example="female"),
        Column(
            "phone",
            gettext_lazy("联系电话"),
            TEXT,
            max_length=40,
            width=15,
            example="13800000000",
            help=gettext_lazy("与姓名一起识别同一人员；已登记的电话请保持一致"),
        ),
        Column(
            "source",
            gettext_lazy("人员来源"),
            CHOICE,
            choices=Source,
            width=22,
            example=Source.RECRUITED_GRADUATE,
            help=gettext_lazy("STAFF-3：原有留用、下派干部、公开招聘"),
        ),
        Column(
            "is_full_time",
            gettext_lazy("是否专职"),
            BOOL,
            width=10,
            example=True,
            help=gettext_lazy("STAFF-1：专职人员计入配备人数"),
        ),
        Column("hired_on", gettext_lazy("入职日期"), DATE, width=12, example=dt.date(2020, 3, 1)),
        Column(
            "post",
            gettext_lazy("职务"),
            CHOICE,
            choices=Post,
            width=22,
            example=Post.COMMITTEE_MEMBER,
            help=gettext_lazy("留空则只登记人员信息；STAFF-8：书记、主任不得兼任会计、出纳"),
        ),
        Column(
            "starts_on",
            gettext_lazy("任期开始"),
            DATE,
            width=12,
            example=dt.date(2021, 1, 1),
            help=gettext_lazy("填写职务时必填；与人员、职务一起识别同一任期"),
        ),
        Column(
            "ends_on",
            gettext_lazy("任期届满"),
            DATE,
            width=12,
            example=dt.date(2025, 12, 31),
            help=gettext_lazy("STAFF-4：不得早于任期开始"),
        ),
        Column(
            "selection",
            gettext_lazy("产生方式"),
            CHOICE,
            choices=Selection,
            width=16,
            example=Selection.ELECTED,
        ),
    )
    rules = (
        ("STAFF-3", gettext_lazy("人员来源：原有留用、下派（退居二线）干部、公开招聘")),
        ("STAFF-4", gettext_lazy("同一人员同一职务的任期不得重叠；任期届满不得早于任期开始")),
        (
            "STAFF-8",
            gettext_lazy("居委会主任、党组织书记不得兼任会计、出纳；会计与出纳按参数方案分设"),
        ),
        ("STAFF-9", gettext_lazy("除 STAFF-8 外，鼓励交叉任职：一人可在多行登记多个职务")),
    )
    notes = (
        gettext_lazy("每行一条任职记录；一人担任多个职务时填写多行，人员信息各行须一致。"),
        gettext_lazy(
            "按“社区 + 姓名 + 联系电话”匹配已有人员，按“人员 + 职务 + 任期开始”匹配已有任期。"
        ),
        gettext_lazy("已有记录只更新有变化的内容；空白单元格保持系统中的原值不变。"),
        gettext_lazy("换届结果（续任与否）不能通过导入登记，请使用“记录换届结果”。"),
    )

    def natural_key(self, values):
        return (
            values.get("community") or "",
            values["name"],
            values.get("phone") or "",
            values.get("post"),
            values.get("starts_on"),
        )

    def clean_row(self, ctx: ImportContext, row: Row) -> None:
        v = row.values
        if v.get("post") and not v.get("starts_on"):
            raise RowError(_("填写职务时必须填写任期开始日期"), column="starts_on")
        if not v.get("post") and (v.get("starts_on") or v.get("ends_on") or v.get("selection")):
            raise RowError(_("填写了任期信息，但没有填写职务"), column="post")

    def apply_row(self, ctx: ImportContext, row: Row) -> Outcome:
        v = row.values
        community = ctx.community_for(v.get("community"))
        worker, worker_outcome = self._worker(ctx, community, row)
        term_outcome = Outcome.UNCHANGED
        if v.get("post"):
            term_outcome = self._term(ctx, community, worker, v)
        outcomes = {worker_outcome, term_outcome}
        if Outcome.NEW in outcomes:
            return Outcome.NEW
        return Outcome.UPDATED if Outcome.UPDATED in outcomes else Outcome.UNCHANGED

    # --- matching ------------------------------------------------------------------------

    def _load(self, ctx: ImportContext, community):
        """Workers by (name, phone) and terms by worker and (post, start) of one community,
        read once per community."""
        loaded = ctx.cache.setdefault("communities", {})
        if community.pk not in loaded:
            workers, terms = {}, {}
            for worker in Worker.objects.filter(community=community).order_by("pk"):
                workers.setdefault((worker.name, worker.phone), []).append(worker)
            for term in PostTerm.objects.filter(community=community):
                terms.setdefault(term.worker_id, {})[(term.post, term.starts_on)] = term
            loaded[community.pk] = (workers, terms)
        return loaded[community.pk]

    def _worker(self, ctx: ImportContext, community, row: Row):
        v = row.values
        workers, _terms = self._load(ctx, community)
        key = (v["name"], v.get("phone") or "")
        given = {f: v[f] for f in WORKER_FIELDS if v.get(f) is not None}
        self._check_consistent(ctx, community, key, given, row)
        found = workers.get(key, [])
        if len(found) > 1:
            raise RowError(
                _("本社区有 %(n)s 名“%(name)s”使用同一联系电话，无法确定是哪一位")
                % {"n": len(found), "name": key[0]},
                column="name",
            )
        if not found:
            worker = Worker(community=community, name=key[0], phone=key[1], **given)
            worker_save(user=ctx.user, worker=worker)
            ctx.after_row(lambda: workers.__setitem__(key, [worker]))
            return worker, Outcome.NEW
        existing = found[0]
        changed = {f: val for f, val in given.items() if getattr(existing, f) != val}
        if not changed:
            return existing, Outcome.UNCHANGED
        worker = copy.copy(existing)  # the cached one stays as stored until the row commits
        for name, value in changed.items():
            setattr(worker, name, value)
        worker_save(user=ctx.user, worker=worker)
        ctx.after_row(lambda: workers.__setitem__(key, [worker]))
        return worker, Outcome.UPDATED

    def _check_consistent(self, ctx, community, key, given, row):
        """The rows of one person (one per post) must agree on the person's details."""
        seen = ctx.cache.setdefault("people", {})
        person = (community.pk, *key)
        first = seen.get(person)
        if first is not None:
            number, values = first
            for name, value in given.items():
                if name in values and values[name] != value:
                    column = self.column(name)
                    raise RowError(
                        _("与第 %(row)s 行同一人员的“%(column)s”不一致")
                        % {"row": number, "column": column.header},
                        column=name,
                    )
        merged = {**(first[1] if first else {}), **given}
        ctx.after_row(lambda: seen.__setitem__(person, (first[0] if first else row.number, merged)))

    def _term(self, ctx: ImportContext, community, worker, v) -> Outcome:
        _workers, terms = self._load(ctx, community)
        key = (v["post"], v["starts_on"])
        existing = terms.get(worker.pk, {}).get(key)
        given = {f: v[f] for f in TERM_FIELDS if v.get(f) is not None}
        if existing is None:
            term = PostTerm(
                worker=worker, community=community, post=key[0], starts_on=key[1], **given
            )
            post_term_save(user=ctx.user, term=term)
            ctx.after_row(lambda: terms.setdefault(worker.pk, {}).__setitem__(key, term))
            return Outcome.NEW
        changed = {f: val for f, val in given.items() if getattr(existing, f) != val}
        if not changed:
            return Outcome.UNCHANGED
        term = copy.copy(existing)
        term.worker = worker
        for name, value in changed.items():
            setattr(term, name, value)
        post_term_save(user=ctx.user, term=term)
        ctx.after_row(lambda: terms[worker.pk].__setitem__(key, term))
        return Outcome.UPDATED

    def export_response(self, *, user, community=None):
        from staffing.exports import roster_xlsx

        return roster_xlsx(user=user, community=community)
