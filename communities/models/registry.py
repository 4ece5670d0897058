"""The registry: street, communities, their organisations (ORG-1..ORG-11), grid (ORG-5),
facilities (ORG-12) and the community access register (ORG-11)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import TimeStampedModel
from core.validators import validate_image_size


@audited
class Street(TimeStampedModel):
    scope_path = "street"

    name = models.CharField(_("街道名称"), max_length=100, unique=True)
    district = models.CharField(_("所属区（县）"), max_length=100)
    city = models.CharField(_("所属市"), max_length=100, blank=True)
    address = models.CharField(_("办公地址"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    default_profile = models.ForeignKey(
        "core.PolicyProfile",
        on_delete=models.PROTECT,
        related_name="streets",
        verbose_name=_("默认政策参数方案"),
        help_text=_("新建社区默认采用的方案"),
    )

    class Meta:
        verbose_name = _("街道")
        verbose_name_plural = _("街道")
        ordering = ["name"]
        permissions = [("access_street", _("可访问本街道全部社区"))]

    def __str__(self):
        return self.name


class AreaType(models.TextChoices):
    NEW = "new", _("新建住宅区（含成片改造）")
    OLD = "old", _("老城区已建成社区")


@audited
class Community(TimeStampedModel):
    """A community (社区). Creating, abolishing or resizing one is a recorded decision (ORG-6)."""

    scope_path = "self"

    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, related_name="communities", verbose_name=_("街道")
    )
    name = models.CharField(_("社区名称"), max_length=100)
    code = models.CharField(_("社区代码"), max_length=30, blank=True)
    households = models.PositiveIntegerField(
        _("户数"),
        validators=[MinValueValidator(0)],
        help_text=_("ORG-3/ORG-6/STAFF-1 的计算基数"),
    )
    population = models.PositiveIntegerField(_("常住人口"), null=True, blank=True)
    area_type = models.CharField(
        _("区域类型"),
        max_length=10,
        choices=AreaType.choices,
        default=AreaType.OLD,
        help_text=_("ORG-12：新建小区办公用房不少于 300㎡，老社区不少于 150㎡"),
    )
    occupancy_pct = models.PositiveSmallIntegerField(
        _("入住率（%）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("ORG-3：新建小区入住率达到方案比例时应组建居委会"),
    )
    floor_area = models.DecimalField(
        _("住宅总建筑面积（㎡）"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("ORG-12：物业服务用房按总建筑面积 3‰ 计"),
    )
    move_in_date = models.DateField(_("首批入住日期"), null=True, blank=True)
    founded_on = models.DateField(_("设立日期"), null=True, blank=True)
    founding_doc_no = models.CharField(
        _("设立文号"), max_length=100, blank=True, help_text=_("ORG-6：区（县）政府设立决定文号")
    )
    address = models.CharField(_("办公地址"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    office_hours = models.CharField(_("办公时间"), max_length=100, blank=True)
    profile = models.ForeignKey(
        "core.PolicyProfile",
        on_delete=models.PROTECT,
        related_name="communities",
        verbose_name=_("政策参数方案"),
    )
    is_active = models.BooleanField(_("在册"), default=True)

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")
        ordering = ["street_id", "name"]
        permissions = [("access_community", _("可访问本社区"))]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "name"],
                name="uniq_community_name_per_street",
                violation_error_message=_("同一街道下已有同名社区"),
            ),
            models.CheckConstraint(
                condition=Q(households__gte=0),
                name="community_households_non_negative",
                violation_error_message=_("户数不能为负数"),
            ),
            models.CheckConstraint(
                condition=Q(occupancy_pct__isnull=True) | Q(occupancy_pct__lte=100),
                name="community_occupancy_pct_range",
                violation_error_message=_("入住率应在 0—100 之间"),
            ),
        ]

    def __str__(self):
        return self.name


class DecisionKind(models.TextChoices):
    CREATE = "create", _("设立")
    ABOLISH = "abolish", _("撤销")
    RESIZE = "resize", _("规模调整")
    MERGE = "merge", _("合并")


@audited
class CommunityDecision(TimeStampedModel):
    """ORG-6 (001 第四条; 004 二(一)2): decided by the county/district government, filed with
    the city civil-affairs department."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("社区")
    )
    kind = models.CharField(_("事项"), max_length=10, choices=DecisionKind.choices)
    decided_on = models.DateField(_("决定日期"))
    authority = models.CharField(_("决定机关"), max_length=100, help_text=_("区（县）人民政府"))
    doc_no = models.CharField(_("文号"), max_length=100)
    filed_on = models.DateField(
        _("报市民政部门备案日期"), null=True, blank=True, help_text=_("ORG-6：报市民政部门备案")
    )
    households_after = models.PositiveIntegerField(_("调整后户数"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("社区设立与调整决定")
        verbose_name_plural = _("社区设立与调整决定")
        ordering = ["-decided_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "doc_no"],
                name="uniq_decision_doc_no",
                violation_error_message=_("该社区已登记此文号"),
            ),
            models.CheckConstraint(
                condition=Q(filed_on__isnull=True) | Q(filed_on__gte=models.F("decided_on")),
                name="decision_filed_after_decided",
                violation_error_message=_("备案日期不能早于决定日期"),
            ),
        ]

    def __str__(self):
        return f"{self.community} {self.get_kind_display()} {self.doc_no}"


class OrgKind(models.TextChoices):
    """ORG-1 (000 第七条; 001 第五条; 002 四) with the roles of 002 四."""

    PARTY = "party", _("社区党组织（领导层）")
    COMMITTEE = "committee", _("社区居民委员会（执行层）")
    ASSEMBLY = "assembly", _("居民（代表）会议（决策层）")
    COUNCIL = "council", _("社区议事会（议事层）")
    OWNERS_COMMITTEE = "owners_committee", _("业主委员会")
    SOCIAL_ORG = "social_org", _("社区社会组织")
    PROPERTY_COMPANY = "property_company", _("物业服务企业")
    RESIDENT_UNIT = "resident_unit", _("驻社区单位")
    PARTY_BRANCH = "party_branch", _("小区党支部")


SINGLE_ORG_KINDS = (OrgKind.PARTY, OrgKind.COMMITTEE, OrgKind.ASSEMBLY, OrgKind.COUNCIL)


@audited
class Organisation(TimeStampedModel):
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="organisations", verbose_name=_("社区")
    )
    kind = models.CharField(_("类别"), max_length=20, choices=OrgKind.choices)
    name = models.CharField(_("名称"), max_length=150)
    compound = models.ForeignKey(
        "Compound",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("所在小区"),
    )
    established_on = models.DateField(_("成立（登记）日期"), null=True, blank=True)
    registration_no = models.CharField(_("登记（备案）号"), max_length=100, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    term_ends_on = models.DateField(_("本届任期届满"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("社区组织")
        verbose_name_plural = _("社区组织")
        ordering = ["community_id", "kind", "name"]
        constraints = [
            # ORG-3: one residents' committee per community; likewise one party organisation,
            # one assembly and one council.
            models.UniqueConstraint(
                fields=["community", "kind"],
                condition=Q(kind__in=[k.value for k in SINGLE_ORG_KINDS]),
                name="uniq_single_org_per_community",
                violation_error_message=_(
                    "[ORG-3] 每个社区只设一个党组织、居委会、居民会议和议事会"
                ),
            ),
            models.UniqueConstraint(
                fields=["community", "kind", "name"],
                name="uniq_org_name",
                violation_error_message=_("该社区已有同类同名组织"),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if (
            self.compound_id
            and self.community_id
            and self.compound.community_id != self.community_id
        ):
            raise ValidationError({"compound": _("所选小区不属于该社区")})


class Position(models.TextChoices):
    SECRETARY = "secretary", _("书记")
    DEPUTY_SECRETARY = "deputy_secretary", _("副书记")
    DIRECTOR = "director", _("主任")
    DEPUTY_DIRECTOR = "deputy_director", _("副主任")
    MEMBER = "member", _("委员")
    CHAIR = "chair", _("主任（会长）")
    REPRESENTATIVE = "representative", _("代表")
    LEADER = "leader", _("负责人")
    OTHER = "other", _("其他")


@audited
class Membership(TimeStampedModel):
    """A named person's seat in an organisation. Cross-appointment across organisations is
    allowed (STAFF-9); incompatible posts are checked by staffing (STAFF-8)."""

    parent_field = "organisation"

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("社区")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="members", verbose_name=_("组织")
    )
    person_name = models.CharField(_("姓名"), max_length=50)
    position = models.CharField(_("职务"), max_length=20, choices=Position.choices)
    user = models.ForeignKey(
        "auth.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("系统账号"),
    )
    phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    started_on = models.DateField(_("任职日期"), null=True, blank=True)
    ended_on = models.DateField(_("离任日期"), null=True, blank=True)
    selection = models.CharField(_("产生方式"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("组织成员")
        verbose_name_plural = _("组织成员")
        ordering = ["organisation_id", "position", "person_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(ended_on__gte=models.F("started_on")),
                name="membership_end_after_start",
                violation_error_message=_("离任日期不能早于任职日期"),
            ),
        ]

    def __str__(self):
        return f"{self.person_name}（{self.get_position_display()}）"

    @property
    def is_current(self):
        return self.ended_on is None


class SubCommitteeKind(models.TextChoices):
    """ORG-4: 001 第十二条 requires the first three; 004 二(一)2 lists the last two."""

    MEDIATION = "mediation", _("人民调解委员会")
    SECURITY = "security", _("治安保卫委员会")
    PUBLIC_HEALTH = "public_health", _("公共卫生委员会")
    FAMILY_PLANNING = "family_planning", _("计划生育委员会")
    CULTURE = "culture", _("群众文化委员会")


REQUIRED_SUBCOMMITTEES = (
    SubCommitteeKind.MEDIATION,
    SubCommitteeKind.SECURITY,
    SubCommitteeKind.PUBLIC_HEALTH,
)


@audited
class SubCommittee(TimeStampedModel):
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="subcommittees", verbose_name=_("社区")
    )
    kind = models.CharField(_("下属委员会"), max_length=20, choices=SubCommitteeKind.choices)
    convenor = models.CharField(_("负责人"), max_length=50, blank=True)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("居委会下属委员会")
        verbose_name_plural = _("居委会下属委员会")
        ordering = ["community_id", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "kind"],
                name="uniq_subcommittee",
                violation_error_message=_("[ORG-4] 该社区已设此委员会"),
            )
        ]

    def __str__(self):
        return self.get_kind_display()


@audited
class Compound(TimeStampedModel):
    """A residential compound (居民小区) with its 四位一体 links (ORG-7, ORG-8)."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="compounds", verbose_name=_("社区")
    )
    name = models.CharField(_("小区名称"), max_length=100)
    households = models.PositiveIntegerField(_("户数"), default=0)
    has_professional_property = models.BooleanField(
        _("有专业物业管理"), default=True, help_text=_("ORG-8：001 第二十四条 无物业小区须指定专人")
    )
    property_manager_name = models.CharField(
        _("物业管理负责人"), max_length=50, blank=True, help_text=_("ORG-8：004 二(四)4")
    )
    joint_meeting_last_held = models.DateField(
        _("最近一次联席会议"), null=True, blank=True, help_text=_("ORG-7：001 第十五至十八条")
    )
    property_disclosure_posted = models.BooleanField(
        _("物业服务四公开"),
        default=False,
        help_text=_("ORG-8：004 二(三)4 内容、标准、收费、使用公开"),
    )

    class Meta:
        verbose_name = _("居民小区")
        verbose_name_plural = _("居民小区")
        ordering = ["community_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name"],
                name="uniq_compound_name",
                violation_error_message=_("该社区已有同名小区"),
            )
        ]

    def __str__(self):
        return self.name


class _GridTier(TimeStampedModel):
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="+", verbose_name=_("社区")
    )
    name = models.CharField(_("名称"), max_length=100)
    leader_name = models.CharField(_("负责人"), max_length=50, blank=True)
    leader_phone = models.CharField(_("负责人电话"), max_length=40, blank=True)
    households = models.PositiveIntegerField(_("户数"), default=0)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    parent_field: str = ""

    class Meta:
        abstract = True
        ordering = ["community_id", "sort_order", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        parent = getattr(self, self.parent_field, None) if self.parent_field else None
        if parent is not None and self.community_id and parent.community_id != self.community_id:
            raise ValidationError({self.parent_field: _("上级网格不属于该社区")})


@audited
class ResidentsGroup(_GridTier):
    """居民小组 (ORG-5: about 100 households, 002 五); leader = 网格员 / 小组长."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="residents_groups", verbose_name=_("社区")
    )

    class Meta(_GridTier.Meta):
        verbose_name = _("居民小组（网格）")
        verbose_name_plural = _("居民小组（网格）")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name"],
                name="uniq_residents_group",
                violation_error_message=_("该社区已有同名居民小组"),
            )
        ]


