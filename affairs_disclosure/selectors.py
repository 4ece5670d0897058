"""Reads of affairs disclosure. Staff reads start from core.scoping.scoped (another
community's rows do not exist: 404). The street table (DISC-2) reads two queries whatever
the number of communities and items."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from affairs_disclosure import rules
from affairs_disclosure.models import (
    PUBLIC_STATES,
    ApprovalSide,
    Category,
    DisclosureApproval,
    DisclosureAttachment,
    DisclosureItem,
    QuestionState,
    ResidentQuestion,
    Source,
)
from communities.models import Community
from core.scoping import scoped

# --- staff ------------------------------------------------------------------------------------


def item_list(
    *,
    user,
    community_id: int | None = None,
    state: str | None = None,
    category: str | None = None,
) -> QuerySet[DisclosureItem]:
    items = scoped(
        DisclosureItem.objects.select_related("community", "created_by", "published_by"), user
    ).defer("body", "tables")
    if community_id is not None:
        items = items.filter(community_id=community_id)
    if state:
        items = items.filter(state=state)
    if category:
        items = items.filter(category=category)
    return items.order_by("-year", "-quarter", "-month", "community__name", "category", "-version")


def item_get(*, user, pk: int) -> DisclosureItem:
    """One item in the user's scope with its approvals, attachments, stamp and the versions
    around it; Http404 for any other id."""
    queryset = scoped(
        DisclosureItem.objects.select_related(
            "community__street",
            "created_by",
            "stamped_by",
            "published_by",
            "archived_by",
            "supersedes",
            "source_statement",
            "source_sitting",
        ).prefetch_related(
            Prefetch("approvals", queryset=DisclosureApproval.objects.select_related("user")),
            Prefetch("attachments", queryset=DisclosureAttachment.objects.order_by("pk")),
        ),
        user,
    )
    item = get_object_or_404(queryset, pk=pk)
    item.correction = DisclosureItem.objects.filter(supersedes=item).first()
    item.approval_by_side = {a.side: a for a in item.approvals.all()}
    item.missing_sides = [s for s in ApprovalSide if s.value not in item.approval_by_side]
    return item


def attachment_get(*, user, pk: int) -> DisclosureAttachment:
    return get_object_or_404(
        scoped(DisclosureAttachment.objects.select_related("item"), user), pk=pk
    )


def question_list(*, user, state: str | None = None, overdue: bool = False, community_id=None):
    questions = scoped(
        ResidentQuestion.objects.select_related("community", "item", "replied_by"), user
    )
    if state:
        questions = questions.filter(state=state)
    if overdue:
        questions = questions.filter(state=QuestionState.OPEN, due_on__lt=timezone.localdate())
    if community_id is not None:
        questions = questions.filter(community_id=community_id)
    return questions.order_by("state", "due_on", "-received_at", "-pk")


def question_get(*, user, pk: int) -> ResidentQuestion:
    return get_object_or_404(
        scoped(ResidentQuestion.objects.select_related("community", "item", "replied_by"), user),
        pk=pk,
    )


def statements_for_generation(*, user):
    """Stamped or published quarterly statements in the user's scope (FIN-7): the sources of
    a financial disclosure draft."""
    from finance.models import QuarterlyStatement, StatementState

    return scoped(
        QuarterlyStatement.objects.select_related("community").filter(
            state__in=[StatementState.STAMPED, StatementState.PUBLISHED]
        ),
        user,
    ).order_by("-year", "-quarter", "community__name", "-version")


def sittings_for_generation(*, user):
    """Closed sittings of the residents' representative assembly in the user's scope with at
    least one motion voted on (MEET-1): the sources of a resolutions disclosure (DISC-1(3))."""
    from meetings.models import MotionState, Sitting, SittingState

    return (
        scoped(Sitting.objects.select_related("community"), user)
        .filter(state=SittingState.CLOSED, motions__state=MotionState.CLOSED)
        .distinct()
        .order_by("-closed_at", "-pk")
    )


def sitting_for_generation_get(*, user, pk: int):
    """A sitting in the user's scope, whatever its state (the service says why one not
    closed is refused); Http404 for any other id."""
    from meetings.models import Sitting

    return get_object_or_404(scoped(Sitting.objects.all(), user), pk=pk)


def community_for_generation_get(*, user, pk: int) -> Community:
    """A community in the user's scope (the service says whether the user may generate its
    drafts); Http404 for any other id."""
    return get_object_or_404(scoped(Community.objects.all(), user), pk=pk)


# --- the street table (DISC-2) -----------------------------------------------------------------


def published_facts(community_ids, blocks) -> dict[tuple[int, str], list[tuple]]:
    """{(community id, category): [(year, quarter, month, published_on)]} of the public items
    that can decide the DISC-2 status of `blocks`: published within one of them, or about a
    year one of them falls in. One query."""
    blocks = list(blocks)
    facts: dict[tuple[int, str], list[tuple]] = {}
    if not community_ids or not blocks:
        return facts
    first = min(b.first for b in blocks)
    last = max(b.last for b in blocks)
    years = sorted({b.first.year for b in blocks} | {b.last.year for b in blocks})
    rows = (
        DisclosureItem.objects.filter(
            community_id__in=sorted(community_ids), state__in=PUBLIC_STATES
        )
        # The fees of paid services (FIN-8) are financial too, but do not stand in for the
        # quarter's income and expenditure disclosure.
        .exclude(source=Source.PAID_FEES)
        .filter(Q(published_on__gte=first, published_on__lte=last) | Q(year__in=years))
        .values_list("community_id", "category", "year", "quarter", "month", "published_on")
    )
    for community_id, category, year, quarter, month, published_on in rows:
        facts.setdefault((community_id, category), []).append((year, quarter, month, published_on))
    return facts


@dataclass
class Cell:
    category: str
    required: bool
    status: str
    published_on: dt.date | None = None

    @property
    def late(self) -> bool:
        return self.required and self.status in (rules.LATE, rules.MISSING)


@dataclass
class StatusRow:
    community: Community
    block: rules.Block
    cells: list[Cell] = field(default_factory=list)

    @property
    def late_count(self) -> int:
        return sum(1 for c in self.cells if c.late)


@dataclass
class StatusTable:
    year: int
    quarter: int
    today: dt.date
    categories: list[tuple[str, str, bool]]
    rows: list[StatusRow]


def status_table(*, user, year: int, quarter: int, today: dt.date | None = None) -> StatusTable:
    """DISC-2: per community in the user's scope, for the disclosure block that ends with the
    quarter (the quarter itself under the default profile), each category's first publication
    within the block (rules.block_status) and whether the required ones are late. Two
    queries."""
    today = today or timezone.localdate()
    _first, last = rules.quarter_bounds(year, quarter)
    communities = list(
        community_list_for_table(user).only(
            "id", "name", "street_id", "profile__disclosure_interval_months"
        )
    )
    blocks = {c.pk: rules.block_of(last, c.profile.disclosure_interval_months) for c in communities}
    facts = published_facts(list(blocks), blocks.values())
    required = set(rules.REQUIRED_CATEGORIES)
    table_rows = []
    for community in communities:
        block = blocks[community.pk]
        cells = []
        for category in Category.values:
            status, day = rules.block_status(block, facts.get((community.pk, category), ()), today)
            cells.append(Cell(category, category in required, status, day))
        table_rows.append(StatusRow(community, block, cells))
    categories = [(value, label, value in required) for value, label in Category.choices]
    return StatusTable(year, quarter, today, categories, table_rows)


def community_list_for_table(user) -> QuerySet[Community]:
    return (
        scoped(Community.objects.select_related("profile", "street"), user)
        .filter(is_active=True)
        .order_by("street__name", "name")
    )


# --- public pages ------------------------------------------------------------------------------


def public_items(community_id: int, year: int | None = None) -> list[DisclosureItem]:
    """Every published or archived item of a community (of one year if given), newest
    period first, each with `corrected_on` (the publication date of a published correction,
    None if none). One query; body and tables are not read."""
    correction = DisclosureItem.objects.filter(
        supersedes=OuterRef("pk"), state__in=PUBLIC_STATES
    ).values("published_on")[:1]
    items = DisclosureItem.objects.filter(community_id=community_id, state__in=PUBLIC_STATES)
    if year is not None:
        items = items.filter(year=year)
    return list(
        items.annotate(corrected_on=correction)
        .only(
            "id",
            "community_id",
            "category",
            "year",
            "quarter",
            "month",
            "version",
            "title",
            "state",
            "published_on",
            "supersedes_id",
        )
        .order_by("-year", "-quarter", "-month", "category", "-version", "-pk")
    )


@dataclass
class PublicBoard:
    """What the community's public page lists: the current items by category, and the
    quarters that have public items, by year (each year is a page of its own)."""

    current: list[tuple[str, list]]
    years: list[tuple[int, list[tuple[int, int]]]]
    count: int


def public_board(items: list[DisclosureItem]) -> PublicBoard:
    """Current: per category, the items of its latest period still on the board (published,
    not archived, not replaced by a published correction). Years: (year, [(quarter, number
    of items)]) newest first."""
    labels = dict(Category.choices)
    latest: dict[str, tuple] = {}
    current: dict[str, list] = {}
    counts: dict[int, dict[int, int]] = {}
    for item in items:
        quarters = counts.setdefault(item.year, {})
        quarters[item.quarter] = quarters.get(item.quarter, 0) + 1
        if item.state != "published" or item.corrected_on is not None:
            continue
        period = (item.year, item.quarter, item.month or 0)
        best = latest.get(item.category)
        if best is None or period > best:
            latest[item.category] = period
            current[item.category] = [item]
        elif period == best:
            current[item.category].append(item)
    return PublicBoard(
        current=[(labels[c], current[c]) for c in Category.values if c in current],
        years=[
            (year, sorted(quarters.items(), reverse=True))
            for year, quarters in sorted(counts.items(), reverse=True)
        ],
        count=len(items),
    )


def public_history(items: list[DisclosureItem], year: int) -> list[tuple[int, list]]:
    """The year's public items by quarter, newest first, corrected ones marked."""
    quarters: dict[int, list] = {}
    for item in items:
        if item.year == year:
            quarters.setdefault(item.quarter, []).append(item)
    return sorted(quarters.items(), reverse=True)


