"""ORG compliance checks (issue #3 §6), registered in core.compliance."""

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities import rules
from communities.models import (
    FORBIDDEN_PUBLIC_USES,
    REQUIRED_SUBCOMMITTEES,
    ROOM_CATEGORY,
    AccessRecord,
    AccessStatus,
    AreaType,
    Building,
    BuildingGroup,
    Compound,
    Facility,
    Membership,
    Organisation,
    OrgKind,
    ResidentsGroup,
    RoomType,
    SubCommittee,
    Unit,
)
from core.compliance import Result, register


def _current_members(community, kind) -> int | None:
    org = Organisation.objects.filter(community=community, kind=kind).first()
    if org is None:
        return None
    return Membership.objects.filter(organisation=org, ended_on__isnull=True).count()


@register(
    "org2-party-size",
    rule_id="ORG-2",
    title=gettext_lazy("党组织委员会人数"),
    citation="001 第八条",
    params=("party_committee_min", "party_committee_max"),
)
def party_size(community, profile):
    size = _current_members(community, OrgKind.PARTY)
    if size is None:
        return Result.violation(_("未登记社区党组织"))
    bounds = {"n": size, "lo": profile.party_committee_min, "hi": profile.party_committee_max}
    if rules.party_committee_size_ok(size, profile):
        return Result.ok(_("党组织委员会 %(n)s 人，在 %(lo)s—%(hi)s 人之间") % bounds)
    return Result.violation(_("党组织委员会 %(n)s 人，应为 %(lo)s—%(hi)s 人") % bounds)


@register(
    "org3-committee-size",
    rule_id="ORG-3",
    title=gettext_lazy("居委会成员人数"),
    citation="001 第十、十一条；004 二(一)2",
    params=(
        "committee_households_per_member",
        "committee_min",
        "committee_max",
        "new_area_occupancy_pct",
    ),
)
def committee_size(community, profile):
    size = _current_members(community, OrgKind.COMMITTEE)
    if size is None:
        if community.area_type == AreaType.NEW and not rules.must_form_committee(
            community.occupancy_pct, profile
        ):
            return Result.ok(
                _("新建小区入住率 %(p)s%% 未达 %(t)s%%，暂不要求组建居委会")
                % {"p": community.occupancy_pct or 0, "t": profile.new_area_occupancy_pct}
            )
        return Result.violation(_("未登记社区居民委员会"))
    expected = rules.expected_committee_size(community.households, profile)
    values = {
        "n": size,
        "e": expected,
        "h": community.households,
        "lo": profile.committee_min,
        "hi": profile.committee_max,
    }
    if not rules.committee_size_ok(size, profile):
        return Result.violation(
            _("居委会 %(n)s 人，应为 %(lo)s—%(hi)s 人（按 %(h)s 户应配 %(e)s 人）") % values
        )
    if size < expected:
        return Result.warning(_("居委会 %(n)s 人，按 %(h)s 户应配约 %(e)s 人") % values)
    return Result.ok(_("居委会 %(n)s 人（按 %(h)s 户应配约 %(e)s 人）") % values)


@register(
    "org4-subcommittees",
    rule_id="ORG-4",
    title=gettext_lazy("居委会下属委员会"),
    citation="001 第十二条",
)
def subcommittees(community, profile):
    have = set(SubCommittee.objects.filter(community=community).values_list("kind", flat=True))
    missing = [str(k.label) for k in REQUIRED_SUBCOMMITTEES if k not in have]
    if missing:
        return Result.violation(_("缺少：%(m)s") % {"m": "、".join(missing)})
    return Result.ok(_("人民调解、治安保卫、公共卫生委员会均已设立"))


@register(
    "org5-grid-leaders",
    rule_id="ORG-5",
    title=gettext_lazy("网格负责人"),
    citation="002 五；004 二(一)3",
)
def grid_leaders(community, profile):
    gaps = []
    for model, label in (
        (ResidentsGroup, _("居民小组")),
        (BuildingGroup, _("楼群")),
        (Building, _("楼栋（楼栋长）")),
    ):
        missing = model.objects.filter(community=community, leader_name="").count()
        if missing:
            gaps.append(_("%(label)s %(n)s 个未明确负责人") % {"label": label, "n": missing})
    if not ResidentsGroup.objects.filter(community=community).exists():
        return Result.violation(_("未划分居民小组（网格）"))
    if gaps:
        return Result.violation("；".join(gaps))
    return Result.ok(_("各级网格均有负责人"))