@audited
class BuildingGroup(_GridTier):
    parent_field = "residents_group"
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="building_groups", verbose_name=_("社区")
    )
    residents_group = models.ForeignKey(
        ResidentsGroup,
        on_delete=models.CASCADE,
        related_name="building_groups",
        verbose_name=_("居民小组"),
    )

    class Meta(_GridTier.Meta):
        verbose_name = _("楼群")
        verbose_name_plural = _("楼群")
        constraints = [
            models.UniqueConstraint(
                fields=["residents_group", "name"],
                name="uniq_building_group",
                violation_error_message=_("该居民小组已有同名楼群"),
            )
        ]


@audited
class Building(_GridTier):
    """One building head (楼栋长) per building (004 二(一)3)."""

    parent_field = "building_group"
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="buildings", verbose_name=_("社区")
    )
    building_group = models.ForeignKey(
        BuildingGroup, on_delete=models.CASCADE, related_name="buildings", verbose_name=_("楼群")
    )
    compound = models.ForeignKey(
        Compound,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="buildings",
        verbose_name=_("所在小区"),
    )
    address = models.CharField(_("门牌地址"), max_length=200, blank=True)

    class Meta(_GridTier.Meta):
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        constraints = [
            models.UniqueConstraint(
                fields=["building_group", "name"],
                name="uniq_building",
                violation_error_message=_("该楼群已有同名楼栋"),
            )
        ]

    def clean(self):
        super().clean()
        if (
            self.compound_id
            and self.community_id
            and self.compound.community_id != self.community_id
        ):
            raise ValidationError({"compound": _("所选小区不属于该社区")})