def public_item_get(*, community_pk: int, pk: int) -> DisclosureItem:
    """A published (or archived) item of an active community, reached through that community
    only: a draft, an unpublished item, another community's or another street's id is 404
    whatever the URL. With its correction (if published), attachments and published replies."""
    item = get_object_or_404(
        DisclosureItem.objects.select_related(
            "community__street", "community__profile", "supersedes"
        ).filter(
            community_id=community_pk,
            community__is_active=True,
            state__in=PUBLIC_STATES,
        ),
        pk=pk,
    )
    if item.supersedes is not None and item.supersedes.state not in PUBLIC_STATES:
        item.supersedes = None  # never link to a version the public cannot see
    item.correction = (
        DisclosureItem.objects.filter(supersedes=item, state__in=PUBLIC_STATES)
        .only("id", "version", "published_on", "community_id")
        .first()
    )
    item.public_attachments = list(item.attachments.order_by("pk"))
    item.replies = list(
        ResidentQuestion.objects.filter(item=item, state=QuestionState.ANSWERED)
        .only("id", "kind", "public_text", "reply", "replied_at", "received_at")
        .order_by("replied_at", "pk")
    )
    return item


def public_attachment_get(*, community_pk: int, pk: int) -> DisclosureAttachment:
    return get_object_or_404(
        DisclosureAttachment.objects.select_related("item").filter(
            item__community_id=community_pk,
            item__community__is_active=True,
            item__state__in=PUBLIC_STATES,
        ),
        pk=pk,
    )
