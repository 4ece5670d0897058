"""Choices of affairs disclosure (issue #7), shared by the models, rules, services and
views."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
    ASSEMBLY = "assembly", _("由居民代表会议表决结果生成")
    PAID_FEES = "paid_fees", _("由有偿服务收费情况生成")


class ApprovalSide(models.TextChoices):
    """DISC-3 (003 四(五) 提请居委会党组织和居委会成员核准)."""

    PARTY = "party", _("社区党组织")
    COMMITTEE = "committee", _("居委会成员")


class QuestionKind(models.TextChoices):
    QUESTION = "question", _("询问")
    SUGGESTION = "suggestion", _("意见建议")
    COMPLAINT = "complaint", _("投诉")


class QuestionState(models.TextChoices):
    OPEN = "open", _("待办理")
    ANSWERED = "answered", _("已答复并公布")
    CLOSED = "closed", _("已办结（不公布）")
