"""The disclosure workflow (DISC-3, FIN-7): drafts, the party organisation's and the
committee's approvals, the street supervision committee's stamp on financial items,
publication, archiving, corrections as new versions (attachments: attachments.py). Every
transition locks the item's row (select_for_update) and checks its state under the lock, so
two people clicking at once make one transition; pghistory records every change (@audited)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from affairs_disclosure import rules
from affairs_disclosure.models import (
    ApprovalSide,
    DisclosureApproval,
    DisclosureItem,
    ItemState,
)
from affairs_disclosure.services.common import (
    body_html,
    bump_public_version,
    check_not_future,
    perm,
    require_in_scope,
    require_perm,
    street_perm,
)
from core.errors import RuleViolation
from core.scoping import can

# What a draft's editor may change; the rest is the workflow's.
EDITABLE = ("category", "year", "quarter", "month", "title", "body", "tables", "channels")
# A correction corrects the same disclosure: its category and period stay.
FIXED_IN_CORRECTION = ("category", "year", "quarter", "month")


def _locked(user, item) -> DisclosureItem:
    """The item's row, locked; 404 outside the user's scope."""
    current = DisclosureItem.objects.filter(pk=item.pk).values_list("community_id", flat=True)
    community_id = current.first()
    if community_id is None:
        raise Http404
    require_in_scope(user, community_id)
    return (
        DisclosureItem.objects.select_for_update(of=("self",))
        .select_related("community")
        .get(pk=item.pk)
    )


def _normalise(item: DisclosureItem) -> None:
    if item.month:
        item.quarter = rules.quarter_of_month(item.month)
    item.title = (item.title or "").strip()
    item.body = body_html(item.body)
    item.channels = sorted(set(item.channels or []))
    problem = rules.tables_problem(item.tables if item.tables is not None else [])
    if problem:
        raise ValidationError({"tables": problem})


def _check_privacy(item: DisclosureItem) -> None:
    """MCA 最低生活保障审核确认办法 第二十四条; 社会救助暂行办法 第六十一条: a list of named
    residents shows masked names, household size and amount only — never an ID number or a
    phone number."""
    if item.category not in rules.PERSONAL_LIST_CATEGORIES:
        return
    found = rules.personal_data_found(
        f"{item.title}\n{item.body}\n{rules.tables_text(item.tables)}"
    )
    if found:
        raise RuleViolation(
            "DISC-1",
            _(
                "低保、救济名单不得公开%(what)s（《最低生活保障审核确认办法》第二十四条、"
                "《社会救助暂行办法》第六十一条），请删除后再提交"
            )
            % {"what": "、".join(found)},
        )


@transaction.atomic
def item_save(*, user, instance: DisclosureItem) -> DisclosureItem:
    """Create a draft, or change one. Only drafts change: an approved item goes back to draft
    first (item_return), a published one is corrected by a new version (item_correct).
    Changing the content of a draft withdraws the approvals it had (DISC-3: they approved
    other content)."""
    if instance.pk is None:
        require_perm(user, perm("add"), instance)
        instance.state = ItemState.DRAFT
        instance.version = 1
        instance.supersedes = None
        instance.created_by = user
        _normalise(instance)
        instance.full_clean()
        instance.save()
        return instance
    current = _locked(user, instance)
    require_perm(user, perm("change"), current)
    if instance.community_id != current.community_id:
        raise ValidationError({"community": _("公开事项不能改到其他社区")})
    if current.state != ItemState.DRAFT:
        raise RuleViolation(
            "DISC-3",
            _("只有草稿可以修改（当前：%(state)s）；已公布的事项请生成更正版本")
            % {"state": current.get_state_display()},
        )
    fixed = FIXED_IN_CORRECTION if current.supersedes_id else ()
    for name in EDITABLE:
        if name not in fixed:
            setattr(current, name, getattr(instance, name))
    _normalise(current)
    current.full_clean()
    before = DisclosureItem.objects.filter(pk=current.pk).values(*EDITABLE).get()
    if any(before[name] != getattr(current, name) for name in EDITABLE):
        DisclosureApproval.objects.filter(item=current).delete()
    current.save()
    return current


@transaction.atomic
def item_delete(*, user, instance: DisclosureItem) -> None:
    """A draft that will not be published (a published item is never deleted: the database
    refuses it)."""
    item = _locked(user, instance)
    require_perm(user, perm("delete"), item)
    if item.state != ItemState.DRAFT:
        raise RuleViolation("DISC-3", _("只有草稿可以删除"))
    files = [a.file for a in item.attachments.all()]
    item.delete()
    transaction.on_commit(lambda: [f.delete(save=False) for f in files])


def approval_perm(side: str) -> str:
    return perm(f"approve_{side}")


@transaction.atomic
def item_approve(*, user, item: DisclosureItem, side: str, comment: str = "") -> DisclosureItem:
    """DISC-3 (003 四(五) 提请居委会党组织和居委会成员核准): one side's approval of a
    draft; with both sides the item is approved. Who and when are recorded."""
    if side not in ApprovalSide.values:
        raise ValidationError({"side": _("核准方无效")})
    item = _locked(user, item)
    if not can(user, approval_perm(side), item):
        raise PermissionDenied(_("您不能以“%(side)s”名义核准") % {"side": ApprovalSide(side).label})
    if item.state != ItemState.DRAFT:
        raise RuleViolation(
            "DISC-3",
            _("只有草稿需要核准（当前：%(state)s）") % {"state": item.get_state_display()},
        )
    _check_privacy(item)
    sides = set(item.approvals.values_list("side", flat=True))
    if side in sides:
        raise RuleViolation("DISC-3", _("“%(side)s”已核准") % {"side": ApprovalSide(side).label})
    DisclosureApproval.objects.create(
        item=item, side=side, user=user, comment=(comment or "").strip()[:500]
    )
    if sides | {side} == set(ApprovalSide.values):
        item.state = ItemState.APPROVED
        item.approved_at = timezone.now()
        item.save(update_fields=["state", "approved_at", "updated_at"])
    return item


@transaction.atomic
def item_stamp(*, user, item: DisclosureItem, stamped_on=None) -> DisclosureItem:
    """FIN-7 (003 十四(七) 上墙公布前必须进行审核签章): the street supervision committee
    reviews and stamps an approved financial disclosure."""
    item = _locked(user, item)
    if not rules.needs_stamp(item.category):
        raise RuleViolation("FIN-7", _("只有财务收支公开需要街道监管会审核签章"))
    if not street_perm(user, perm("stamp"), item.community.street_id):
        raise PermissionDenied(_("财务公开须由街道监管会成员审核签章"))
    if item.state != ItemState.APPROVED:
        raise RuleViolation(
            "DISC-3",
            _("须先经社区党组织和居委会成员核准，才能审核签章（当前：%(state)s）")
            % {"state": item.get_state_display()},
        )
    stamped_on = check_not_future(stamped_on, "stamped_on")
    if item.approved_at and stamped_on < timezone.localtime(item.approved_at).date():
        raise ValidationError({"stamped_on": _("签章日期不能早于核准日期")})
    item.state = ItemState.STAMPED
    item.stamped_on, item.stamped_by = stamped_on, user
    item.save(update_fields=["state", "stamped_on", "stamped_by", "updated_at"])
    return item


@transaction.atomic
def item_publish(*, user, item: DisclosureItem, published_on=None) -> DisclosureItem:
    """Post an approved item (a financial one once stamped, with the stamp date on or before
    the posting date: FIN-7) on the chosen channels (DISC-5). From here it never changes."""
    item = _locked(user, item)
    if not can(user, perm("publish"), item):
        raise PermissionDenied(_("您没有公布居务公开事项的权限"))
    if rules.needs_stamp(item.category):
        if item.state != ItemState.STAMPED:
            raise RuleViolation(
                "FIN-7",
                _("财务公开须经街道监管会审核签章后才能公布（当前：%(state)s）")
                % {"state": item.get_state_display()},
            )
    elif item.state != ItemState.APPROVED:
        raise RuleViolation(
            "DISC-3",
            _("须经社区党组织和居委会成员核准后才能公布（当前：%(state)s）")
            % {"state": item.get_state_display()},
        )
    published_on = check_not_future(published_on, "published_on")
    if rules.needs_stamp(item.category) and not rules.stamp_precedes_publication(
        item.stamped_on, published_on
    ):
        raise RuleViolation(
            "FIN-7",
            _("公布日期（%(pub)s）不能早于签章日期（%(stamp)s）")
            % {"pub": published_on, "stamp": item.stamped_on},
            field="published_on",
        )
    if not item.channels:
        raise RuleViolation(
            "DISC-5",
            _(
                "请至少选择一种公开形式（公开栏、宣传栏、墙报或会议）：网上公开是补充，不能代替公开栏"
            ),
            field="channels",
        )
    _check_privacy(item)
    item.state = ItemState.PUBLISHED
    item.published_on, item.published_at, item.published_by = published_on, timezone.now(), user
    item.save(update_fields=["state", "published_on", "published_at", "published_by", "updated_at"])
    bump_public_version(item.community_id)
    return item


@transaction.atomic
def item_archive(*, user, item: DisclosureItem) -> DisclosureItem:
    """A published item leaves the current board and stays in the history (and the audit)."""
    item = _locked(user, item)
    if not can(user, perm("archive"), item):
        raise PermissionDenied(_("您没有归档居务公开事项的权限"))
    if item.state != ItemState.PUBLISHED:
        raise RuleViolation("DISC-3", _("只有已公布的事项可以归档"))
    item.state = ItemState.ARCHIVED
    item.archived_at, item.archived_by = timezone.now(), user
    item.save(update_fields=["state", "archived_at", "archived_by", "updated_at"])
    bump_public_version(item.community_id)
    return item


def may_return(user, item: DisclosureItem) -> bool:
    return (
        can(user, perm("change"), item)
        or any(can(user, approval_perm(side), item) for side in ApprovalSide.values)
        or street_perm(user, perm("stamp"), item.community.street_id)
    )


@transaction.atomic
def item_return(*, user, item: DisclosureItem, reason: str) -> DisclosureItem:
    """Send an item that is not yet published back to draft (an approver or the supervision
    committee found a problem): its approvals and stamp are withdrawn."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写退回原因")})
    item = _locked(user, item)
    if not may_return(user, item):
        raise PermissionDenied(_("您没有退回此事项的权限"))
    if item.state not in (ItemState.DRAFT, ItemState.APPROVED, ItemState.STAMPED):
        raise RuleViolation("DISC-3", _("已公布的事项不能退回，请生成更正版本"))
    DisclosureApproval.objects.filter(item=item).delete()
    item.state = ItemState.DRAFT
    item.approved_at = item.stamped_on = item.stamped_by = None
    item.save(update_fields=["state", "approved_at", "stamped_on", "stamped_by", "updated_at"])
    return item


