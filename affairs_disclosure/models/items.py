"""The disclosure item (居务公开事项) and the database triggers that freeze it once
published (DISC-3: a correction is a new version that `supersedes` the published one)."""

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from affairs_disclosure.models.choices import (
    PUBLIC_STATES,
    Category,
    Channel,
    ItemState,
    Source,
)
from core.audit import audited
from core.models import TimeStampedModel

User = settings.AUTH_USER_MODEL

# Columns of a published item that never change (the trigger below).
_FROZEN = (
    "community_id",
    "category",
    "year",
    "quarter",
    "month",
    "version",
    "supersedes_id",
    "correction_reason",
    "title",
    "body",
    "tables",
    "channels",
    "source",
    "source_statement_id",
    "source_sitting_id",
    "created_by_id",
    "approved_at",
    "stamped_on",
    "stamped_by_id",
    "published_on",
    "published_at",
    "published_by_id",
)
_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _FROZEN)
# Only the published → archived step may touch a published row, and only its archive fields.
_ITEM_FROZEN_SQL = (
    "OLD.state = 'archived' OR (OLD.state = 'published' AND "
    f"(NEW.state IS DISTINCT FROM 'archived' OR {_CHANGED}))"
)


@audited
class DisclosureItem(TimeStampedModel):
    """One disclosure (居务公开事项) of a community for a quarter or, for the monthly release
    (DISC-6), a month. Draft → approved by the party organisation and the committee (DISC-3)
    → for financial items stamped by the street supervision committee (FIN-7) → published →
    archived. Written only by affairs_disclosure.services."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="disclosure_items",
        verbose_name=_("社区"),
    )
    category = models.CharField(
        _("公开类别"),
        max_length=20,
        choices=Category.choices,
        help_text=_("DISC-1：003 四(二)；DISC-6：004 二(四)6；DISC-7：004 二(三)3"),
    )
    year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    quarter = models.PositiveSmallIntegerField(
        _("季度"),
        choices=[(1, _("第一季度")), (2, _("第二季度")), (3, _("第三季度")), (4, _("第四季度"))],
    )
    month = models.PositiveSmallIntegerField(
        _("月份"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("仅月度综合信息发布（DISC-6）填写"),
    )
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("更正的版本"),
    )
    correction_reason = models.TextField(_("更正原因"), blank=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(
        _("正文"), blank=True, help_text=_("保存时按白名单清理 HTML，脚本和事件属性一律去除")
    )
    tables = models.JSONField(
        _("表格"),
        default=list,
        blank=True,
        help_text=_('[{"title": 标题, "columns": [列名…], "rows": [[单元格…]…]}]'),
    )
    channels = ArrayField(
        models.CharField(max_length=30, choices=Channel.choices),
        verbose_name=_("公开形式"),
        default=list,
        blank=True,
        help_text=_("DISC-5：003 四(三) 公开栏、宣传栏、墙报及各类会议"),
    )
    source = models.CharField(
        _("来源"), max_length=20, choices=Source.choices, default=Source.MANUAL
    )
    source_statement = models.ForeignKey(
        "finance.QuarterlyStatement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("季度财务公开表"),
    )
    source_sitting = models.ForeignKey(
        "meetings.Sitting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("居民代表会议"),
        help_text=_("DISC-1(3)：由已闭会的居民代表会议表决结果生成"),
    )
    state = models.CharField(
        _("状态"), max_length=20, choices=ItemState.choices, default=ItemState.DRAFT
    )
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("编写人")
    )
    approved_at = models.DateTimeField(_("核准时间"), null=True, blank=True)
    stamped_on = models.DateField(_("签章日期"), null=True, blank=True)
    stamped_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("监管会审核签章人"),
    )
    published_on = models.DateField(_("公布日期"), null=True, blank=True)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("公布人"),
    )
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    archived_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("归档人"),
    )

    class Meta:
        verbose_name = _("居务公开事项")
        verbose_name_plural = _("居务公开事项")
        ordering = ["-year", "-quarter", "-month", "category", "-version", "-pk"]
        permissions = [
            ("approve_party_disclosureitem", _("以社区党组织名义核准居务公开（DISC-3）")),
            ("approve_committee_disclosureitem", _("以居委会成员名义核准居务公开（DISC-3）")),
            ("stamp_disclosureitem", _("财务公开审核签章（街道监管会，FIN-7）")),
            ("publish_disclosureitem", _("公布居务公开事项")),
            ("archive_disclosureitem", _("归档居务公开事项")),
        ]
        indexes = [
            models.Index(fields=["community", "state", "year", "quarter"], name="disc_item_public"),
            models.Index(fields=["state", "year", "quarter"], name="disc_item_state_period"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4),
                name="disc_item_quarter_range",
                violation_error_message=_("季度应为 1—4"),
            ),
            models.CheckConstraint(
                condition=(Q(category="monthly") & Q(month__isnull=False))
                | (~Q(category="monthly") & Q(month__isnull=True)),
                name="disc_item_month_iff_monthly",
                violation_error_message=_(
                    "[DISC-6] 月度综合信息发布须填写月份，其他类别按季度公开"
                ),
            ),
            models.CheckConstraint(
                condition=Q(month__isnull=True)
                | Q(quarter=(F("month") + 2) / 3, month__gte=1, month__lte=12),
                name="disc_item_month_in_quarter",
                violation_error_message=_("月份与季度不一致"),
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["published", "archived"])
                | Q(published_on__isnull=False, published_at__isnull=False),
                name="disc_item_published_has_date",
                violation_error_message=_("已公布的事项须有公布日期"),
            ),
            models.CheckConstraint(
                condition=Q(published_on__isnull=True)
                | Q(stamped_on__isnull=True)
                | Q(stamped_on__lte=F("published_on")),
                name="disc_item_stamped_before_published",
                violation_error_message=_("[FIN-7] 签章日期须在公布日期当日或之前"),
            ),
            models.CheckConstraint(
                condition=~Q(category="finance", state__in=["stamped", "published", "archived"])
                | Q(stamped_on__isnull=False, stamped_by__isnull=False),
                name="disc_item_finance_stamped",
                violation_error_message=_("[FIN-7] 财务公开须经街道监管会审核签章后才能公布"),
            ),
            models.UniqueConstraint(
                fields=["source_sitting"],
                condition=Q(source_sitting__isnull=False, supersedes__isnull=True),
                name="disc_item_one_per_sitting",
                violation_error_message=_("[DISC-1] 该次居民代表会议已生成公开事项"),
            ),
            models.UniqueConstraint(
                fields=["community", "year", "quarter"],
                condition=Q(source="paid_fees", supersedes__isnull=True),
                name="disc_item_one_paid_fees_per_quarter",
                violation_error_message=_("[FIN-8] 该季度的有偿服务收费公开已生成"),
            ),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | Q(version__gt=1),
                name="disc_item_correction_version",
                violation_error_message=_("更正版本的版本号须大于 1"),
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="disc_item_published_immutable",
                operation=pgtrigger.Update,
                when=pgtrigger.Before,
                condition=pgtrigger.Condition(_ITEM_FROZEN_SQL),
                func=(
                    "RAISE EXCEPTION 'DISC-3: published disclosure item % never changes', "
                    "OLD.id USING ERRCODE = 'integrity_constraint_violation';"
                ),
            ),
            pgtrigger.Protect(
                name="disc_item_published_undeletable",
                operation=pgtrigger.Delete,
                condition=pgtrigger.Q(old__state__in=["published", "archived"]),
            ),
        ]

    def __str__(self):
        text = f"{self.community} · {self.period_label} · {self.title}"
        return text if self.version == 1 else f"{text}（v{self.version}）"

    @property
    def period_label(self) -> str:
        if self.month:
            return _("%(year)s 年 %(month)s 月") % {"year": self.year, "month": self.month}
        return _("%(year)s 年第 %(q)s 季度") % {"year": self.year, "q": self.quarter}

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_STATES

    @property
    def needs_stamp(self) -> bool:
        return self.category == Category.FINANCE

    def get_channels_display(self) -> str:
        labels = dict(Channel.choices)
        return "、".join(str(labels.get(c, c)) for c in self.channels)
