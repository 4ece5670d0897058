"""Admin of the finance chapter (issue #6), in Chinese. Every model admin is a
ScopedModelAdmin (scoped rows, per-community permissions, 404 for other communities) and
every write calls finance.services. Claims, the approval inbox and the collective review
are in finance/claim_admin.py."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.models import Street
from core.admin import ScopedModelAdmin
from core.scoping import can, scope_for
from finance import exports, selectors, services
from finance.book_admin import JournalEntryAdmin  # noqa: F401  (registers the books)
from finance.claim_admin import ExpenseClaimAdmin  # noqa: F401  (registers it)
from finance.models import (
    Account,
    AllowanceStandard,
    Budget,
    BudgetLine,
    BudgetState,
    FundingAllocation,
    Income,
)
from finance.register_admin import ReceiptBatchAdmin  # noqa: F401  (registers the register)


def _errors(model_admin, request, exc):
    for message in getattr(exc, "messages", None) or [str(exc) or _("没有权限")]:
        model_admin.message_user(request, message, messages.ERROR)


class ReadOnlyAfterSave:
    """Rows that the services write once and never change (incomes, funding, journals)."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ScopedModelAdmin):
    save_service = staticmethod(services.account_save)
    list_display = (
        "community",
        "bank_name",
        "account_name",
        "masked_no",
        "opened_on",
        "managed_by",
    )
    list_filter = (("community", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("community__name", "bank_name", "account_name")
    list_select_related = ("community",)

    @admin.display(description=gettext_lazy("账号"))
    def masked_no(self, obj):
        return obj.account_no_masked


@admin.register(FundingAllocation)
class FundingAllocationAdmin(ReadOnlyAfterSave, ScopedModelAdmin):
    """FIN-1: adding one computes the year's fund from the community's profile and books it
    as the city's and the street's incomes (services.funding_allocate)."""

    list_display = (
        "community",
        "year",
        "basis",
        "households",
        "total",
        "city_share",
        "street_share",
        "received_on",
    )
    list_filter = ("year", "basis", ("community", admin.RelatedOnlyFieldListFilter))
    search_fields = ("community__name",)
    list_select_related = ("community",)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("community", "year", "received_on")
        return [f.name for f in FundingAllocation._meta.fields if f.name != "id"]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def get_changeform_initial_data(self, request):
        return {"year": timezone.localdate().year, "received_on": timezone.localdate()}

    def save_model(self, request, obj, form, change):
        allocation = services.funding_allocate(
            user=request.user, community=obj.community, year=obj.year, received_on=obj.received_on
        )
        obj.pk = allocation.pk


class BudgetLineForm(forms.ModelForm):
    class Meta:
        model = BudgetLine
        fields = ("category", "name", "amount", "explanation")

    user = None

    def _post_clean(self):
        super()._post_clean()
        if not self.errors and self.has_changed():
            try:
                services.budget_line_validate(user=self.user, instance=self.instance)
            except ValidationError as exc:
                self._update_errors(exc)


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    form = BudgetLineForm
    fields = ("category", "name", "amount", "explanation")
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.user = request.user
        return formset

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.state != BudgetState.DRAFT:
            return ("category", "name", "amount")  # FIN-6: only the explanation after approval
        return ()

    def has_add_permission(self, request, obj=None):
        return obj is None or obj.state == BudgetState.DRAFT

    def has_delete_permission(self, request, obj=None):
        return obj is not None and obj.state == BudgetState.DRAFT

    def has_change_permission(self, request, obj=None):
        return can(request.user, "finance.change_budgetline", obj)

    def has_view_permission(self, request, obj=None):
        return can(request.user, "finance.view_budgetline", obj)


@admin.register(Budget)
class BudgetAdmin(ScopedModelAdmin):
    save_service = staticmethod(services.budget_save)
    delete_service = staticmethod(services.budget_delete)
    inlines = (BudgetLineInline,)
    list_display = ("community", "year", "state", "approved_at", "approved_by")
    list_filter = ("year", "state", ("community", admin.RelatedOnlyFieldListFilter))
    search_fields = ("community__name", "note")
    list_select_related = ("community", "approved_by")
    readonly_fields = ("state", "approved_at", "approved_by")
    actions = ("approve_selected",)
    change_list_template = "admin/finance/budget/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ("community", "year", *self.readonly_fields)
        return self.readonly_fields

    def has_approve_permission(self, request):
        return can(request.user, "finance.approve_budget")

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.state != BudgetState.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def save_formset(self, request, form, formset, change):
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for line_form in formset.forms:
            line = line_form.instance
            if line_form in formset.deleted_forms:
                if line.pk:
                    services.budget_line_delete(user=request.user, instance=line)
                    formset.deleted_objects.append(line)
                continue
            if not line_form.has_changed():
                continue
            line.budget = form.instance
            services.budget_line_save(user=request.user, instance=line)
            (formset.changed_objects if change else formset.new_objects).append(line)

    @admin.action(description=gettext_lazy("批准所选预算（街道）"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        for budget in queryset:
            try:
                services.budget_approve(user=request.user, budget=budget)
            except (ValidationError, PermissionDenied) as exc:
                _errors(self, request, exc)
            else:
                self.message_user(request, _("已批准：%(b)s") % {"b": budget})

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("execution/", wrap(self.execution_view), name="finance_budget_execution"),
            path(
                "execution/export/",
                wrap(self.execution_export_view),
                name="finance_budget_execution_export",
            ),
        ] + super().get_urls()

    def _execution(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            year = int(request.GET.get("year") or timezone.localdate().year)
            community = request.GET.get("community")
            community = int(community) if community else None
        except ValueError:
            raise Http404 from None
        return year, selectors.budget_execution(
            user=request.user, year=year, community_id=community
        )

    def execution_view(self, request):
        year, rows = self._execution(request)
        context = {
            **self.admin_site.each_context(request),
            "title": _("%(year)s 年度预算执行情况（FIN-6）") % {"year": year},
            "opts": self.opts,
            "rows": rows,
            "year": year,
            "query": request.GET.urlencode(),
        }
        return TemplateResponse(request, "admin/finance/budget/execution.html", context)

    def execution_export_view(self, request):
        year, rows = self._execution(request)
        return exports.budget_execution_xlsx(rows, year)


@admin.register(AllowanceStandard)
class AllowanceStandardAdmin(ScopedModelAdmin):
    """FIN-9: street data; changed only by street roles of that street."""

    save_service = staticmethod(services.allowance_standard_save)
    delete_service = staticmethod(services.allowance_standard_delete)
    validate_service = staticmethod(services.allowance_standard_validate)
    list_display = ("street", "year", "kind", "amount", "source")
    list_filter = ("year", "kind")
    search_fields = ("street__name", "source")
    list_select_related = ("street",)

    def get_queryset(self, request):
        return selectors.allowance_standard_list(user=request.user)

    def _streets(self, request, action):
        scope = scope_for(request.user)
        if scope.everything:
            return None
        perm = self._perm(action)
        return {sid for sid, perms in scope.perms_by_street.items() if perm in perms}

    def _may(self, request, action, obj):
        streets = self._streets(request, action)
        if streets is None:
            return True
        return bool(streets) if obj is None else obj.street_id in streets

    def has_view_permission(self, request, obj=None):
        scope = scope_for(request.user)
        if not can(request.user, self._perm("view")):
            return False
        return obj is None or scope.everything or obj.street_id in scope.street_ids

    def has_add_permission(self, request):
        return self._may(request, "add", None)

    def has_change_permission(self, request, obj=None):
        return self._may(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, "delete", obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "street":
            streets = self._streets(request, "add")
            qs = Street.objects.all()
            kwargs["queryset"] = qs if streets is None else qs.filter(pk__in=streets)
            return admin.ModelAdmin.formfield_for_foreignkey(self, db_field, request, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Income)
class IncomeAdmin(ReadOnlyAfterSave, ScopedModelAdmin):
    """FIN-5/8/10: recorded once, in full, with its journal line; never edited."""

    validate_service = staticmethod(services.income_validate)
    list_display = (
        "received_on",
        "community",
        "kind",
        "amount",
        "method",
        "source",
        "earmark_category",
        "resolution_ref",
    )
    list_filter = (
        "kind",
        "method",
        "earmark_category",
        ("community", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("source", "document_no", "earmark_purpose", "resolution_ref")
    date_hierarchy = "received_on"
    list_select_related = ("community",)
    fields = (
        "community",
        "kind",
        "amount",
        "document_amount",
        "received_on",
        "method",
        "source",
        "document_no",
        "earmark_category",
        "earmark_purpose",
        "resolution_ref",
        "note",
    )

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.fields

    def save_model(self, request, obj, form, change):
        services.income_record(user=request.user, instance=obj)