@audited
class Unit(_GridTier):
    parent_field = "building"
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="units", verbose_name=_("社区")
    )
    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="units", verbose_name=_("楼栋")
    )

    class Meta(_GridTier.Meta):
        verbose_name = _("单元")
        verbose_name_plural = _("单元")
        constraints = [
            models.UniqueConstraint(
                fields=["building", "name"],
                name="uniq_unit",
                violation_error_message=_("该楼栋已有同名单元"),
            )
        ]


class RoomType(models.TextChoices):
    """ORG-12 room purposes: the 002 四(六) checklist items plus the 004 categories."""

    OFFICE = "office", _("居委会和党组织办公室")
    POLICE = "police", _("警务室")
    ACTIVITY = "activity", _("多功能文体活动室")
    LIBRARY = "library", _("图书阅览室")
    CONVENIENCE = "convenience", _("便民服务室")
    FAMILY_PLANNING_STATION = "fp_station", _("计生服务站")
    HEALTH_STATION = "health_station", _("卫生服务站")
    REHAB_STATION = "rehab_station", _("残疾人康复站")
    AFFAIRS_BOARD = "affairs_board", _("居务公开栏")
    SCIENCE_BOARD = "science_board", _("科普宣传栏")
    SCHOOL = "school", _("居民学校")
    FITNESS = "fitness", _("室外健身场所")
    SERVICE_HALL = "service_hall", _("一站式服务大厅")
    PROPERTY_SERVICE = "property_service", _("物业服务用房")
    OTHER_ROOM = "other_room", _("其他功能室")
    OTHER_STATION = "other_station", _("其他服务站")
    OTHER_BOARD = "other_board", _("其他宣传栏")


