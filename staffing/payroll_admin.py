"""Admin of the STAFF-2 payroll sheet, the wage-gap report and the street's wage and
insurance data. Imported by staffing/admin.py (kept apart so that file stays under the
conventions' ~400 lines). Thin: every write calls staffing.payroll."""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.models import Street
from core.admin import ScopedModelAdmin
from core.scoping import can, scope_for
from staffing import payroll as svc
from staffing.exports import payroll_xlsx, wage_gap_xlsx
from staffing.models import (
    PAYROLL_FROZEN,
    AverageWage,
    InsuranceRate,
    Payroll,
    PayrollLine,
    PayrollState,
)
from staffing.rules import month_first

LINE_READONLY = (
    "worker",
    "posts",
    "grade",
    "reselection_pending",
    "deduction_days",
    "deduction_amount",
    "net",
)
LINE_FIELDS = (
    "worker",
    "posts",
    "grade",
    "reselection_pending",
    "standard",
    "deduction_days",
    "deduction_amount",
    "insurance_personal",
    "insurance_unit",
    "net",
    "note",
)


class PayrollLineForm(forms.ModelForm):
    class Meta:
        model = PayrollLine
        fields = ("standard", "insurance_personal", "insurance_unit", "note")

    user = None  # set by PayrollLineInline.get_formset

    def _post_clean(self):
        super()._post_clean()
        if not self.errors and self.instance.pk and self.has_changed():
            try:
                svc.payroll_line_validate(user=self.user, instance=self.instance)
            except ValidationError as exc:
                self._update_errors(exc)


class PayrollLineInline(admin.TabularInline):
    """The lines of a sheet: editable (standard, insurance, note) while a draft, read-only
    from submission on; never added or deleted by hand (payroll_generate makes them)."""

    model = PayrollLine
    form = PayrollLineForm
    fields = LINE_FIELDS
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        # str(line) (the row label) names the sheet and its community.
        return super().get_queryset(request).select_related("worker", "payroll__community")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.user = request.user
        return formset

    def get_readonly_fields(self, request, obj=None):
        if self.has_change_permission(request, obj):
            return LINE_READONLY
        return LINE_FIELDS

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return can(request.user, "staffing.view_payrollline", obj)

    def has_change_permission(self, request, obj=None):
        # obj is the sheet: lines change only while it is a draft (STAFF-2).
        return (
            obj is not None
            and obj.state == PayrollState.DRAFT
            and can(request.user, "staffing.change_payrollline", obj)
        )


class PayrollForm(forms.ModelForm):
    class Meta:
        model = Payroll
        fields = ("community", "month", "note")

    def clean_month(self):
        month = self.cleaned_data.get("month")
        return month_first(month) if month else month


TRANSITIONS = {
    "generate": gettext_lazy("已重新生成发放明细"),
    "submit": gettext_lazy("已上报街道"),
    "approve": gettext_lazy("已审批"),
    "return": gettext_lazy("已退回社区修改"),
    "lock": gettext_lazy("已归档"),
}


