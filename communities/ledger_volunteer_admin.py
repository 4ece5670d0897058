"""Admin of volunteers and their service hours (ORG-9), imported by communities.admin.
Saves through communities.ledger_services (LedgerAdmin); phones masked like every ledger.
Both lists have 导入 (communities.ledger_imports_volunteers): the volunteers' roster and
their service records."""

from django.contrib import admin
from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from communities import rules
from communities.ledger_admin import CommunityFilter, LedgerAdmin, PersonalFieldsAdmin
from communities.ledger_export_admin import LedgerExportAdminMixin
from communities.ledger_exports_more import VOLUNTEER_SERVICES, VOLUNTEERS
from communities.models import Volunteer, VolunteerService
from core.admin import ImportAdminMixin


class VolunteerServiceInline(admin.TabularInline):
    model = VolunteerService
    fk_name = "volunteer"
    extra = 1
    fields = ("date", "activity", "hours")
    exclude = ("community",)


@admin.register(Volunteer)
class VolunteerAdmin(LedgerExportAdminMixin, ImportAdminMixin, PersonalFieldsAdmin):
    ledger_export = VOLUNTEERS
    personal_fields = ("phone",)
    list_display = (
        "name",
        "masked_phone_list",
        "community",
        "organisation",
        "skills",
        "registered_on",
        "is_active",
        "total_hours",
    )
    list_filter = ("is_active", CommunityFilter)
    list_select_related = ("community", "organisation")
    search_fields = ("name", "skills")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "community",
                    "name",
                    "phone",
                    "organisation",
                    "skills",
                    "registered_on",
                    "is_active",
                )
            },
        ),
    )
    inlines = [VolunteerServiceInline]
    import_spec = "volunteers"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                hours=Coalesce(
                    Sum("services__hours"),
                    Value(0),
                    output_field=DecimalField(max_digits=9, decimal_places=1),
                )
            )
        )

    @admin.display(description=gettext_lazy("联系电话"))
    def masked_phone_list(self, obj):
        return rules.mask_phone(obj.phone)

    @admin.display(description=gettext_lazy("服务总时长（小时）"), ordering="hours")
    def total_hours(self, obj):
        return obj.hours


@admin.register(VolunteerService)
class VolunteerServiceAdmin(LedgerExportAdminMixin, ImportAdminMixin, LedgerAdmin):
    """The service records of every volunteer in scope (also edited inline under a
    volunteer), with the import of service hours."""

    list_display = ("volunteer", "date", "activity", "hours", "community")
    list_filter = (CommunityFilter,)
    list_select_related = ("volunteer", "community")
    search_fields = ("volunteer__name", "activity")
    autocomplete_fields = ("volunteer",)
    date_hierarchy = "date"
    fields = ("volunteer", "date", "activity", "hours")
    import_spec = "volunteer_services"
    ledger_export = VOLUNTEER_SERVICES