class FacilityCategory(models.TextChoices):
    ROOM = "room", _("室")
    HALL = "hall", _("厅")
    STATION = "station", _("站")
    BOARD = "board", _("栏")
    SCHOOL = "school", _("校")
    SITE = "site", _("场所")


ROOM_CATEGORY = {
    RoomType.OFFICE: FacilityCategory.ROOM,
    RoomType.POLICE: FacilityCategory.ROOM,
    RoomType.ACTIVITY: FacilityCategory.ROOM,
    RoomType.LIBRARY: FacilityCategory.ROOM,
    RoomType.CONVENIENCE: FacilityCategory.ROOM,
    RoomType.FAMILY_PLANNING_STATION: FacilityCategory.STATION,
    RoomType.HEALTH_STATION: FacilityCategory.STATION,
    RoomType.REHAB_STATION: FacilityCategory.STATION,
    RoomType.AFFAIRS_BOARD: FacilityCategory.BOARD,
    RoomType.SCIENCE_BOARD: FacilityCategory.BOARD,
    RoomType.SCHOOL: FacilityCategory.SCHOOL,
    RoomType.FITNESS: FacilityCategory.SITE,
    RoomType.SERVICE_HALL: FacilityCategory.HALL,
    RoomType.PROPERTY_SERVICE: FacilityCategory.ROOM,
    RoomType.OTHER_ROOM: FacilityCategory.ROOM,
    RoomType.OTHER_STATION: FacilityCategory.STATION,
    RoomType.OTHER_BOARD: FacilityCategory.BOARD,
}


