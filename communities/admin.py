"""Admin of the registry. Every save goes through communities.services (ScopedModelAdmin)."""

from django.contrib import admin
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities import (
    ledger_admin,  # noqa: F401  (registers the ledger admins)
    ledger_volunteer_admin,  # noqa: F401
)
from communities import models as m
from communities.ledger_export_admin import LedgerExportAdminMixin
from communities.ledger_exports_more import ORGANISATIONS
from communities.services import registry_delete, registry_save, registry_validate
from core.admin import ImportAdminMixin, ScopedModelAdmin
from core.models import ComplianceFinding, FindingStatus
from core.services import compliance_run


class RegistryAdmin(ScopedModelAdmin):
    save_service = staticmethod(registry_save)
    delete_service = staticmethod(registry_delete)
    validate_service = staticmethod(registry_validate)


@admin.register(m.Street)
class StreetAdmin(RegistryAdmin):
    list_display = ("name", "district", "city", "phone", "default_profile", "n_communities")
    search_fields = ("name", "district")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n=Count("communities"))

    @admin.display(description=gettext_lazy("社区数"), ordering="n")
    def n_communities(self, obj):
        return obj.n


@admin.register(m.Community)
class CommunityAdmin(RegistryAdmin):
    list_display = (
        "name",
        "street",
        "households",
        "area_type",
        "profile",
        "violations",
        "warnings",
        "is_active",
    )
    list_filter = ("street", "area_type", "profile", "is_active")
    search_fields = ("name", "code", "address")
    list_select_related = ("street", "profile")
    readonly_fields = ("compliance_summary", "created_at", "updated_at")
    actions = ["run_checks", "apply_street_profile"]
    fieldsets = (
        (None, {"fields": ("street", "name", "code", "profile", "is_active")}),
        (
            gettext_lazy("规模与区域"),
            {
                "fields": (
                    "households",
                    "population",
                    "area_type",
                    "occupancy_pct",
                    "floor_area",
                    "move_in_date",
                )
            },
        ),
        (gettext_lazy("设立（ORG-6）"), {"fields": ("founded_on", "founding_doc_no")}),
        (gettext_lazy("联系方式"), {"fields": ("address", "phone", "office_hours")}),
        (gettext_lazy("合规检查"), {"fields": ("compliance_summary",)}),
        (gettext_lazy("时间"), {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        latest = ComplianceFinding.objects.order_by("-run_date").values("run_date")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_violations=Count(
                    "findings",
                    filter=Q(
                        findings__status=FindingStatus.VIOLATION,
                        findings__run_date=latest,
                    ),
                ),
                n_warnings=Count(
                    "findings",
                    filter=Q(findings__status=FindingStatus.WARNING, findings__run_date=latest),
                ),
            )
        )

    @admin.display(description=gettext_lazy("不符合"), ordering="n_violations")
    def violations(self, obj):
        return obj.n_violations

    @admin.display(description=gettext_lazy("提示"), ordering="n_warnings")
    def warnings(self, obj):
        return obj.n_warnings

    @admin.display(description=gettext_lazy("最近一次检查结果"))
    def compliance_summary(self, obj):
        if not obj.pk:
            return "—"
        last = obj.findings.order_by("-run_date").values_list("run_date", flat=True).first()
        if last is None:
            return _("尚未检查")
        rows = obj.findings.filter(run_date=last).order_by("rule_id", "check_code")
        table = format_html_join(
            "",
            "<tr><td>{}</td><td><span class='finding finding-{}'>{}</span></td>"
            "<td>{}</td><td>{}</td></tr>",
            ((f.rule_id, f.status, f.get_status_display(), f.message, f.citation) for f in rows),
        )
        url = reverse("admin:core_compliancefinding_matrix") + f"?community={obj.pk}"
        return format_html(
            "<p>{} {}（<a href='{}'>{}</a>）</p><table>{}</table>",
            _("检查日期"),
            last,
            url,
            _("查看明细"),
            table,
        )

    @admin.action(description=gettext_lazy("所选社区采用本街道默认政策参数方案"))
    def apply_street_profile(self, request, queryset):
        changed = 0
        for community in queryset.select_related("street"):
            if community.profile_id != community.street.default_profile_id:
                community.profile_id = community.street.default_profile_id
                registry_save(user=request.user, instance=community)
                changed += 1
        self.message_user(request, _("已更新 %(n)s 个社区的参数方案") % {"n": changed})

    @admin.action(description=gettext_lazy("对所选社区立即运行合规检查"))
    def run_checks(self, request, queryset):
        count = compliance_run(community_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, _("已完成检查，生成 %(n)s 条结果") % {"n": count})


@admin.register(m.CommunityDecision)
class CommunityDecisionAdmin(RegistryAdmin):
    list_display = ("community", "kind", "decided_on", "authority", "doc_no", "filed_on")
    list_filter = ("kind", "community__street")
    search_fields = ("doc_no", "community__name", "authority")
    list_select_related = ("community",)
    date_hierarchy = "decided_on"


@admin.register(m.Organisation)
class OrganisationAdmin(LedgerExportAdminMixin, ImportAdminMixin, RegistryAdmin):
    list_display = ("name", "community", "kind", "compound", "n_members", "term_ends_on")
    list_filter = ("kind", "community")
    search_fields = ("name", "community__name", "contact_person")
    list_select_related = ("community", "compound")
    # 导入 of resident units and social organisations (ORG-9/ORG-10,
    # communities.ledger_imports_units.OrganisationSpec)
    import_spec = "organisations"
    ledger_export = ORGANISATIONS  # 导出Excel of the list as filtered

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(n=Count("members", filter=Q(members__ended_on__isnull=True)))
        )

    @admin.display(description=gettext_lazy("在任人数"), ordering="n")
    def n_members(self, obj):
        return obj.n


