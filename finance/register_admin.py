"""Admin of the receipt-form register (FIN-11 票据收、缴、存), in-kind donations (FIN-5) and
paid services (FIN-8). Street staff see every community of their street (ScopedModelAdmin);
every write calls finance.services. Imported by finance/admin.py."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from core.admin import ScopedModelAdmin
from core.scoping import can
from core.services import instance_delete
from finance import exports, register_selectors, services
from finance.models import (
    InKindDistribution,
    InKindDonation,
    PaidService,
    PaidServiceRate,
    Receipt,
    ReceiptBatch,
    ReceiptHandIn,
)


class WrittenOnce:
    """Rows the services write once and never change."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReceiptInline(admin.TabularInline):
    model = Receipt
    fields = ("number", "state", "issued_on", "payer", "amount", "purpose", "income", "void_reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("income", "batch")


class HandInInline(ReceiptInline):
    model = ReceiptHandIn
    fields = ("first_no", "last_no", "handed_on", "handed_to", "handed_by", "note")
    readonly_fields = fields

    def get_queryset(self, request):
        return admin.TabularInline.get_queryset(self, request).select_related("handed_by")


@admin.register(ReceiptBatch)
class ReceiptBatchAdmin(WrittenOnce, ScopedModelAdmin):
    """FIN-11 收: batches received from the street with what was issued, voided, handed in
    and the stock; the numbers themselves are issued in the worker portal or the API."""

    validate_service = staticmethod(services.receipt_batch_validate)
    list_display = (
        "community",
        "first_label",
        "last_label",
        "received_on",
        "source",
        "issued",
        "voided",
        "handed_in",
        "stock",
    )
    list_filter = ("received_on", ("community", admin.RelatedOnlyFieldListFilter))
    search_fields = ("community__name", "series", "source")
    fields = ("community", "series", "first_no", "last_no", "received_on", "source", "note")
    inlines = (ReceiptInline, HandInInline)
    actions = ("export_register",)

    def get_queryset(self, request):
        return register_selectors.batch_rows(user=request.user)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.fields

    def get_inlines(self, request, obj):
        return () if obj is None else self.inlines

    @admin.display(description=gettext_lazy("起始号码"), ordering="first_no")
    def first_label(self, obj):
        return obj.label(obj.first_no)

    @admin.display(description=gettext_lazy("终止号码"), ordering="last_no")
    def last_label(self, obj):
        return obj.label(obj.last_no)

    @admin.display(description=gettext_lazy("已开具"))
    def issued(self, obj):
        return obj.issued

    @admin.display(description=gettext_lazy("已作废"))
    def voided(self, obj):
        return obj.voided

    @admin.display(description=gettext_lazy("已缴销"))
    def handed_in(self, obj):
        return obj.handed_in

    @admin.display(description=gettext_lazy("库存"))
    def stock(self, obj):
        return obj.stock

    def save_model(self, request, obj, form, change):
        services.receipt_batch_receive(user=request.user, instance=obj)

    @admin.action(description=gettext_lazy("导出所选号段的票据收缴存登记（Excel）"))
    def export_register(self, request, queryset):
        return exports.receipt_register_xlsx(queryset, register_selectors.register_lines)


@admin.register(Receipt)
class ReceiptAdmin(WrittenOnce, ScopedModelAdmin):
    list_display = ("label", "community", "state", "issued_on", "payer", "amount", "income")
    list_filter = ("state", ("community", admin.RelatedOnlyFieldListFilter))
    search_fields = ("payer", "purpose", "void_reason")
    date_hierarchy = "issued_on"
    list_select_related = ("community", "batch", "income")

    def has_add_permission(self, request):
        return False

    @admin.display(description=gettext_lazy("票号"), ordering="number")
    def label(self, obj):
        return obj.label


@admin.register(ReceiptHandIn)
class ReceiptHandInAdmin(WrittenOnce, ScopedModelAdmin):
    list_display = ("__str__", "community", "handed_on", "handed_to", "handed_by")
    list_filter = (("community", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("community", "batch", "handed_by")

    def has_add_permission(self, request):
        return False


# --- FIN-5 in-kind donations ------------------------------------------------------------------


class DistributionInline(ReceiptInline):
    model = InKindDistribution
    fields = ("distributed_on", "quantity", "value", "category", "recipient", "purpose")
    readonly_fields = fields

    def get_queryset(self, request):
        return admin.TabularInline.get_queryset(self, request)


@admin.register(InKindDonation)
class InKindDonationAdmin(WrittenOnce, ScopedModelAdmin):
    """FIN-5: goods recorded in full with their earmark; distributions are added on the
    实物发放 page (services.in_kind_distribute)."""

    validate_service = staticmethod(services.in_kind_validate)
    list_display = (
        "received_on",
        "community",
        "item",
        "quantity",
        "unit",
        "estimated_value",
        "donor",
        "earmark_category",
        "distributed_value",
        "remaining_quantity",
    )
    list_filter = ("earmark_category", ("community", admin.RelatedOnlyFieldListFilter))
    search_fields = ("item", "donor", "earmark_purpose")
    fields = (
        "community",
        "item",
        "quantity",
        "unit",
        "estimated_value",
        "donor",
        "received_on",
        "earmark_category",
        "earmark_purpose",
        "note",
    )
    inlines = (DistributionInline,)

    def get_queryset(self, request):
        return register_selectors.in_kind_rows(user=request.user)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.fields

    def get_inlines(self, request, obj):
        return () if obj is None else self.inlines

    @admin.display(description=gettext_lazy("已发放（元）"))
    def distributed_value(self, obj):
        return obj.distributed_value

    @admin.display(description=gettext_lazy("剩余数量"))
    def remaining_quantity(self, obj):
        return obj.remaining_quantity

    def save_model(self, request, obj, form, change):
        services.in_kind_record(user=request.user, instance=obj)


@admin.register(InKindDistribution)
class InKindDistributionAdmin(WrittenOnce, ScopedModelAdmin):
    """FIN-5: goods handed out for their earmark only, never more than is left."""

    list_display = ("distributed_on", "community", "donation", "quantity", "value", "recipient")
    list_filter = ("category", ("community", admin.RelatedOnlyFieldListFilter))
    search_fields = ("recipient", "purpose", "donation__item")
    list_select_related = ("community", "donation")
    fields = ("donation", "quantity", "distributed_on", "category", "recipient", "purpose")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else (*self.fields, "value")

    def save_model(self, request, obj, form, change):
        row = services.in_kind_distribute(
            user=request.user,
            donation=obj.donation,
            quantity=obj.quantity,
            recipient=obj.recipient,
            purpose=obj.purpose,
            category=obj.category,
            distributed_on=obj.distributed_on,
        )
        obj.pk = row.pk


# --- FIN-8 paid services ----------------------------------------------------------------------


class RateForm(forms.ModelForm):
    """FIN-8: a rate is checked against the standard fee typed on the same page (the
    parent form's field is in the same POST), else against the saved one."""

    class Meta:
        model = PaidServiceRate
        fields = ("group", "fee")

    def _post_clean(self):
        super()._post_clean()
        if self.errors or not self.has_changed() or self.cleaned_data.get("fee") is None:
            return
        try:
            standard = Decimal(self.data.get("standard_fee", ""))
        except InvalidOperation:
            standard = self.instance.service.standard_fee if self.instance.service_id else None
        if standard is None:
            return
        try:
            services.paid_rate_check(self.instance, standard)
        except ValidationError as exc:
            self._update_errors(exc)


class RateInline(admin.TabularInline):
    model = PaidServiceRate
    form = RateForm
    fields = ("group", "fee")
    extra = 1

    def has_add_permission(self, request, obj=None):
        return can(request.user, "finance.add_paidservicerate")

    def has_change_permission(self, request, obj=None):
        return can(request.user, "finance.change_paidservicerate", obj)

    def has_delete_permission(self, request, obj=None):
        return can(request.user, "finance.delete_paidservicerate", obj)

    def has_view_permission(self, request, obj=None):
        return can(request.user, "finance.view_paidservicerate", obj)


@admin.register(PaidService)
class PaidServiceAdmin(ScopedModelAdmin):
    """FIN-8: a paid course or activity needs an assembly resolution; preferential rates
    for vulnerable groups are at most the standard fee."""

    save_service = staticmethod(services.paid_service_save)
    validate_service = staticmethod(services.paid_service_validate)
    inlines = (RateInline,)
    list_display = (
        "name",
        "community",
        "kind",
        "standard_fee",
        "fee_unit",
        "resolution_ref",
        "starts_on",
        "ends_on",
    )
    list_filter = ("kind", ("community", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "resolution_ref")
    list_select_related = ("community",)

    def save_formset(self, request, form, formset, change):
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for rate_form in formset.forms:
            rate = rate_form.instance
            if rate_form in formset.deleted_forms:
                if rate.pk:
                    instance_delete(user=request.user, instance=rate)
                    formset.deleted_objects.append(rate)
                continue
            if not rate_form.has_changed():
                continue
            rate.service = form.instance
            services.paid_rate_save(user=request.user, instance=rate)
            formset.new_objects.append(rate)
