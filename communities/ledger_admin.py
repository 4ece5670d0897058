"""Admin of the ledgers (issue #4, ORG-13, ORG-9), imported by communities.admin.

Every save goes through communities.ledger_services (ScopedModelAdmin's save, delete and
validate services; inline rows too). ID numbers and phones are masked in lists, change forms
and the history page; a user holding reveal_personal sees one record's full values through a
POST that is logged. Special targets are visible only to roles granted view_specialtarget and
every list or record view is logged. The resident list runs a fixed number of queries
whatever the number of rows (see ledger_selectors.LedgerPaginator).
"""

import functools

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities import ledger_services as services
from communities import rules
from communities.ledger_export_admin import LedgerExportAdminMixin
from communities.ledger_exports_more import HOUSEHOLDS, SPECIAL_GROUPS
from communities.ledger_selectors import (
    RESIDENT_ORDER,
    LedgerPaginator,
    permitted,
    resident_filter,
    resident_search,
    with_group_names,
    with_review_flags,
)
from communities.models import (
    Community,
    Household,
    PersonalDataLog,
    RegistrationType,
    Resident,
    SpecialGroupMember,
    SpecialGroupType,
    SpecialTarget,
)
from core.admin import ImportAdminMixin, ReadOnlyAdminMixin, ScopedModelAdmin
from core.middleware import client_ip
from core.scoping import can, scoped

# --- shared pieces --------------------------------------------------------------------------


def masked(field: str, value: str) -> str:
    return rules.mask_id(value) if field == "id_number" else rules.mask_phone(value)


class CommunityFilter(admin.SimpleListFilter):
    """The communities in the user's scope (one small query, never a DISTINCT over the
    ledger's rows as RelatedOnlyFieldListFilter would do)."""

    title = gettext_lazy("社区")
    parameter_name = "community"

    def lookups(self, request, model_admin):
        communities = scoped(Community.objects.order_by("name"), request.user)
        return [(str(c.pk), c.name) for c in communities.only("pk", "name")]

    def queryset(self, request, queryset):
        if self.value():
            return resident_filter_community(queryset, self.value())
        return queryset


def resident_filter_community_id(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def resident_filter_community(queryset, value):
    try:
        return queryset.filter(community_id=int(value))
    except (TypeError, ValueError):
        return queryset.none()


class StatusFilter(admin.SimpleListFilter):
    """在册 by default (the partial address-order index), 已迁出 or 全部 on request."""

    title = gettext_lazy("在册状态")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("current", _("在册")),
            ("moved_out", _("已迁出")),
            ("all", _("全部")),
        ]

    def choices(self, changelist):
        value = self.value() or "current"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "current"
        if value == "current":
            return queryset.filter(moved_out_on__isnull=True)
        if value == "moved_out":
            return queryset.filter(moved_out_on__isnull=False)
        return queryset


class GroupFilter(admin.SimpleListFilter):
    title = gettext_lazy("特殊群体")
    parameter_name = "group"

    def lookups(self, request, model_admin):
        return [(t.code, t.name) for t in SpecialGroupType.objects.filter(is_active=True)]

    def queryset(self, request, queryset):
        if self.value():
            return resident_filter(queryset, group=self.value(), include_moved_out=True)
        return queryset


class RegistrationTypeFilter(admin.SimpleListFilter):
    title = gettext_lazy("户籍类型")
    parameter_name = "registration_type"

    def lookups(self, request, model_admin):
        return RegistrationType.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(registration_type=self.value())
        return queryset


