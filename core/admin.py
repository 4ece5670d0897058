"""Admin for core, and ScopedModelAdmin: the base of every governed model's admin.

ScopedModelAdmin makes the admin one more path through the services: rows come from
core.scoping.scoped(), object permissions are checked per community, foreign-key choices
are limited to the user's communities, saves go through the app's service (so every rule
applies), and the history page shows the trigger-recorded audit trail (read-only).
"""

import datetime as dt
import re

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import services
from core.audit import history_for
from core.compliance import REGISTRY
from core.models import (
    ComplianceFinding,
    FindingStatus,
    PolicyProfile,
    Reminder,
    ReminderStatus,
    RoleAssignment,
    TaskHeartbeat,
)
from core.schedules import BEAT_SCHEDULE, MAX_INTERVAL_HOURS
from core.scoping import can, scoped


class ScopedModelAdmin(admin.ModelAdmin):
    """Admin of a community-scoped model. Subclasses may set `save_service` and
    `delete_service` (keyword-only callables taking user= and instance=) and
    `validate_service` (same signature, raises ValidationError, writes nothing)."""

    save_service = staticmethod(services.instance_save)
    delete_service = staticmethod(services.instance_delete)
    validate_service = None
    list_per_page = 50
    show_full_result_count = False

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another community's row (or a guessed id) does not exist for this user: 404,
        # neither a redirect that would differ from a real miss nor a 403.
        raise Http404

    def _perm(self, action):
        opts = self.opts
        return f"{opts.app_label}.{action}_{opts.model_name}"

    def has_view_permission(self, request, obj=None):
        return can(request.user, self._perm("view"), obj) or can(
            request.user, self._perm("change"), obj
        )

    def has_change_permission(self, request, obj=None):
        return can(request.user, self._perm("change"), obj)

    def has_add_permission(self, request):
        return can(request.user, self._perm("add"))

    def has_delete_permission(self, request, obj=None):
        return can(request.user, self._perm("delete"), obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        if hasattr(related, "scope_path") or any(
            f.name == "community" for f in related._meta.get_fields()
        ):
            kwargs["queryset"] = scoped(
                kwargs.get("queryset", related._default_manager.all()), request.user
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if getattr(self.model, "parent_field", ""):
            exclude.append("community")  # derived from the parent (services.derive_community)
        return exclude

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        validate = self.validate_service
        user = request.user

        class ValidatedForm(form):
            def clean(self):
                cleaned = super().clean()
                parent_field = getattr(self._meta.model, "parent_field", "")
                parent = cleaned.get(parent_field) if parent_field else None
                if parent is not None:
                    self.instance.community_id = parent.community_id
                return cleaned

            def _post_clean(self):
                super()._post_clean()
                if not self.errors and validate is not None:
                    try:
                        validate(user=user, instance=self.instance)
                    except ValidationError as exc:
                        self._update_errors(exc)

        ValidatedForm.__name__ = form.__name__
        return ValidatedForm

    def save_model(self, request, obj, form, change):
        self.save_service(user=request.user, instance=obj)

    def delete_model(self, request, obj):
        self.delete_service(user=request.user, instance=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_service(user=request.user, instance=obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            # A rule that failed only under the row lock (a concurrent change won the race):
            # nothing was saved (the admin view is atomic); say why and let the user retry.
            for message in exc.messages:
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # Personal data in the audit trail (issue #4): the event tables keep full values, so the
    # history page masks `get_history_masks()` (field -> mask function) for everyone, and
    # numbers that look like ID numbers or mobile phones in the recorded URLs. A user holding
    # `history_reveal_perm` on the object sees the values through a POST to the same page,
    # which `history_revealed()` logs.
    history_template = "admin/audit_history.html"
    history_masks: dict = {}
    history_reveal_perm: str | None = None

    def get_history_masks(self) -> dict:
        return self.history_masks

    def history_revealed(self, request, obj) -> None:
        """A permitted user asked for the unmasked history of `obj`: log it (subclasses)."""

    def can_reveal_history(self, request, obj) -> bool:
        return bool(self.get_history_masks() and self.history_reveal_perm) and can(
            request.user, self.history_reveal_perm, obj
        )

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        reveal = request.method == "POST"
        if reveal and not self.can_reveal_history(request, obj):
            raise PermissionDenied
        events = history_for(obj)
        if reveal:
            self.history_revealed(request, obj)
        else:
            mask_history(events, self.get_history_masks())
        context = {
            **self.admin_site.each_context(request),
            "title": _("变更历史：%(obj)s") % {"obj": obj},
            "object": obj,
            "opts": self.opts,
            "events": events,
            "users": _users_by_id(events),
            "revealed": reveal,
            "can_reveal": not reveal and self.can_reveal_history(request, obj),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.history_template, context)


# An 18-character ID number (or the old 15-digit one) and a mainland mobile number inside a
# recorded URL, e.g. a search (?q=...) that preceded a bulk action.
_URL_ID = re.compile(r"(?<![0-9A-Za-z])\d{14,17}[0-9Xx](?![0-9A-Za-z])")
_URL_MOBILE = re.compile(r"(?<![0-9])(1\d{2})\d{4}(\d{4})(?![0-9])")


def _mask_url(url):
    if not isinstance(url, str):
        return url
    url = _URL_ID.sub(lambda m: m[0][:4] + "*" * (len(m[0]) - 8) + m[0][-4:], url)
    return _URL_MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", url)


def mask_history(events, masks: dict) -> None:
    """Mask the personal fields of audit events in place (their diffs, their data and the
    URLs in their context), before a page shows them."""
    for event in events:
        for field, mask in masks.items():
            if event.pgh_diff and field in event.pgh_diff:
                event.pgh_diff[field] = [mask(v or "") for v in event.pgh_diff[field]]
            if isinstance(event.pgh_data, dict) and field in event.pgh_data:
                event.pgh_data[field] = mask(event.pgh_data[field] or "")
        if masks and isinstance(event.pgh_context, dict) and "url" in event.pgh_context:
            event.pgh_context["url"] = _mask_url(event.pgh_context["url"])


def _users_by_id(events):
    ids = {e.pgh_context.get("user") for e in events if e.pgh_context}
    ids.discard(None)
    return {u.pk: u for u in get_user_model().objects.filter(pk__in=ids)}


class ReadOnlyAdminMixin:
    """History and findings are produced by the system; nobody edits them by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AdminImportUI:
    """Where a model admin's import pages live (core.import_views renders them)."""

    street_wide = True  # the admin may import street-wide: the 社区 column decides per row

    def __init__(self, model_admin):
        self.model_admin = model_admin
        opts = model_admin.opts
        self.prefix = f"admin:{opts.app_label}_{opts.model_name}"

    def url(self, name, *args):
        if name in ("upload", "template", "export"):
            return reverse(f"{self.prefix}_{'import' if name == 'upload' else name}")
        return reverse(f"{self.prefix}_import_{name}", args=args)

    def context(self, request, title):
        return {
            **self.model_admin.admin_site.each_context(request),
            "opts": self.model_admin.opts,
            "title": title,
            "changelist_url": reverse(f"{self.prefix}_changelist"),
        }

    def template(self, name):
        return f"imports/admin_{name}.html"


class ImportAdminMixin:
    """Adds 导入 (template, upload, row-by-row preview, confirm, progress, error report) and
    导出 to a ScopedModelAdmin's changelist for the core.imports spec in `import_spec`.
    Everything goes through core.imports, so the app's services apply every rule."""

    import_spec = None
    change_list_template = "imports/admin_change_list.html"

    def _spec(self):
        from core.imports import get_spec

        return get_spec(self.import_spec)

    def get_urls(self):
        from django.views.decorators.csrf import csrf_exempt

        info = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        job = [
            ("", self.import_job_view, "import_job"),
            ("status/", self.import_status_view, "import_status"),
            ("confirm/", self.import_confirm_view, "import_confirm"),
            ("cancel/", self.import_cancel_view, "import_cancel"),
            ("errors/", self.import_errors_view, "import_errors"),
        ]
        return [
            # csrf_protect runs inside, after the upload size limit is in place.
            path("import/", wrap(csrf_exempt(self.import_view)), name=f"{info}_import"),
            path(
                "import/template/",
                wrap(self.import_template_view),
                name=f"{info}_template",
            ),
            *(
                path(f"import/<int:pk>/{suffix}", wrap(view), name=f"{info}_{name}")
                for suffix, view, name in job
            ),
            path("export/", wrap(self.export_view), name=f"{info}_export"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        from core.imports import can_import, import_communities

        spec, ui = self._spec(), AdminImportUI(self)
        extra_context = dict(extra_context or {})
        if can_import(request.user, spec) or import_communities(user=request.user, spec=spec):
            extra_context["import_url"] = ui.url("upload")
        if spec.can_export and self.has_view_permission(request):
            export_url = ui.url("export")
            community = request.GET.get("community__id__exact")
            if community:
                export_url += f"?community={community}"
            extra_context.setdefault("export_url", export_url)  # an admin may have its own
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        from core.import_views import upload

        return upload(request, AdminImportUI(self), self._spec())

    def import_template_view(self, request):
        from core.import_views import template_download

        return template_download(request, self._spec())

    def _job(self, request, pk):
        from core.imports import import_job_get

        return import_job_get(user=request.user, pk=pk, kind=self._spec().kind)

    def import_job_view(self, request, pk):
        from core.import_views import job_page

        return job_page(request, AdminImportUI(self), self._job(request, pk))

    def import_status_view(self, request, pk):
        from core.import_views import job_status

        return job_status(request, self._job(request, pk))

    def import_confirm_view(self, request, pk):
        from core.import_views import job_confirm

        return job_confirm(request, AdminImportUI(self), self._job(request, pk))

    def import_cancel_view(self, request, pk):
        from core.import_views import job_cancel

        return job_cancel(request, AdminImportUI(self), self._job(request, pk))

    def import_errors_view(self, request, pk):
        from core.import_views import job_errors

        return job_errors(request, self._job(request, pk))

    def export_view(self, request):
        """The records in scope (or of the community the changelist is filtered to) in the
        import layout."""
        from communities.models import Community
        from core.import_views import export_download

        community = None
        if request.GET.get("community"):
            try:
                pk = int(request.GET["community"])
            except ValueError:
                raise Http404 from None
            community = scoped(Community.objects.all(), request.user).filter(pk=pk).first()
            if community is None:
                raise Http404
        return export_download(request, self._spec(), community)


@admin.register(PolicyProfile)
class PolicyProfileAdmin(ScopedModelAdmin):
    list_display = ("name", "code", "is_preset", "service_room_head", "funding_basis")
    list_filter = ("is_preset", "funding_basis", "facility_checklist")
    search_fields = ("name", "code", "source")
    readonly_fields = ("is_preset", "created_at", "updated_at")

    def has_change_permission(self, request, obj=None):
        # Presets mirror the seeds; a street changes numbers in a profile of its own.
        if obj is not None and obj.is_preset and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_preset:
            return False
        return super().has_delete_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        fields = [f.name for f in PolicyProfile.param_fields()]

        def group(prefixes):
            return [f for f in fields if f.split("_")[0] in prefixes]

        org = [
            "service_room_head",
            "party_committee_min",
            "party_committee_max",
            "committee_households_per_member",
            "committee_min",
            "committee_max",
            "new_area_occupancy_pct",
            "residents_group_households",
            "community_households_standard",
            "community_households_tolerance_pct",
            "office_area_min_new",
            "office_area_min_old",
            "service_area_min",
            "property_room_permille",
            "property_room_min_area",
            "developer_handover_months",
            "facility_checklist",
            "ledger_review_days",
        ]
        staff = [
            "households_per_worker_low",
            "households_per_worker_high",
            "min_workers",
            "subsidy_secretary",
            "subsidy_deputy",
            "subsidy_member",
            "wage_catchup_pct",
            "training_hours_min",
            "training_cycle_years_members",
            "separate_accountant_cashier",
            "party_checkups_per_year",
        ]
        fin = [
            f for f in fields if f.startswith(("funding", "approval", "cash", "split", "budget"))
        ]
        disc = [f for f in fields if f.startswith("disclosure")]
        meet = [f for f in fields if f.startswith(("assembly", "committee_report"))]
        used = set(org) | set(staff) | set(fin) | set(disc) | set(meet)
        att = [f for f in fields if f not in used]
        return [
            (None, {"fields": ["name", "code", "source", "description", "is_preset"]}),
            (_("组织体系（ORG）"), {"fields": org}),
            (_("人员设置（STAFF）"), {"fields": staff}),
            (_("财务管理（FIN）"), {"fields": fin}),
            (_("居务公开（DISC）"), {"fields": disc}),
            (_("会议（MEET）"), {"fields": meet}),
            (_("考勤（ATT）"), {"fields": att}),
            (_("时间"), {"fields": ["created_at", "updated_at"]}),
        ]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedModelAdmin):
    list_display = ("user", "role", "street", "community", "created_at")
    list_filter = ("role", "street", "community")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    autocomplete_fields = ()
    list_select_related = ("user", "street", "community")

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request).select_related("user")
        from core.scoping import scope_for

        scope = scope_for(request.user)
        if scope.everything:
            return qs
        return qs.filter(
            Q(community_id__in=scope.community_ids) | Q(street_id__in=scope.street_ids)
        )

    def has_change_permission(self, request, obj=None):
        return False  # a role is granted or revoked, never edited in place

    def save_model(self, request, obj, form, change):
        assignment = services.role_assign(
            by=request.user,
            user=obj.user,
            role=obj.role,
            street=obj.street,
            community=obj.community,
        )
        obj.pk = assignment.pk

    def delete_model(self, request, obj):
        services.role_revoke(by=request.user, assignment=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.role_revoke(by=request.user, assignment=obj)


@admin.register(ComplianceFinding)
class ComplianceFindingAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ("run_date", "community", "rule_id", "check_title", "status_badge", "message")
    list_filter = ("status", "rule_id", "run_date", "community__street", "community")
    search_fields = ("community__name", "rule_id", "message")
    date_hierarchy = "run_date"
    list_select_related = ("community",)
    readonly_fields = [f.name for f in ComplianceFinding._meta.fields]
    change_list_template = "admin/core/compliancefinding/change_list.html"

    @admin.display(description=gettext_lazy("检查项"))
    def check_title(self, obj):
        check = REGISTRY.get(obj.check_code)
        return check.title if check else obj.check_code

    @admin.display(description=gettext_lazy("结论"), ordering="status")
    def status_badge(self, obj):
        return format_html(
            '<span class="finding finding-{}">{}</span>', obj.status, obj.get_status_display()
        )

    def get_urls(self):
        return [
            path(
                "matrix/",
                self.admin_site.admin_view(self.matrix_view),
                name="core_compliancefinding_matrix",
            ),
            path(
                "matrix/export/",
                self.admin_site.admin_view(self.export_view),
                name="core_compliancefinding_export",
            ),
            path(
                "run/",
                self.admin_site.admin_view(self.run_view),
                name="core_compliancefinding_run",
            ),
        ] + super().get_urls()

    def _matrix(self, request):
        from core.selectors import compliance_matrix

        community_id = request.GET.get("community")
        try:
            community_id = int(community_id) if community_id else None
        except ValueError:
            raise Http404 from None
        return compliance_matrix(user=request.user, community_id=community_id)

    def matrix_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        matrix = self._matrix(request)
        context = {
            **self.admin_site.each_context(request),
            "title": _("合规检查总表"),
            "opts": self.opts,
            "matrix": matrix,
        }
        return TemplateResponse(request, "admin/core/compliance_matrix.html", context)

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        from core.exports import compliance_matrix_xlsx

        return compliance_matrix_xlsx(self._matrix(request))

    def run_view(self, request):
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:core_compliancefinding_matrix"))
        if not self.has_view_permission(request):
            raise PermissionDenied
        from core.scoping import scope_for

        scope = scope_for(request.user)
        ids = None if scope.everything else list(scope.community_ids)
        count = services.compliance_run(community_ids=ids)
        self.message_user(request, _("已完成检查，生成 %(n)s 条结果") % {"n": count})
        return HttpResponseRedirect(reverse("admin:core_compliancefinding_matrix"))


@admin.register(Reminder)
class ReminderAdmin(ScopedModelAdmin):
    """Reminders made by the periodic sweeps (core.reminders): read-only. The one change a
    user makes is marking reminders done, through the service (the action below)."""

    list_display = (
        "title",
        "rule_id",
        "community",
        "worker",
        "period",
        "due_on",
        "status",
        "created_at",
        "closed_at",
        "closed_by",
    )
    list_filter = (
        "status",
        "kind",
        "rule_id",
        ("community", admin.RelatedOnlyFieldListFilter),  # only communities in scope
    )
    search_fields = ("title",)
    list_select_related = ("community", "worker", "closed_by")
    readonly_fields = [f.name for f in Reminder._meta.fields]
    actions = ["mark_done"]

    def has_add_permission(self, request):
        return False  # only sweeps create reminders

    def has_delete_permission(self, request, obj=None):
        return False  # a deleted reminder would come back at the next sweep

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            raise PermissionDenied  # nothing to edit: use the action
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.action(description=gettext_lazy("标记为已办结"), permissions=["change"])
    def mark_done(self, request, queryset):
        from core.reminders import CLOSE_PERM, reminder_close

        closed = 0
        for reminder in queryset.filter(status=ReminderStatus.OPEN):
            if can(request.user, CLOSE_PERM, reminder):
                reminder_close(user=request.user, reminder=reminder)
                closed += 1
        self.message_user(request, _("已将 %(n)s 条提醒标记为已办结") % {"n": closed})


@admin.register(TaskHeartbeat)
class TaskHeartbeatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The schedule of periodic tasks with their last run; overdue ones are flagged."""

    change_list_template = "admin/core/taskheartbeat/schedule.html"

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and (
            request.user.is_superuser or can(request.user, "core.view_taskheartbeat")
        )

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("定时任务运行状态"),
            "opts": self.opts,
            "rows": schedule_status(),
        }
        return TemplateResponse(request, self.change_list_template, context)


def schedule_status(now: dt.datetime | None = None):
    """Each beat entry with its last success and whether it is overdue."""
    now = now or timezone.now()
    beats = {h.task_name: h for h in TaskHeartbeat.objects.all()}
    rows = []
    for name, entry in BEAT_SCHEDULE.items():
        task = entry["task"]
        beat = beats.get(task)
        max_hours = MAX_INTERVAL_HOURS.get(task, 26)
        last = beat.last_success_at if beat else None
        overdue = last is None or now - last > dt.timedelta(hours=max_hours)
        rows.append(
            {
                "name": name,
                "task": task,
                "schedule": str(entry["schedule"]),
                "last_success": last,
                "last_error_at": beat.last_error_at if beat else None,
                "last_error": (beat.last_error.splitlines() or [""])[-1] if beat else "",
                "runs": beat.runs if beat else 0,
                "max_hours": max_hours,
                "overdue": overdue,
            }
        )
    return rows


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class ScopedUserAdmin(DjangoUserAdmin):
    """Street administrators manage the accounts of their own street; superusers all."""

    list_display = ("username", "last_name", "first_name", "is_staff", "is_active", "roles")

    def get_queryset(self, request):
        qs = super().get_queryset(request).annotate(n_roles=Count("role_assignments"))
        if request.user.is_superuser:
            return qs
        from core.scoping import scope_for

        scope = scope_for(request.user)
        in_scope = Q(role_assignments__community_id__in=scope.community_ids) | Q(
            role_assignments__street_id__in=scope.street_ids
        )
        return qs.filter(in_scope | Q(n_roles=0), is_superuser=False).distinct()

    @admin.display(description=gettext_lazy("角色"))
    def roles(self, obj):
        return obj.n_roles

    def _street_admin(self, request):
        return request.user.is_superuser or can(request.user, "core.add_roleassignment")

    def has_view_permission(self, request, obj=None):
        return self._street_admin(request)

    def has_change_permission(self, request, obj=None):
        return self._street_admin(request)

    def has_add_permission(self, request):
        return self._street_admin(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return ()
        # Only superusers grant superuser, staff or model permissions; roles do the rest.
        return ("is_superuser", "is_staff", "groups", "user_permissions", "last_login")


__all__ = ["ScopedModelAdmin", "FindingStatus"]
