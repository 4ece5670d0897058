"""MEET-2 work plans: the director drafts the yearly, quarterly and monthly plan (003 二(二));
the assembly may approve it (003 三(二)). Reads scoped, writes through `workplan_save`."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import RuleViolation
from core.scoping import scoped
from core.services import require
from meetings.models import MotionKind, MotionState
from meetings.workplans import PlanKind, WorkPlan, period_start


def workplan_list(*, user, community_id=None):
    rows = scoped(WorkPlan.objects.select_related("community", "drafted_by", "approved_by"), user)
    if community_id is not None:
        rows = rows.filter(community_id=community_id)
    return rows


def workplan_get(*, user, pk) -> WorkPlan:
    plan = workplan_list(user=user).filter(pk=pk).first()
    if plan is None:
        raise Http404
    return plan


@transaction.atomic
def workplan_save(*, user, instance: WorkPlan) -> WorkPlan:
    """MEET-2: draft or revise a plan. The period is normalised to its first day; one plan per
    community, kind and period; the approving resolution, if given, is a passed motion of a
    sitting of the same community."""
    action = "change" if instance.pk else "add"
    require(user, f"meetings.{action}_workplan", instance)
    if instance.pk:
        current = WorkPlan.objects.select_for_update().filter(pk=instance.pk).first()
        if current is None or current.community_id != instance.community_id:
            raise Http404
    if instance.period_start and instance.kind in PlanKind.values:
        instance.period_start = period_start(instance.kind, instance.period_start)
    motion = instance.approved_by
    if motion is not None:
        if motion.sitting.community_id != instance.community_id:
            raise RuleViolation("MEET-2", _("请选择本社区居民代表会议的决议"), field="approved_by")
        if motion.state != MotionState.CLOSED or not motion.passed:
            raise RuleViolation("MEET-2", _("该表决事项未获通过"), field="approved_by")
        if motion.kind != MotionKind.PLAN:
            raise RuleViolation("MEET-2", _("该表决事项不是工作计划"), field="approved_by")
    if not instance.drafted_by_id:
        instance.drafted_by = user
    instance.title = (instance.title or "").strip()
    duplicate = WorkPlan.objects.filter(
        community_id=instance.community_id, kind=instance.kind, period_start=instance.period_start
    ).exclude(pk=instance.pk)
    if duplicate.exists():
        raise RuleViolation("MEET-2", _("该期工作计划已存在，请修改原计划"))
    instance.full_clean()
    instance.save()
    return instance


def missing_plans(community_id: int, today: dt.date | None = None) -> list[tuple[str, dt.date]]:
    """MEET-2: the (kind, period start) of this year's, quarter's and month's plans not yet
    drafted. One query."""
    today = today or timezone.localdate()
    due = {kind: period_start(kind, today) for kind in PlanKind.values}
    have = set(
        WorkPlan.objects.filter(
            community_id=community_id, period_start__in=set(due.values())
        ).values_list("kind", "period_start")
    )
    return [(kind, start) for kind, start in due.items() if (kind, start) not in have]