class FlagFilter(admin.SimpleListFilter):
    title = gettext_lazy("待核查")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [
            ("duplicate", _("他社区亦有在册登记（非人户分离）")),
            ("no_id", _("无有效身份证号")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "duplicate":
            return resident_filter(queryset, duplicate=True, include_moved_out=True)
        if self.value() == "no_id":
            return queryset.filter(id_valid=False)
        return queryset


def filters_from_get(params) -> dict:
    """The resident list's filters from the changelist's query string (for the export)."""
    status = params.get("status") or "current"
    return {
        "community_id": params.get("community") or None,
        "q": params.get("q") or None,
        "group": params.get("group") or None,
        "registration_type": params.get("registration_type") or None,
        "include_moved_out": status != "current",
        "moved_out": True if status == "moved_out" else None,
        "duplicate": params.get("flag") == "duplicate" or None,
        "no_id": params.get("flag") == "no_id" or None,
    }


class LedgerAdmin(ScopedModelAdmin):
    save_service = staticmethod(services.ledger_save)
    delete_service = staticmethod(services.ledger_delete)
    validate_service = staticmethod(services.ledger_validate)

    def save_formset(self, request, form, formset, change):
        """Inline rows go through the services too."""
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.ledger_delete(user=request.user, instance=obj)
        for obj in instances:
            services.ledger_save(user=request.user, instance=obj)
        formset.save_m2m()

    def delete_queryset(self, request, queryset):
        """Rows a rule keeps (a household with residents) are reported, the others go."""
        for obj in queryset:
            try:
                with transaction.atomic():
                    services.ledger_delete(user=request.user, instance=obj)
            except ValidationError as exc:
                for message in exc.messages:
                    self.message_user(request, f"{obj}：{message}", messages.ERROR)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            with transaction.atomic():
                return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:
            for message in exc.messages:
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            )


class PersonalFieldsForm(forms.ModelForm):
    """On a change form the personal fields are not shown: the masked value is, with an
    empty field to type a correction into (a blank one keeps the current value)."""

    new_id_number = forms.CharField(
        label=gettext_lazy("更正身份证号"),
        required=False,
        max_length=30,
        help_text=gettext_lazy("留空则不修改"),
    )
    new_phone = forms.CharField(
        label=gettext_lazy("更正联系电话"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("留空则不修改"),
    )

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            for name in ("id_number", "phone"):
                value = (cleaned.get(f"new_{name}") or "").strip()
                if value:
                    setattr(self.instance, name, value)
        return cleaned

    def _update_errors(self, errors):
        # A service's error about a personal field belongs by its correction field.
        if hasattr(errors, "error_dict") and self.instance.pk:
            for name in ("id_number", "phone"):
                if name in errors.error_dict and f"new_{name}" in self.fields:
                    errors.error_dict[f"new_{name}"] = errors.error_dict.pop(name)
        super()._update_errors(errors)


class PersonalFieldsAdmin(LedgerAdmin):
    """Masks `personal_fields` everywhere in the admin and offers the logged reveal."""

    form = PersonalFieldsForm
    personal_fields: tuple[str, ...] = ()

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        out = []
        for name, options in fieldsets:
            fields = []
            for field in options["fields"]:
                if field in self.personal_fields:
                    fields += [f"masked_{field}", f"new_{field}"]
                else:
                    fields.append(field)
            out.append((name, {**options, "fields": fields}))
        return out

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += [f"masked_{f}" for f in self.personal_fields]
        return readonly

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if obj is not None:  # never sent to the browser: masked_* and new_* instead
            exclude += list(self.personal_fields)
        return exclude

    def _masked_field(self, obj, field):
        value = masked(field, getattr(obj, field))
        if not value:
            return "—"
        if getattr(obj, "_can_reveal", False):
            url = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_reveal", args=[obj.pk]
            )
            return format_html(
                '{} <button type="submit" class="button" formaction="{}" formmethod="post" '
                'formnovalidate name="_reveal">{}</button>',
                value,
                url,
                _("查看完整信息（将记录）"),
            )
        return value

    @admin.display(description=gettext_lazy("身份证号"))
    def masked_id_number(self, obj):
        return self._masked_field(obj, "id_number")

    @admin.display(description=gettext_lazy("联系电话"))
    def masked_phone(self, obj):
        return self._masked_field(obj, "phone")

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:  # for the reveal button (the admin instance is shared by threads)
            obj._can_reveal = can(request.user, services.REVEAL_PERM, obj)
        return obj

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/reveal/",
                self.admin_site.admin_view(self.reveal_view),
                name=f"{info}_reveal",
            ),
            *super().get_urls(),
        ]

    def reveal_view(self, request, object_id):
        """POST only: the full personal values of one record, logged (PersonalDataLog)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        values = services.personal_reveal(user=request.user, obj=obj, ip=client_ip(request))
        labels = {f: self.model._meta.get_field(f).verbose_name for f in values}
        context = {
            **self.admin_site.each_context(request),
            "title": _("完整信息：%(obj)s") % {"obj": obj},
            "opts": self.opts,
            "object": obj,
            "rows": [(labels[f], v) for f, v in values.items()],
        }
        return TemplateResponse(request, "admin/communities/ledgers/reveal.html", context)

    # The audit trail (ScopedModelAdmin.history_view): the personal fields masked for
    # everyone; a user holding reveal_personal sees them by a POST, logged as a reveal.
    history_template = "admin/communities/ledgers/audit_history.html"
    history_reveal_perm = services.REVEAL_PERM

    def get_history_masks(self):
        return {field: functools.partial(masked, field) for field in self.personal_fields}

    def history_revealed(self, request, obj):
        services.personal_reveal(user=request.user, obj=obj, ip=client_ip(request))


# --- households ---------------------------------------------------------------------------


class ResidentInline(admin.TabularInline):
    """The household's residents, read-only here (each is edited on its own page, where
    the personal data are masked and revealed with a log)."""

    model = Resident
    fk_name = "household"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("name", "masked_id", "gender", "birth_date", "relation", "registration_type")
    readonly_fields = fields
    ordering = ("moved_out_on", "id")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return can(request.user, "communities.view_resident", obj)

    @admin.display(description=gettext_lazy("身份证号"))
    def masked_id(self, obj):
        return rules.mask_id(obj.id_number) or "—"


@admin.register(Household)
class HouseholdAdmin(LedgerExportAdminMixin, PersonalFieldsAdmin):
    personal_fields = ("phone",)
    ledger_export = HOUSEHOLDS  # 导出Excel of the list as filtered
    list_display = (
        "address",
        "community",
        "n_residents",
        "masked_phone_list",
        "moved_out_on",
        "reviewed_on",
    )
    list_filter = (CommunityFilter,)
    search_fields = ("address",)
    list_select_related = ("community",)
    sortable_by = ()
    paginator = LedgerPaginator
    readonly_fields = ("address", "community", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("unit", "room", "address", "community", "phone")}),
        (gettext_lazy("状态"), {"fields": ("moved_out_on", "reviewed_on", "note")}),
        (gettext_lazy("时间"), {"fields": ("created_at", "updated_at")}),
    )
    inlines = [ResidentInline]
    actions = ["mark_reviewed"]
    change_list_template = "admin/communities/ledgers/household_change_list.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(n=Count("residents", filter=Q(residents__moved_out_on__isnull=True)))
        )

    def get_search_results(self, request, queryset, search_term):
        search_term = (search_term or "").strip()
        if not search_term:
            return queryset, False
        return queryset.filter(address__icontains=search_term), False

    @admin.display(description=gettext_lazy("在册人数"))
    def n_residents(self, obj):
        return obj.n

    @admin.display(description=gettext_lazy("联系电话"))
    def masked_phone_list(self, obj):
        return rules.mask_phone(obj.phone)

    @admin.action(description=gettext_lazy("标记为已复核（ORG-13）"), permissions=["change"])
    def mark_reviewed(self, request, queryset):
        n = services.records_reviewed(user=request.user, queryset=queryset)
        self.message_user(request, _("已标记 %(n)s 条记录为今日复核") % {"n": n})

    # The coverage report (清查不漏幢、摸底不漏户、造册不漏人).
    def get_urls(self):
        return [
            path(
                "coverage/",
                self.admin_site.admin_view(self.coverage_view),
                name="communities_household_coverage",
            ),
            path(
                "coverage/export/",
                self.admin_site.admin_view(self.coverage_export_view),
                name="communities_household_coverage_export",
            ),
            *super().get_urls(),
        ]

    def _coverage(self, request):
        from communities.ledger_selectors import coverage_report

        if not self.has_view_permission(request):
            raise PermissionDenied
        return coverage_report(user=request.user, community_id=request.GET.get("community"))

    def coverage_view(self, request):
        report = self._coverage(request)
        context = {
            **self.admin_site.each_context(request),
            "title": _("台帐覆盖情况（清查不漏幢、摸底不漏户、造册不漏人）"),
            "opts": self.opts,
            "report": report,
        }
        return TemplateResponse(request, "admin/communities/ledgers/coverage.html", context)

    def coverage_export_view(self, request):
        from communities.ledger_exports import coverage_xlsx

        return coverage_xlsx(self._coverage(request))


# --- residents ----------------------------------------------------------------------------


class SpecialGroupInline(admin.TabularInline):
    model = SpecialGroupMember
    fk_name = "resident"
    extra = 0
    fields = (
        "group_type",
        "starts_on",
        "ends_on",
        "grade",
        "monthly_amount",
        "household_size",
        "note",
    )
    exclude = ("community",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "group_type":
            kwargs["queryset"] = SpecialGroupType.objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Resident)
class ResidentAdmin(ImportAdminMixin, PersonalFieldsAdmin):
    personal_fields = ("id_number", "phone")
    list_display = (
        "name",
        "masked_id",
        "gender_label",
        "age_group",
        "masked_phone_list",
        "household_address",
        "registration_type",
        "groups",
        "review_flag",
        "community",
    )
    list_filter = (
        CommunityFilter,
        StatusFilter,
        RegistrationTypeFilter,
        GroupFilter,
        FlagFilter,
    )
    search_fields = ("name",)  # the box; the semantics are resident_search's
    search_help_text = gettext_lazy(
        "姓名、拼音首字母（如 zjh）、身份证号或电话后四位、完整身份证号或手机号、地址"
    )
    list_select_related = ("household", "community")
    sortable_by = ()
    paginator = LedgerPaginator
    autocomplete_fields = ("household",)
    readonly_fields = ("community", "id_valid", "age_label", "created_at", "updated_at")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "household",
                    "community",
                    "name",
                    "id_number",
                    "id_valid",
                    "gender",
                    "birth_date",
                    "age_label",
                    "relation",
                    "phone",
                    "registration_type",
                )
            },
        ),
        (
            gettext_lazy("迁入迁出与复核"),
            {"fields": ("moved_in_on", "moved_out_on", "reviewed_on", "note")},
        ),
        (gettext_lazy("时间"), {"fields": ("created_at", "updated_at")}),
    )
    inlines = [SpecialGroupInline]
    actions = ["mark_reviewed"]
    # 导入 (communities.imports.ResidentSpec): the import template's buttons over this list's
    import_spec = "residents"
    change_list_template = "imports/admin_change_list.html"
    import_base_template = "admin/communities/ledgers/resident_change_list.html"

    def get_queryset(self, request):
        return with_group_names(
            with_review_flags(
                super().get_queryset(request).select_related("household", "community")
            )
        )

    def get_ordering(self, request):
        return RESIDENT_ORDER

    def get_search_results(self, request, queryset, search_term):
        return resident_search(queryset, search_term), False

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "ledger_export_url": reverse("admin:communities_resident_xlsx")
            + (f"?{request.GET.urlencode()}" if request.GET else ""),
            "can_export_full": can(request.user, services.REVEAL_PERM),
        }
        return super().changelist_view(request, extra_context)

    @admin.display(description=gettext_lazy("身份证号"))
    def masked_id(self, obj):
        return rules.mask_id(obj.id_number) or "—"

    @admin.display(description=gettext_lazy("联系电话"))
    def masked_phone_list(self, obj):
        return rules.mask_phone(obj.phone)

    @admin.display(description=gettext_lazy("性别"))
    def gender_label(self, obj):
        return obj.get_gender_display()

    @admin.display(description=gettext_lazy("年龄段"))
    def age_group(self, obj):
        return rules.age_group(obj.birth_date, timezone.localdate())

    @admin.display(description=gettext_lazy("年龄段"))
    def age_label(self, obj):
        return rules.age_group(obj.birth_date, timezone.localdate()) or "—"

    @admin.display(description=gettext_lazy("地址"))
    def household_address(self, obj):
        return obj.household.address

    @admin.display(description=gettext_lazy("特殊群体"))
    def groups(self, obj):
        return obj.group_names or ""

    @admin.display(description=gettext_lazy("核查"))
    def review_flag(self, obj):
        return review_flag_html(obj)

    @admin.action(description=gettext_lazy("标记为已复核（ORG-13）"), permissions=["change"])
    def mark_reviewed(self, request, queryset):
        n = services.records_reviewed(user=request.user, queryset=queryset)
        self.message_user(request, _("已标记 %(n)s 条记录为今日复核") % {"n": n})

    # Excel export of what the list shows (ledger_exports.resident_export).
    def get_urls(self):
        return [
            path(
                "xlsx/",
                self.admin_site.admin_view(self.export_xlsx_view),
                name="communities_resident_xlsx",
            ),
            *super().get_urls(),
        ]

    def export_xlsx_view(self, request):
        """What the list shows as .xlsx: at once up to LEDGER_EXPORT_SYNC_MAX_ROWS rows,
        above that queued (after a confirmation for a GET) and downloaded from 我的导出."""
        from communities import ledger_export_views as export_views
        from communities import ledger_jobs as jobs
        from communities.ledger_exports import resident_export_count, resident_export_response

        if not self.has_view_permission(request):
            raise PermissionDenied
        reveal = request.method == "POST" and request.POST.get("reveal") == "1"
        params = request.POST if request.method == "POST" else request.GET
        filters = filters_from_get(params)
        rows = resident_export_count(user=request.user, filters=filters)
        if not jobs.export_in_background(rows):
            return resident_export_response(request, filters=filters, reveal=reveal)
        back = reverse("admin:communities_resident_changelist")
        if request.method != "POST":
            return export_views.export_confirm(request, rows=rows, params=params, back_url=back)
        community = None
        if filters["community_id"]:
            community = (
                scoped(Community.objects.all(), request.user)
                .filter(pk=resident_filter_community_id(filters["community_id"]))
                .first()
            )
        return export_views.export_queue(
            request, community=community, filters=filters, reveal=reveal
        )


def review_flag_html(obj):
    if getattr(obj, "duplicate_elsewhere", False):
        return format_html(
            '<span class="finding finding-warning">{}</span>', _("他社区亦有在册登记，待核查")
        )
    if getattr(obj, "registered_elsewhere", False):
        return _("人户分离（他社区亦登记）")
    if obj.moved_out_on is None and not obj.id_valid:
        return _("无有效身份证号")
    return ""


# --- special groups -----------------------------------------------------------------------


@admin.register(SpecialGroupType)
class SpecialGroupTypeAdmin(LedgerAdmin):
    """Group types as data: the street administrator (and superusers) edit them."""

    list_display = ("name", "code", "profile", "has_amount", "has_grade", "min_age", "is_active")
    list_filter = ("is_active", "profile")
    list_select_related = ("profile",)
    search_fields = ("name", "code")


@admin.register(SpecialGroupMember)
class SpecialGroupMemberAdmin(LedgerExportAdminMixin, ImportAdminMixin, LedgerAdmin):
    ledger_export = SPECIAL_GROUPS
    list_display = (
        "resident",
        "group_type",
        "starts_on",
        "ends_on",
        "grade",
        "monthly_amount",
        "household_size",
        "community",
    )
    list_filter = ("group_type", CommunityFilter)
    list_select_related = ("resident", "group_type", "community")
    search_fields = ("resident__name",)
    autocomplete_fields = ("resident",)
    sortable_by = ()
    import_spec = "special_groups"  # communities.ledger_imports.SpecialGroupSpec

    def get_search_results(self, request, queryset, search_term):
        search_term = (search_term or "").strip()
        if not search_term:
            return queryset, False
        return queryset.filter(resident__name__icontains=search_term), False


@admin.register(SpecialTarget)
class SpecialTargetAdmin(LedgerAdmin):
    """特别对象: only for roles granted view_specialtarget; every view is logged."""

    list_display = ("resident", "kind", "since", "until", "responsible", "community")
    list_filter = ("kind", CommunityFilter)
    list_select_related = ("resident", "community")
    autocomplete_fields = ("resident",)
    sortable_by = ()

    def get_queryset(self, request):
        return permitted(
            SpecialTarget.objects.select_related("resident", "community"),
            request.user,
            services.VIEW_SPECIAL_PERM,
        )

    def has_view_permission(self, request, obj=None):
        return can(request.user, services.VIEW_SPECIAL_PERM, obj)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", {}).get("cl")
        if cl is not None:
            services.special_targets_viewed(
                user=request.user, targets=cl.result_list, ip=client_ip(request), listing=True
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and getattr(response, "status_code", 0) == 200:
            obj = (getattr(response, "context_data", None) or {}).get("original")
            if obj is not None:
                services.special_targets_viewed(
                    user=request.user, targets=[obj], ip=client_ip(request)
                )
        return response

    def history_view(self, request, object_id, extra_context=None):
        """The audit trail shows the record's values: a view like any other, logged."""
        response = super().history_view(request, object_id, extra_context)
        obj = (getattr(response, "context_data", None) or {}).get("object")
        if obj is not None and response.status_code == 200:
            services.special_targets_viewed(user=request.user, targets=[obj], ip=client_ip(request))
        return response


# --- the access log -------------------------------------------------------------------------


@admin.register(PersonalDataLog)
class PersonalDataLogAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    """Who saw which personal data (reveals, special-target views, exports): read-only,
    for the street administrator and superusers."""

    list_display = ("at", "user", "action", "model", "object_id", "community", "rows", "ip")
    list_filter = ("action", "model", CommunityFilter)
    list_select_related = ("user", "community")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in PersonalDataLog._meta.fields]
    sortable_by = ()

    def has_view_permission(self, request, obj=None):
        return can(request.user, "communities.view_personaldatalog", obj)
