"""Reads for the street-wide staffing table (issue #5, STAFF-1): per community its
households, the required range of full-time workers, the actual number, and the vacancies
by post. A fixed number of queries whatever the number of communities or workers."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import ResidentsGroup
from communities.selectors import community_list
from core.scoping import scoped
from staffing import rules
from staffing.models import Post, PostTerm, StaffingReason, Worker

# Column order and headings of the table's post groups.
POST_GROUPS = (
    (Post.PARTY_SECRETARY, Post.PARTY_SECRETARY.label),
    ("party_committee", _("党组织委员会")),
    (Post.COMMITTEE_DIRECTOR, Post.COMMITTEE_DIRECTOR.label),
    ("committee", _("居委会成员")),
    (Post.ACCOUNTANT, Post.ACCOUNTANT.label),
    (Post.CASHIER, Post.CASHIER.label),
    (Post.SERVICE_STAFF, _("服务站（室）工作人员")),
    (Post.GRID_WORKER, Post.GRID_WORKER.label),
)


@dataclass
class PostCell:
    expected: int
    actual: int

    @property
    def vacant(self) -> int:
        return rules.vacancies(self.expected, self.actual)


@dataclass
class StaffingRow:
    community: object
    households: int
    required_low: int
    required_high: int
    actual: int
    has_reason: bool
    posts: list[PostCell] = field(default_factory=list)

    @property
    def shortfall(self) -> int:
        """STAFF-1: workers missing to reach the lower bound."""
        return max(self.required_low - self.actual, 0)

    @property
    def excess(self) -> int:
        """STAFF-1: workers above the upper bound (needs a recorded reason)."""
        return max(self.actual - self.required_high, 0)

    @property
    def status(self) -> str:
        if self.shortfall:
            return "understaffed"
        if self.excess and not self.has_reason:
            return "over"
        return "ok"

    @property
    def vacancies(self) -> int:
        return sum(cell.vacant for cell in self.posts)

    @property
    def labelled_posts(self):
        """(heading, cell) per post group, for templates."""
        return [
            (label, cell) for (_group, label), cell in zip(POST_GROUPS, self.posts, strict=True)
        ]


@dataclass
class StaffingTable:
    day: dt.date
    groups: tuple = POST_GROUPS
    rows: list[StaffingRow] = field(default_factory=list)

    def total(self, attr: str) -> int:
        return sum(getattr(row, attr) for row in self.rows)

    @property
    def totals(self) -> dict:
        return {
            "households": self.total("households"),
            "required_low": self.total("required_low"),
            "required_high": self.total("required_high"),
            "actual": self.total("actual"),
            "shortfall": self.total("shortfall"),
            "excess": self.total("excess"),
            "vacancies": self.total("vacancies"),
            "posts": [
                PostCell(
                    expected=sum(row.posts[i].expected for row in self.rows),
                    actual=sum(row.posts[i].actual for row in self.rows),
                )
                for i in range(len(self.groups))
            ],
        }


def staffing_table(*, user, day: dt.date | None = None, community_id: int | None = None):
    """The staffing table of every active community in the user's scope (or one)."""
    day = day or timezone.localdate()
    communities = community_list(user=user, active_only=True)
    if community_id is not None:
        communities = communities.filter(pk=community_id)
    communities = list(communities)
    ids = [c.pk for c in communities]

    full_time = dict(
        scoped(Worker.objects.all(), user)
        .filter(community_id__in=ids, is_full_time=True, left_on__isnull=True)
        .values_list("community_id")
        .annotate(n=Count("pk"))
    )
    holders: dict[tuple[int, str], set[int]] = defaultdict(set)
    current = (
        scoped(PostTerm.objects.all(), user)
        .filter(community_id__in=ids, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .filter(Q(worker__left_on__isnull=True) | Q(worker__left_on__gte=day))
        .values_list("community_id", "post", "worker_id")
    )
    for community_id_, post, worker_id in current:
        holders[community_id_, post].add(worker_id)
    reasons = set(
        StaffingReason.objects.filter(community_id__in=ids, year=day.year).values_list(
            "community_id", flat=True
        )
    )
    groups = dict(
        ResidentsGroup.objects.filter(community_id__in=ids)
        .values_list("community_id")
        .annotate(n=Count("pk"))
    )

    table = StaffingTable(day=day)
    for community in communities:
        profile = community.profile
        low, high = rules.required_range(community.households, profile)
        expected = rules.expected_posts(community.households, groups.get(community.pk, 0), profile)
        cells = []
        for group, _label in POST_GROUPS:
            people = set()
            for post in rules.post_group_members(group):
                people |= holders.get((community.pk, post), set())
            cells.append(PostCell(expected=expected[group], actual=len(people)))
        table.rows.append(
            StaffingRow(
                community=community,
                households=community.households,
                required_low=low,
                required_high=high,
                actual=full_time.get(community.pk, 0),
                has_reason=community.pk in reasons,
                posts=cells,
            )
        )
    return table


def staffing_table_xlsx(table: StaffingTable):
    """The staffing table as an Excel sheet (write-only; one row per community + totals)."""
    from django.utils.translation import gettext as gettext_now
    from openpyxl import Workbook

    from core.exports import safe_cell, xlsx_response

    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(gettext_now("社区工作者配备表"))
    header = [
        gettext_now("社区"),
        gettext_now("户数"),
        gettext_now("应配下限"),
        gettext_now("应配上限"),
        gettext_now("实配（专职）"),
        gettext_now("缺配"),
        gettext_now("超配"),
        gettext_now("超配说明"),
    ]
    for _group, label in table.groups:
        header += [
            f"{label}·" + gettext_now("应配"),
            f"{label}·" + gettext_now("实配"),
            f"{label}·" + gettext_now("空缺"),
        ]
    sheet.append(header)

    def post_cells(cells):
        out = []
        for cell in cells:
            out += [cell.expected, cell.actual, cell.vacant]
        return out

    for row in table.rows:
        sheet.append(
            [
                safe_cell(row.community.name),
                row.households,
                row.required_low,
                row.required_high,
                row.actual,
                row.shortfall,
                row.excess,
                gettext_now("已登记") if row.has_reason else "",
            ]
            + post_cells(row.posts)
        )
    totals = table.totals
    sheet.append(
        [
            gettext_now("合计"),
            totals["households"],
            totals["required_low"],
            totals["required_high"],
            totals["actual"],
            totals["shortfall"],
            totals["excess"],
            "",
        ]
        + post_cells(totals["posts"])
    )
    return xlsx_response(wb, f"社区工作者配备表_{table.day:%Y%m%d}.xlsx")