class UseStatus(models.TextChoices):
    IN_USE = "in_use", _("按用途使用")
    IDLE = "idle", _("闲置")
    RENTED = "rented", _("出租")
    SOLD = "sold", _("出售")
    TRANSFERRED = "transferred", _("转让")
    MORTGAGED = "mortgaged", _("抵押")
    OTHER_USE = "other_use", _("改作他用")


FORBIDDEN_PUBLIC_USES = (
    UseStatus.RENTED,
    UseStatus.SOLD,
    UseStatus.TRANSFERRED,
    UseStatus.MORTGAGED,
    UseStatus.OTHER_USE,
)


@audited
class Facility(TimeStampedModel):
    """A room or site in the room register (ORG-12; 004 二(二)2; 003 十八(二)(三))."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="facilities", verbose_name=_("社区")
    )
    name = models.CharField(_("名称"), max_length=100)
    room_type = models.CharField(_("用途"), max_length=20, choices=RoomType.choices)
    area = models.DecimalField(
        _("面积（㎡）"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    ownership = models.CharField(_("权属"), max_length=100, blank=True)
    certificate_no = models.CharField(_("产权证号"), max_length=100, blank=True)
    is_public_service = models.BooleanField(
        _("公益性服务用房"),
        default=True,
        help_text=_("ORG-12：003 十八(三) 公益性服务用房不得出租、出售、转让、抵押或改作他用"),
    )
    use_status = models.CharField(
        _("使用状态"), max_length=20, choices=UseStatus.choices, default=UseStatus.IN_USE
    )
    photo = models.ImageField(
        _("照片"),
        upload_to="facilities/%Y/",
        null=True,
        blank=True,
        validators=[validate_image_size],
        help_text=_("ORG-12：用房登记附照片（004 二(二)2），JPG/PNG，不超过 5 MB"),
    )
    handed_over_on = models.DateField(
        _("开发商移交日期"), null=True, blank=True, help_text=_("ORG-12：001 第二十八、二十九条")
    )
    filed_with_civil_affairs = models.BooleanField(
        _("已报区民政部门备案"), default=False, help_text=_("ORG-12：004 二(二)2")
    )

    class Meta:
        verbose_name = _("社区用房与设施")
        verbose_name_plural = _("社区用房与设施")
        ordering = ["community_id", "room_type", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(area__gt=0),
                name="facility_area_positive",
                violation_error_message=_("面积必须大于 0"),
            ),
            models.CheckConstraint(
                condition=~Q(
                    is_public_service=True,
                    use_status__in=[s.value for s in FORBIDDEN_PUBLIC_USES],
                ),
                name="org12_public_service_not_rented_or_sold",
                violation_error_message=_(
                    "[ORG-12] 公益性服务用房不得出租、出售、转让、抵押或改作他用（003 十八(三)）"
                ),
            ),
            models.UniqueConstraint(
                fields=["community", "name"],
                name="uniq_facility_name",
                violation_error_message=_("该社区已有同名用房"),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def category(self):
        return ROOM_CATEGORY.get(self.room_type, FacilityCategory.ROOM)


class AccessStatus(models.TextChoices):
    ACTIVE = "active", _("准入有效")
    RECTIFYING = "rectifying", _("限期整改")
    REVOKED = "revoked", _("已撤销准入")


@audited
class AccessRecord(TimeStampedModel):
    """Community access (社区准入, ORG-11; 002 三(三); 004 二(四)3): a department that enters
    a community is approved and registered, checked yearly, and its access revoked after a
    failed rectification. Tasks it places come with their funding (费随事转)."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="access_records", verbose_name=_("社区")
    )
    department = models.CharField(_("进驻部门（单位）"), max_length=150)
    approved_on = models.DateField(_("审批日期"))
    approval_doc_no = models.CharField(_("审批文号"), max_length=100, blank=True)
    valid_until = models.DateField(_("进驻期限"), null=True, blank=True)
    tasks = models.TextField(_("下沉事项"), blank=True)
    funding = models.DecimalField(
        _("随事转移经费（元）"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("ORG-11：费随事转"),
    )
    staff_assigned = models.PositiveIntegerField(_("配备人员"), default=0)
    status = models.CharField(
        _("状态"), max_length=12, choices=AccessStatus.choices, default=AccessStatus.ACTIVE
    )
    revoked_on = models.DateField(_("撤销日期"), null=True, blank=True)
    revoke_reason = models.TextField(_("撤销原因"), blank=True)

    class Meta:
        verbose_name = _("社区准入登记")
        verbose_name_plural = _("社区准入登记")
        ordering = ["community_id", "department"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "department"],
                condition=~Q(status="revoked"),
                name="uniq_active_access",
                violation_error_message=_("该部门在此社区已有有效准入"),
            ),
            models.CheckConstraint(
                condition=~Q(status="revoked") | Q(revoked_on__isnull=False),
                name="access_revoked_has_date",
                violation_error_message=_("撤销准入须填写撤销日期"),
            ),
        ]

    def __str__(self):
        return f"{self.department} → {self.community}"