@admin.register(Payroll)
class PayrollAdmin(ScopedModelAdmin):
    """Adding a sheet generates it (community + month); the change page shows its lines and
    the buttons of the transitions the user may make; the changelist links the wage-gap
    report."""

    form = PayrollForm
    save_service = staticmethod(svc.payroll_save)
    delete_service = staticmethod(svc.payroll_delete)
    validate_service = staticmethod(svc.payroll_validate)
    inlines = (PayrollLineInline,)
    list_display = (
        "community",
        "month_label",
        "state",
        "n_lines",
        "total_standard",
        "total_net",
        "submitted_at",
        "approved_at",
    )
    list_filter = (("community", admin.RelatedOnlyFieldListFilter), "state")
    date_hierarchy = "month"
    search_fields = ("community__name", "note")
    list_select_related = ("community",)
    change_form_template = "admin/staffing/payroll/change_form.html"
    change_list_template = "admin/staffing/payroll/change_list.html"
    actions = ("regenerate_selected", "submit_selected", "approve_selected")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_lines=Count("lines"),
                total_standard=Sum("lines__standard"),
                total_net=Sum("lines__net"),
            )
        )

    def get_changeform_initial_data(self, request):
        return {
            "month": month_first(timezone.localdate()),
            **super().get_changeform_initial_data(request),
        }

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("community", "month", "note")
        return (
            "community",
            "month",
            "state",
            "generated_at",
            "submitted_at",
            "submitted_by",
            "approved_at",
            "approved_by",
            "locked_at",
            "returned_reason",
            "note",
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        fields = [f for f in self.get_fields(request, obj) if f != "note"]
        if not self.has_change_permission(request, obj):
            fields.append("note")
        return fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.state != PayrollState.DRAFT:
            return False  # STAFF-2: submitted sheets wait for the street; approved never change
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.state != PayrollState.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def has_submit_permission(self, request, obj=None):
        return can(request.user, "staffing.submit_payroll", obj)

    def has_approve_permission(self, request, obj=None):
        return can(request.user, "staffing.approve_payroll", obj)

    @admin.display(description=gettext_lazy("月份"), ordering="month")
    def month_label(self, obj):
        return f"{obj.month:%Y-%m}"

    @admin.display(description=gettext_lazy("人数"), ordering="n_lines")
    def n_lines(self, obj):
        return obj.n_lines

    @admin.display(description=gettext_lazy("补贴合计（元）"), ordering="total_standard")
    def total_standard(self, obj):
        return obj.total_standard or 0

    @admin.display(description=gettext_lazy("实发合计（元）"), ordering="total_net")
    def total_net(self, obj):
        return obj.total_net or 0

    # --- saving through the services --------------------------------------------------------

    def save_formset(self, request, form, formset, change):
        if formset.model is not PayrollLine:
            return super().save_formset(request, form, formset, change)
        # What BaseModelFormSet.save() would record, for the admin's change message.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for line_form in formset.forms:
            if line_form.instance.pk and line_form.has_changed():
                svc.payroll_line_save(user=request.user, line=line_form.instance)
                formset.changed_objects.append((line_form.instance, line_form.changed_data))
        return None

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            try:
                self.delete_service(user=request.user, instance=obj)
            except ValidationError as exc:
                for message in exc.messages:
                    self.message_user(request, f"{obj}：{message}", messages.ERROR)

    # --- transitions ------------------------------------------------------------------------

    def _run(self, request, payroll, name):
        user = request.user
        if name == "generate":
            return svc.payroll_generate(user=user, community=payroll.community, month=payroll.month)
        if name == "submit":
            return svc.payroll_submit(user=user, payroll=payroll)
        if name == "approve":
            return svc.payroll_approve(user=user, payroll=payroll)
        if name == "return":
            return svc.payroll_return(user=user, payroll=payroll, reason=request.POST.get("reason"))
        if name == "lock":
            return svc.payroll_lock(user=user, payroll=payroll)
        raise Http404

    def _run_many(self, request, queryset, name):
        for payroll in queryset:
            try:
                self._run(request, payroll, name)
            except (ValidationError, PermissionDenied) as exc:
                text = " ".join(getattr(exc, "messages", None) or [str(exc)])
                self.message_user(request, f"{payroll}：{text}", messages.ERROR)
            else:
                self.message_user(request, f"{payroll}：{TRANSITIONS[name]}")

    @admin.action(description=gettext_lazy("重新生成发放明细（仅草稿）"), permissions=["change"])
    def regenerate_selected(self, request, queryset):
        self._run_many(request, queryset, "generate")

    @admin.action(description=gettext_lazy("上报街道"), permissions=["submit"])
    def submit_selected(self, request, queryset):
        self._run_many(request, queryset, "submit")

    @admin.action(description=gettext_lazy("街道审批通过"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        self._run_many(request, queryset, "approve")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("wage-gap/", wrap(self.wage_gap_view), name="staffing_payroll_wage_gap"),
            path(
                "wage-gap/export/",
                wrap(self.wage_gap_export_view),
                name="staffing_payroll_wage_gap_export",
            ),
            path(
                "<path:object_id>/export/",
                wrap(self.export_view),
                name="staffing_payroll_export",
            ),
            path(
                "<path:object_id>/transition/<str:name>/",
                wrap(self.transition_view),
                name="staffing_payroll_transition",
            ),
        ] + super().get_urls()

    def _get_visible(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_or_change_permission(request, obj):
            raise Http404
        return obj

    def transition_view(self, request, object_id, name):
        payroll = self._get_visible(request, object_id)
        url = reverse("admin:staffing_payroll_change", args=[payroll.pk])
        if request.method != "POST" or name not in TRANSITIONS:
            return HttpResponseRedirect(url)
        try:
            self._run(request, payroll, name)
        except ValidationError as exc:
            for message in exc.messages:
                self.message_user(request, message, messages.ERROR)
        else:
            self.message_user(request, TRANSITIONS[name])
        return HttpResponseRedirect(url)

    def export_view(self, request, object_id):
        payroll = self._get_visible(request, object_id)
        return payroll_xlsx(payroll)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra = dict(extra_context or {})
        if obj is not None:
            user = request.user
            draft = obj.state == PayrollState.DRAFT
            street = svc.street_perm(user, "staffing.approve_payroll", obj.community.street_id)
            extra["payroll_buttons"] = [
                name
                for name, allowed in (
                    ("generate", draft and can(user, "staffing.change_payroll", obj)),
                    ("submit", draft and can(user, "staffing.submit_payroll", obj)),
                    ("approve", obj.state == PayrollState.SUBMITTED and street),
                    ("return", obj.state == PayrollState.SUBMITTED and street),
                    ("lock", obj.state == PayrollState.APPROVED and street),
                )
                if allowed
            ]
            extra["payroll_totals"] = svc.payroll_totals(obj)
            extra["payroll_frozen"] = obj.state in PAYROLL_FROZEN
        return super().change_view(request, object_id, form_url, extra)

    # --- the wage-gap report ----------------------------------------------------------------

    def _report(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            year = int(request.GET.get("year") or timezone.localdate().year)
            community = request.GET.get("community")
            community = int(community) if community else None
        except ValueError:
            raise Http404 from None
        if not 2000 <= year <= dt.MAXYEAR - 1:
            raise Http404
        return svc.wage_gap_report(user=request.user, year=year, community_id=community)

    def wage_gap_view(self, request):
        report = self._report(request)
        context = {
            **self.admin_site.each_context(request),
            "title": _("生活补贴与上年度社会平均工资差距（STAFF-2）"),
            "opts": self.opts,
            "report": report,
            "query": request.GET.urlencode(),
        }
        return TemplateResponse(request, "admin/staffing/wage_gap.html", context)

    def wage_gap_export_view(self, request):
        return wage_gap_xlsx(self._report(request))


# --- street data ----------------------------------------------------------------------------


class StreetDataAdmin(ScopedModelAdmin):
    """Rows of a street (not of one community): listed for the streets the user reaches,
    changed only by street roles of that street (staffing.payroll.street_data_save)."""

    save_service = staticmethod(svc.street_data_save)
    delete_service = staticmethod(svc.street_data_delete)
    validate_service = staticmethod(svc.street_data_validate)
    list_select_related = ("street",)

    def get_queryset(self, request):
        return svc.street_data_list(user=request.user, model=self.model)

    def _streets_with(self, request, action):
        scope = scope_for(request.user)
        perm = self._perm(action)
        if scope.everything:
            return None  # every street
        return {sid for sid, perms in scope.perms_by_street.items() if perm in perms}

    def _may(self, request, action, obj):
        streets = self._streets_with(request, action)
        if streets is None:
            return True
        if obj is None:
            return bool(streets)
        return obj.street_id in streets

    def has_view_permission(self, request, obj=None):
        if not can(request.user, self._perm("view")):
            return False
        scope = scope_for(request.user)
        return obj is None or scope.everything or obj.street_id in scope.street_ids

    def has_add_permission(self, request):
        return self._may(request, "add", None)

    def has_change_permission(self, request, obj=None):
        return self._may(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, "delete", obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "street":
            streets = self._streets_with(request, "add")
            qs = Street.objects.all()
            kwargs["queryset"] = qs if streets is None else qs.filter(pk__in=streets)
            return admin.ModelAdmin.formfield_for_foreignkey(self, db_field, request, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(AverageWage)
class AverageWageAdmin(StreetDataAdmin):
    list_display = ("street", "year", "monthly_amount", "source")
    list_filter = ("year",)
    search_fields = ("street__name", "source")


@admin.register(InsuranceRate)
class InsuranceRateAdmin(StreetDataAdmin):
    list_display = ("street", "year", "base", "personal_pct", "unit_pct", "source")
    list_filter = ("year",)
    search_fields = ("street__name", "source")