@register(
    "org5-grid-households",
    rule_id="ORG-5",
    title=gettext_lazy("网格户数登记"),
    citation="002 五（清查不漏幢）",
    params=("residents_group_households",),
)
def grid_households(community, profile):
    registered = Unit.objects.filter(community=community).aggregate(n=Sum("households"))["n"] or 0
    empty_buildings = (
        Building.objects.filter(community=community)
        .annotate(n_units=Count("units"))
        .filter(Q(n_units=0) | Q(households=0))
        .count()
    )
    values = {"r": registered, "h": community.households, "e": empty_buildings}
    if empty_buildings:
        return Result.warning(
            _("%(e)s 个楼栋未登记单元或户数；单元合计 %(r)s 户，社区登记 %(h)s 户") % values
        )
    if registered != community.households:
        return Result.warning(_("单元合计 %(r)s 户，与社区登记 %(h)s 户不一致") % values)
    return Result.ok(_("单元合计 %(r)s 户，与社区登记一致") % values)


@register(
    "org6-households",
    rule_id="ORG-6",
    title=gettext_lazy("社区规模"),
    citation="001 第三条；004 二(一)2",
    params=("community_households_standard", "community_households_tolerance_pct"),
)
def community_scale(community, profile):
    values = {
        "h": community.households,
        "s": profile.community_households_standard,
        "t": profile.community_households_tolerance_pct,
    }
    if rules.households_within_standard(community.households, profile):
        return Result.ok(_("%(h)s 户，符合约 %(s)s 户的规模（偏差 %(t)s%% 以内）") % values)
    return Result.warning(
        _("%(h)s 户，偏离约 %(s)s 户的规模超过 %(t)s%%，应由区（县）政府研究调整并报市民政部门备案")
        % values
    )


@register(
    "org12-office-area",
    rule_id="ORG-12",
    title=gettext_lazy("办公用房面积"),
    citation="001 第二十七条",
    params=("office_area_min_new", "office_area_min_old"),
)
def office_area(community, profile):
    area = (
        Facility.objects.filter(community=community, room_type=RoomType.OFFICE).aggregate(
            a=Sum("area")
        )["a"]
        or 0
    )
    minimum = rules.office_area_minimum(community.area_type, profile)
    values = {"a": area, "m": minimum, "t": community.get_area_type_display()}
    if area >= minimum:
        return Result.ok(_("办公用房 %(a)s㎡，不少于%(t)s标准 %(m)s㎡") % values)
    return Result.violation(_("办公用房 %(a)s㎡，低于%(t)s标准 %(m)s㎡") % values)


@register(
    "org12-checklist",
    rule_id="ORG-12",
    title=gettext_lazy("功能用房配置"),
    citation="002 四(六) / 004 二(二)2",
    params=("facility_checklist",),
)
def facility_checklist(community, profile):
    types = list(Facility.objects.filter(community=community).values_list("room_type", flat=True))
    categories = [ROOM_CATEGORY[RoomType(t)] for t in types]
    gaps = rules.checklist_gaps(types, categories, profile.facility_checklist)
    label = profile.get_facility_checklist_display()
    if gaps:
        return Result.warning(_("对照%(l)s，尚缺：%(g)s") % {"l": label, "g": "、".join(gaps)})
    return Result.ok(_("已达到%(l)s") % {"l": label})


@register(
    "org12-public-use",
    rule_id="ORG-12",
    title=gettext_lazy("公益性用房用途"),
    citation="003 十八(三)",
)
def public_use(community, profile):
    misused = Facility.objects.filter(
        community=community,
        is_public_service=True,
        use_status__in=[s.value for s in FORBIDDEN_PUBLIC_USES],
    ).count()
    if misused:
        return Result.violation(_("%(n)s 处公益性服务用房被出租、出售或改作他用") % {"n": misused})
    return Result.ok(_("公益性服务用房均按用途使用"))


@register(
    "org11-access-checked",
    rule_id="ORG-11",
    title=gettext_lazy("准入单位年度检查"),
    citation="002 三(三)；004 二(四)3",
)
def access_checked(community, profile):
    from django.utils import timezone

    last_year = timezone.localdate().year - 1
    unchecked = (
        AccessRecord.objects.filter(community=community)
        .exclude(status=AccessStatus.REVOKED)
        .filter(approved_on__year__lte=last_year)
        .exclude(checks__year__gte=last_year)
        .count()
    )
    rectifying = AccessRecord.objects.filter(
        community=community, status=AccessStatus.RECTIFYING
    ).count()
    values = {"n": unchecked, "y": last_year, "r": rectifying}
    if unchecked:
        return Result.warning(_("%(n)s 个进驻单位未完成 %(y)s 年度检查") % values)
    if rectifying:
        return Result.warning(_("%(r)s 个进驻单位正在限期整改") % values)
    return Result.ok(_("进驻单位均已按年度检查"))