@transaction.atomic
def item_correct(*, user, item: DisclosureItem, reason: str) -> DisclosureItem:
    """A correction of a published item: a new draft version that supersedes it, with the
    same category and period, approved (and stamped) and published anew. The published
    version never changes; once the correction is published the public page marks the old
    one "已更正" with the date. A generated financial item takes the latest stamped version
    of its statement."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"correction_reason": _("请填写更正原因")})
    original = _locked(user, item)
    require_perm(user, perm("add"), original)
    if original.state not in (ItemState.PUBLISHED, ItemState.ARCHIVED):
        raise RuleViolation("DISC-3", _("只有已公布的事项需要更正；草稿可直接修改"))
    if DisclosureItem.objects.filter(supersedes=original).exists():
        raise RuleViolation("DISC-3", _("该版本已有更正版本"))
    top = DisclosureItem.objects.filter(
        community_id=original.community_id,
        category=original.category,
        year=original.year,
        quarter=original.quarter,
        month=original.month,
    ).aggregate(v=Max("version"))["v"]
    correction = DisclosureItem(
        community_id=original.community_id,
        category=original.category,
        year=original.year,
        quarter=original.quarter,
        month=original.month,
        version=max(top or 1, original.version) + 1,
        supersedes=original,
        correction_reason=reason,
        title=original.title,
        body=original.body,
        tables=original.tables,
        channels=original.channels,
        source=original.source,
        source_statement=original.source_statement,
        source_sitting=original.source_sitting,
        created_by=user,
        state=ItemState.DRAFT,
    )
    if original.source_statement_id:
        from affairs_disclosure.services.generate import latest_statement, statement_content

        statement = latest_statement(original.source_statement)
        correction.source_statement = statement
        correction.title, correction.body, correction.tables = statement_content(statement)
    correction.full_clean()
    correction.save()
    return correction