class CheckResult(models.TextChoices):
    PASS = "pass", _("合格")
    RECTIFY = "rectify", _("限期整改")
    FAIL = "fail", _("整改不到位")


@audited
class AccessCheck(TimeStampedModel):
    """Yearly check of an access (ORG-11), with the community's evaluation (下评上)."""

    parent_field = "access"

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="access_checks", verbose_name=_("社区")
    )
    access = models.ForeignKey(
        AccessRecord, on_delete=models.CASCADE, related_name="checks", verbose_name=_("准入登记")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    result = models.CharField(_("检查结论"), max_length=10, choices=CheckResult.choices)
    community_rating = models.PositiveSmallIntegerField(
        _("社区评价（1—5）"), null=True, blank=True, help_text=_("ORG-11：下评上")
    )
    rectify_by = models.DateField(_("整改期限"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("准入年度检查")
        verbose_name_plural = _("准入年度检查")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["access", "year"],
                name="uniq_access_check_year",
                violation_error_message=_("该准入登记本年度已检查"),
            ),
            models.CheckConstraint(
                condition=Q(community_rating__isnull=True)
                | Q(community_rating__gte=1, community_rating__lte=5),
                name="access_rating_1_5",
                violation_error_message=_("社区评价应为 1—5 分"),
            ),
        ]

    def __str__(self):
        return f"{self.access} {self.year}"

    def clean(self):
        if self.access_id and self.community_id and self.access.community_id != self.community_id:
            raise ValidationError({"access": _("准入登记不属于该社区")})
        if self.result == CheckResult.RECTIFY and not self.rectify_by:
            raise ValidationError({"rectify_by": _("限期整改须填写整改期限")})