@register(
    "org1-structure",
    rule_id="ORG-1",
    title=gettext_lazy("社区组织体系"),
    citation="000 第七条；001 第五条；002 四",
)
def structure(community, profile):
    have = set(Organisation.objects.filter(community=community).values_list("kind", flat=True))
    required = (OrgKind.PARTY, OrgKind.COMMITTEE, OrgKind.ASSEMBLY, OrgKind.COUNCIL)
    missing = [str(k.label) for k in required if k not in have]
    if missing:
        return Result.violation(_("未登记：%(m)s") % {"m": "、".join(missing)})
    return Result.ok(_("党组织、居委会、居民（代表）会议、议事会均已登记"))


@register(
    "org8-compounds",
    rule_id="ORG-8",
    title=gettext_lazy("小区业委会与物业管理"),
    citation="001 第二十一至二十四条；004 二(四)4",
)
def compounds(community, profile):
    rows = list(
        Compound.objects.filter(community=community).annotate(
            n_owners=Count("organisations", filter=Q(organisations__kind=OrgKind.OWNERS_COMMITTEE))
        )
    )
    gaps = []
    no_owners = [c.name for c in rows if c.n_owners == 0]
    if no_owners:
        gaps.append(_("未选举业主委员会：%(c)s") % {"c": "、".join(no_owners)})
    unmanaged = [
        c.name for c in rows if not c.has_professional_property and not c.property_manager_name
    ]
    if unmanaged:
        gaps.append(_("无物业且未指定专人管理：%(c)s") % {"c": "、".join(unmanaged)})
    if gaps:
        return Result.warning("；".join(gaps))
    return Result.ok(_("%(n)s 个小区均有业委会，物业管理有人负责") % {"n": len(rows)})


# --- ORG-13 ledgers (issue #4) ------------------------------------------------------------


@register(
    "org13-coverage",
    rule_id="ORG-13",
    title=gettext_lazy("台帐覆盖（摸底不漏户、造册不漏人）"),
    citation="002 五",
)
def ledger_coverage(community, profile):
    from communities.models import Resident

    units = list(
        Unit.objects.filter(community=community)
        .annotate(
            registered=Count("household_rows", filter=Q(household_rows__moved_out_on__isnull=True))
        )
        .values_list("households", "registered")
    )
    if not units:
        return Result.warning(_("未划分网格单元，无法核对住户登记情况"))
    short = [(expected, registered) for expected, registered in units if registered < expected]
    without_id = Resident.objects.filter(
        community=community, moved_out_on__isnull=True, id_valid=False
    ).count()
    values = {
        "u": len(short),
        "m": sum(expected - registered for expected, registered in short),
        "r": sum(registered for _expected, registered in units),
        "e": sum(expected for expected, _registered in units),
        "w": without_id,
    }
    gaps = []
    if short:
        gaps.append(_("%(u)s 个单元登记户数少于网格户数，共少 %(m)s 户") % values)
    if without_id:
        gaps.append(_("%(w)s 名在册居民无有效身份证号") % values)
    if gaps:
        return Result.warning("；".join(gaps) + _("（已登记 %(r)s 户，应登记 %(e)s 户）") % values)
    return Result.ok(
        _("已登记 %(r)s 户，各单元均不少于网格户数；在册居民均有有效身份证号") % values
    )


@register(
    "org13-review",
    rule_id="ORG-13",
    title=gettext_lazy("台帐动态更新（定期复核）"),
    citation="000 第十二条(五)；003 十一(三)",
    params=("ledger_review_days",),
)
def ledger_review(community, profile):
    """rules.review_overdue in SQL: the last review (or, never reviewed, the creation date)
    is more than ledger_review_days before today."""
    import datetime as dt

    from django.utils import timezone

    from communities.models import Household, Resident

    cutoff = timezone.localdate() - dt.timedelta(days=profile.ledger_review_days)
    overdue = Q(reviewed_on__lt=cutoff) | Q(reviewed_on__isnull=True, created_at__date__lt=cutoff)
    values = {
        "h": Household.objects.filter(
            overdue, community=community, moved_out_on__isnull=True
        ).count(),
        "r": Resident.objects.filter(
            overdue, community=community, moved_out_on__isnull=True
        ).count(),
        "d": profile.ledger_review_days,
    }
    if values["h"] or values["r"]:
        return Result.warning(_("%(h)s 户住户、%(r)s 名居民超过 %(d)s 天未复核") % values)
    return Result.ok(_("在册住户和居民均在 %(d)s 天内复核或登记") % values)


@register(
    "org13-duplicates",
    rule_id="ORG-13",
    title=gettext_lazy("居民重复登记核查"),
    citation="002 五",
)
def ledger_duplicates(community, profile):
    from communities.ledger_selectors import duplicate_elsewhere_q
    from communities.models import Resident

    n = Resident.objects.filter(duplicate_elsewhere_q(), community=community).count()
    if n:
        return Result.warning(
            _("%(n)s 名在册居民的身份证号同时在其他社区在册（均未登记为人户分离），请核查")
            % {"n": n}
        )
    return Result.ok(_("未发现与其他社区重复登记的居民"))
