"""Affairs disclosure (居务公开, issue #7): disclosure items with their approvals, stamp and
attachments, and residents' questions with the published replies.

Rule ids: DISC-1 categories, DISC-2 quarterly deadline, DISC-3 approvals, DISC-4 questions,
DISC-5 channels, DISC-6 monthly release, DISC-7 party affairs, FIN-7 the supervision
committee's stamp. Published and archived items never change: database triggers refuse it
(a correction is a new version that `supersedes` the published one)."""

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import TimeStampedModel

User = settings.AUTH_USER_MODEL


class Category(models.TextChoices):
    """DISC-1 (003 四(二) 1—7), DISC-6 (004 二(四)6) and DISC-7 (004 二(三)3)."""

    DUTIES = "duties", _("居委会职责分工、联系方式、办公时间和流程")
    FINANCE = "finance", _("居委会财务收支")
    RESOLUTIONS = "resolutions", _("居民代表会议决议事项")
    DIBAO = "dibao", _("最低生活保障和社会福利")
    RELIEF = "relief", _("救灾救济款物及发放")
    REGULAR_RELIEF = "regular_relief", _("定期救济享受人员")
    OTHER = "other", _("其他与居民利益相关的事项")
    MONTHLY = "monthly", _("社区综合信息发布（月度）")
    PARTY = "party", _("党务公开")


class ItemState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    APPROVED = "approved", _("已核准")
    STAMPED = "stamped", _("监管会已审核签章")
    PUBLISHED = "published", _("已公布")
    ARCHIVED = "archived", _("已归档")


PUBLIC_STATES = (ItemState.PUBLISHED, ItemState.ARCHIVED)


class Channel(models.TextChoices):
    """DISC-5 (003 四(三)): where the item is posted besides these public pages."""

    BOARD = "board", _("居务公开栏")
    PUBLICITY = "publicity", _("宣传栏")
    WALL = "wall", _("墙报")
    COMMITTEE_MEETING = "committee_meeting", _("居委会工作会议")
    GROUP_LEADERS = "group_leaders", _("居民小组长（楼长、楼栋长）会议")
    REPRESENTATIVES = "representatives", _("居民代表会议")


class Source(models.TextChoices):
    MANUAL = "manual", _("手工编写")
    STATEMENT = "statement", _("由季度财务公开表生成")
    LEDGER = "ledger", _("由台帐生成")


class ApprovalSide(models.TextChoices):
    """DISC-3 (003 四(五) 提请居委会党组织和居委会成员核准)."""

    PARTY = "party", _("社区党组织")
    COMMITTEE = "committee", _("居委会成员")


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
# Rows under an item (approvals, attachments) change only while the item is not public.
_CHILD_FROZEN_FUNC = """
    IF EXISTS (
        SELECT 1 FROM affairs_disclosure_disclosureitem
        WHERE id IN (
            CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.item_id END,
            CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.item_id END
        ) AND state IN ('published', 'archived')
    ) THEN
        RAISE EXCEPTION 'DISC-3: a published disclosure item never changes (%)', TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
"""


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


@audited
class DisclosureApproval(models.Model):
    """DISC-3: the party organisation's and the committee's approval of one draft, with who
    gave it and when. Both sides make the item approved."""

    scope_path = "item__community"

    item = models.ForeignKey(
        DisclosureItem,
        on_delete=models.CASCADE,
        related_name="approvals",
        verbose_name=_("公开事项"),
    )
    side = models.CharField(_("核准方"), max_length=20, choices=ApprovalSide.choices)
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("核准人")
    )
    approved_at = models.DateTimeField(_("核准时间"), auto_now_add=True)
    comment = models.CharField(_("意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("居务公开核准")
        verbose_name_plural = _("居务公开核准")
        ordering = ["item_id", "side"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "side"],
                name="disc_approval_one_per_side",
                violation_error_message=_("[DISC-3] 该方已核准"),
            )
        ]
        triggers = [
            pgtrigger.Trigger(
                name="disc_approval_frozen_when_published",
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func=_CHILD_FROZEN_FUNC,
            )
        ]

    def __str__(self):
        return f"{self.item_id} · {self.get_side_display()} · {self.user}"


def attachment_path(instance, filename):
    import uuid

    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"disclosure/{uuid.uuid4().hex}.{ext}"


@audited
class DisclosureAttachment(models.Model):
    """An image or PDF of an item (type sniffed from its first bytes, size checked:
    affairs_disclosure.services). Served only through the views: publicly once the item is
    published, to staff in scope before."""

    scope_path = "item__community"

    item = models.ForeignKey(
        DisclosureItem,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("公开事项"),
    )
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=40, editable=False)
    size = models.PositiveIntegerField(_("大小（字节）"), editable=False)
    uploaded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("居务公开附件")
        verbose_name_plural = _("居务公开附件")
        ordering = ["item_id", "pk"]
        triggers = [
            pgtrigger.Trigger(
                name="disc_attachment_frozen_when_published",
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func=_CHILD_FROZEN_FUNC,
            )
        ]

    def __str__(self):
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class QuestionKind(models.TextChoices):
    QUESTION = "question", _("询问")
    SUGGESTION = "suggestion", _("意见建议")
    COMPLAINT = "complaint", _("投诉")


class QuestionState(models.TextChoices):
    OPEN = "open", _("待办理")
    ANSWERED = "answered", _("已答复并公布")
    CLOSED = "closed", _("已办结（不公布）")


@audited
class ResidentQuestion(models.Model):
    """DISC-4 (003 四(四)(五)): a resident's question, suggestion or complaint about a
    published item, sent from the public page without login; handled as a case with a
    deadline; the reply is published under the item. The optional contact is never public.
    `token` is the one-time token of the form that sent it: a double submit finds it taken
    and creates nothing."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="disclosure_questions",
        verbose_name=_("社区"),
    )
    item = models.ForeignKey(
        DisclosureItem,
        on_delete=models.PROTECT,
        related_name="questions",
        verbose_name=_("公开事项"),
    )
    kind = models.CharField(
        _("类型"), max_length=20, choices=QuestionKind.choices, default=QuestionKind.QUESTION
    )
    body = models.TextField(_("内容"))
    contact = models.CharField(
        _("联系方式"), max_length=50, blank=True, help_text=_("仅供社区回访，不公开")
    )
    token = models.UUIDField(_("表单令牌"), unique=True, editable=False)
    state = models.CharField(
        _("办理状态"), max_length=20, choices=QuestionState.choices, default=QuestionState.OPEN
    )
    received_at = models.DateTimeField(_("收到时间"), auto_now_add=True)
    due_on = models.DateField(_("答复期限"), help_text=_("DISC-4：收到后 15 日内答复"))
    public_text = models.TextField(
        _("公开的问题摘要"), blank=True, help_text=_("答复时公布的问题文字，可删去个人信息")
    )
    reply = models.TextField(_("答复"), blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    replied_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("答复人"),
    )
    close_reason = models.CharField(_("办结说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("居民意见")
        verbose_name_plural = _("居民意见")
        ordering = ["state", "due_on", "-received_at", "-pk"]
        indexes = [
            models.Index(fields=["community", "state", "due_on"], name="disc_question_case"),
            models.Index(fields=["item", "state"], name="disc_question_item"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="answered")
                | (Q(replied_at__isnull=False) & ~Q(reply="") & ~Q(public_text="")),
                name="disc_question_answered_has_reply",
                violation_error_message=_("[DISC-4] 已答复的意见须有答复内容"),
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="disc_question_published_reply_immutable",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__state="answered"),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"