@admin.register(m.Membership)
class MembershipAdmin(RegistryAdmin):
    list_display = (
        "person_name",
        "position",
        "organisation",
        "community",
        "started_on",
        "ended_on",
    )
    list_filter = ("position", "organisation__kind", "community")
    search_fields = ("person_name", "organisation__name", "phone")
    list_select_related = ("organisation", "community")
    raw_id_fields = ("user",)


@admin.register(m.SubCommittee)
class SubCommitteeAdmin(RegistryAdmin):
    list_display = ("kind", "community", "convenor", "established_on")
    list_filter = ("kind", "community")
    list_select_related = ("community",)


@admin.register(m.Compound)
class CompoundAdmin(RegistryAdmin):
    list_display = (
        "name",
        "community",
        "households",
        "has_professional_property",
        "property_manager_name",
        "joint_meeting_last_held",
        "property_disclosure_posted",
    )
    list_filter = ("has_professional_property", "property_disclosure_posted", "community")
    search_fields = ("name", "property_manager_name")
    list_select_related = ("community",)


class GridAdmin(RegistryAdmin):
    list_display = ("name", "community", "leader_name", "leader_phone", "households")
    list_filter = ("community",)
    search_fields = ("name", "leader_name")
    list_select_related = ("community",)


@admin.register(m.ResidentsGroup)
class ResidentsGroupAdmin(GridAdmin):
    pass


@admin.register(m.BuildingGroup)
class BuildingGroupAdmin(GridAdmin):
    list_display = GridAdmin.list_display + ("residents_group",)
    list_select_related = ("community", "residents_group")


@admin.register(m.Building)
class BuildingAdmin(GridAdmin):
    list_display = ("name", "community", "building_group", "compound", "leader_name", "households")
    list_select_related = ("community", "building_group", "compound")
    search_fields = ("name", "leader_name", "address")


@admin.register(m.Unit)
class UnitAdmin(GridAdmin):
    list_display = ("name", "building", "community", "leader_name", "households")
    list_select_related = ("community", "building")


@admin.register(m.Facility)
class FacilityAdmin(RegistryAdmin):
    list_display = (
        "name",
        "community",
        "room_type",
        "area",
        "is_public_service",
        "use_status",
        "filed_with_civil_affairs",
    )
    list_filter = ("room_type", "is_public_service", "use_status", "community")
    search_fields = ("name", "ownership", "certificate_no")
    list_select_related = ("community",)


@admin.register(m.AccessRecord)
class AccessRecordAdmin(RegistryAdmin):
    list_display = ("department", "community", "approved_on", "status", "funding", "valid_until")
    list_filter = ("status", "community")
    search_fields = ("department", "approval_doc_no", "tasks")
    list_select_related = ("community",)


@admin.register(m.AccessCheck)
class AccessCheckAdmin(RegistryAdmin):
    list_display = ("access", "community", "year", "result", "community_rating", "rectify_by")
    list_filter = ("year", "result", "community")
    list_select_related = ("community", "access__community")
