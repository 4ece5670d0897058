"""The director's work plans (MEET-2, 003 二(二) 负责拟定年度、季度、月份工作计划): one plan per
community, kind and period, optionally linked to the assembly resolution that approved it
(003 三(二) 审议…工作计划). Imported by meetings.models; written by meetings.plans."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import TimeStampedModel


class PlanKind(models.TextChoices):
    YEARLY = "yearly", _("年度工作计划")
    QUARTERLY = "quarterly", _("季度工作计划")
    MONTHLY = "monthly", _("月份工作计划")


def period_start(kind: str, day: dt.date) -> dt.date:
    """MEET-2: the first day of the year, quarter or month that contains `day`."""
    if kind == PlanKind.YEARLY:
        return day.replace(month=1, day=1)
    if kind == PlanKind.QUARTERLY:
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(day=1)


def period_label(kind: str, start: dt.date) -> str:
    if kind == PlanKind.YEARLY:
        return _("%(y)s年") % {"y": start.year}
    if kind == PlanKind.QUARTERLY:
        return _("%(y)s年第%(q)s季度") % {"y": start.year, "q": (start.month - 1) // 3 + 1}
    return _("%(y)s年%(m)s月") % {"y": start.year, "m": start.month}


@audited
class WorkPlan(TimeStampedModel):
    """A yearly, quarterly or monthly work plan drafted by the committee director (MEET-2)."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="work_plans",
        verbose_name=_("社区"),
    )
    kind = models.CharField(_("计划类别"), max_length=20, choices=PlanKind.choices)
    period_start = models.DateField(
        _("计划期"), help_text=_("MEET-2：年、季度或月份的第一天（由所选日期换算）")
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("计划内容"))
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("拟定人"),
        help_text=_("MEET-2：工作计划由居委会主任拟定"),
    )
    approved_by = models.ForeignKey(
        "meetings.Motion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_plans",
        verbose_name=_("审议通过的决议"),
        help_text=_("MEET-2：居民代表会议审议通过该计划的表决事项（可选）"),
    )

    class Meta:
        verbose_name = _("工作计划")
        verbose_name_plural = _("工作计划")
        ordering = ["-period_start", "kind", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "kind", "period_start"],
                name="meet_workplan_one_per_period",
                violation_error_message=_("[MEET-2] 该期工作计划已存在"),
            )
        ]

    def __str__(self):
        return f"{self.period_label} {self.get_kind_display()}"

    @property
    def period_label(self) -> str:
        return period_label(self.kind, self.period_start)
