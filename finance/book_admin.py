"""Admin of the books (issue #6): the journals with their running balance and Excel export
(FIN-11), the monthly reconciliation and its street review (FIN-11/FIN-7), the quarterly
statement with stamp / publish / correct (FIN-7). Imported by finance/admin.py; every write
calls finance.services."""

import datetime as dt

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms.models import construct_instance
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.models import Community
from core.admin import ScopedModelAdmin
from core.scoping import can, scoped
from finance import exports, selectors, services
from finance.models import (
    Book,
    ExpenseCategory,
    IncomeKind,
    JournalEntry,
    MonthlyReconciliation,
    QuarterlyStatement,
    StatementState,
)

JOURNAL_PER_PAGE = 100


def _errors(model_admin, request, exc):
    from django.contrib import messages

    for message in getattr(exc, "messages", None) or [str(exc) or _("没有权限")]:
        model_admin.message_user(request, message, messages.ERROR)


class ReadOnlyAfterSave:
    """Rows the services write once and never change."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAfterSave, ScopedModelAdmin):
    """FIN-11: the journal lines the services wrote; the journal page shows one book with
    its running balance and exports it."""

    list_display = ("entry_date", "community", "book", "kind", "summary", "direction", "amount")
    list_filter = ("book", "kind", "direction", ("community", admin.RelatedOnlyFieldListFilter))
    search_fields = ("summary", "counterparty")
    date_hierarchy = "entry_date"
    list_select_related = ("community",)
    change_list_template = "admin/finance/journalentry/change_list.html"

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("book/", wrap(self.journal_view), name="finance_journalentry_book"),
            path(
                "book/export/", wrap(self.journal_export_view), name="finance_journalentry_export"
            ),
        ] + super().get_urls()

    def _journal(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        communities = scoped(Community.objects.all(), request.user).order_by("name")
        try:
            community_id = int(request.GET.get("community") or 0)
            date_from = _date(request.GET.get("date_from"))
            date_to = _date(request.GET.get("date_to"))
        except ValueError:
            raise Http404 from None
        book = request.GET.get("book") or Book.CASH
        if book not in Book.values:
            raise Http404
        community = communities.filter(pk=community_id).first() if community_id else None
        if community_id and community is None:
            raise Http404
        journal = None
        if community is not None:
            journal = selectors.journal(
                community=community, book=book, date_from=date_from, date_to=date_to
            )
        return communities, journal, book

    def journal_view(self, request):
        communities, journal, book = self._journal(request)
        page = None
        if journal is not None:
            page = Paginator(journal.rows, JOURNAL_PER_PAGE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            **self.admin_site.each_context(request),
            "title": _("现金及银行存款日记账（FIN-11）"),
            "opts": self.opts,
            "communities": communities,
            "journal": journal,
            "page": page,
            "book": book,
            "books": Book.choices,
            "query": query.urlencode(),
            "params": request.GET,
        }
        return TemplateResponse(request, "admin/finance/journalentry/book.html", context)

    def journal_export_view(self, request):
        _communities, journal, _book = self._journal(request)
        if journal is None:
            raise Http404
        return exports.journal_xlsx(journal)


def _labelled(items: dict, choices):
    return [(choices(k).label if k in choices.values else k, v) for k, v in items.items()]


def _date(value):
    return dt.date.fromisoformat(value) if value else None


class ReconciliationForm(forms.ModelForm):
    class Meta:
        model = MonthlyReconciliation
        fields = ("community", "month", "counted_cash", "bank_statement", "explanation")


@admin.register(MonthlyReconciliation)
class MonthlyReconciliationAdmin(ScopedModelAdmin):
    """FIN-11: the month-end book balances come from the journals; FIN-7: reviewed monthly
    by the street supervision committee (action)."""

    form = ReconciliationForm
    list_display = (
        "month",
        "community",
        "book_cash",
        "counted_cash",
        "cash_difference",
        "book_bank",
        "bank_statement",
        "bank_difference",
        "reviewed_at",
    )
    list_filter = ("month", ("community", admin.RelatedOnlyFieldListFilter))
    search_fields = ("community__name", "explanation")
    list_select_related = ("community",)
    actions = ("review_selected",)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ReconciliationForm.Meta.fields
        return [f.name for f in MonthlyReconciliation._meta.fields if f.name != "id"]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request):
        return can(request.user, "finance.review_monthlyreconciliation")

    def save_model(self, request, obj, form, change):
        row = services.reconciliation_record(
            user=request.user,
            community=obj.community,
            month=obj.month,
            counted_cash=obj.counted_cash,
            bank_statement=obj.bank_statement,
            explanation=obj.explanation,
        )
        obj.pk = row.pk

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        class Form(form):
            def _post_clean(self):
                # The book figures are computed by the service: only copy the typed-in
                # fields onto the instance, without the model's validation of the rest.
                construct_instance(self, self.instance, self._meta.fields)

        return Form

    @admin.action(description=gettext_lazy("监管会月度审核（FIN-7）"), permissions=["review"])
    def review_selected(self, request, queryset):
        for row in queryset:
            try:
                services.reconciliation_review(user=request.user, reconciliation=row)
            except (ValidationError, PermissionDenied) as exc:
                _errors(self, request, exc)
            else:
                self.message_user(request, _("已审核：%(r)s") % {"r": row})


class StatementForm(forms.ModelForm):
    class Meta:
        model = QuarterlyStatement
        fields = ("community", "year", "quarter")

    def _post_clean(self):
        # Generated by the service (figures, version, state): only copy the choice.
        construct_instance(self, self.instance, self._meta.fields)


STATEMENT_ACTIONS = {
    "generate": gettext_lazy("已重新生成"),
    "stamp": gettext_lazy("已审核签章"),
    "publish": gettext_lazy("已公布"),
    "correct": gettext_lazy("已生成更正版本"),
}


@admin.register(QuarterlyStatement)
class QuarterlyStatementAdmin(ScopedModelAdmin):
    """FIN-7: adding one generates it from the journals; the change page carries the
    stamp / publish / correct buttons and the Excel export."""

    form = StatementForm
    list_display = (
        "community",
        "year",
        "quarter",
        "version",
        "state",
        "income_total",
        "expense_total",
        "closing_balance",
        "stamped_on",
        "published_on",
    )
    list_filter = ("year", "quarter", "state", ("community", admin.RelatedOnlyFieldListFilter))
    search_fields = ("community__name",)
    list_select_related = ("community",)
    change_form_template = "admin/finance/quarterlystatement/change_form.html"

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("community", "year", "quarter")
        return (
            "community",
            "year",
            "quarter",
            "version",
            "state",
            "opening_balance",
            "income_total",
            "expense_total",
            "closing_balance",
            "generated_at",
            "generated_by",
            "stamped_on",
            "stamped_by",
            "published_on",
            "published_by",
            "supersedes",
            "correction_reason",
            "diff",
        )

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        statement = services.statement_generate(
            user=request.user, community=obj.community, year=obj.year, quarter=obj.quarter
        )
        obj.pk = statement.pk

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/export/",
                wrap(self.export_view),
                name="finance_quarterlystatement_export",
            ),
            path(
                "<path:object_id>/transition/<str:name>/",
                wrap(self.transition_view),
                name="finance_quarterlystatement_transition",
            ),
        ] + super().get_urls()

    def _visible(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        return obj

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra = dict(extra_context or {})
        if obj is not None:
            user = request.user
            street = services.street_perm(
                user, "finance.stamp_quarterlystatement", obj.community.street_id
            )
            extra["statement_buttons"] = [
                name
                for name, allowed in (
                    (
                        "generate",
                        obj.state == StatementState.DRAFT
                        and can(user, "finance.add_quarterlystatement", obj),
                    ),
                    ("stamp", obj.state == StatementState.DRAFT and street),
                    (
                        "publish",
                        obj.state == StatementState.STAMPED
                        and can(user, "finance.publish_quarterlystatement", obj),
                    ),
                    (
                        "correct",
                        obj.state == StatementState.PUBLISHED
                        and can(user, "finance.add_quarterlystatement", obj),
                    ),
                )
                if allowed
            ]
            extra["totals"] = obj.totals
            extra["income_rows"] = _labelled(obj.totals.get("income", {}), IncomeKind)
            extra["expense_rows"] = _labelled(obj.totals.get("expense", {}), ExpenseCategory)
            extra["earmark_rows"] = _labelled(obj.totals.get("earmarked", {}), ExpenseCategory)
            extra["in_kind_rows"] = _labelled(obj.totals.get("in_kind", {}), ExpenseCategory)
        return super().change_view(request, object_id, form_url, extra)

    def transition_view(self, request, object_id, name):
        statement = self._visible(request, object_id)
        url = reverse("admin:finance_quarterlystatement_change", args=[statement.pk])
        if request.method != "POST" or name not in STATEMENT_ACTIONS:
            return HttpResponseRedirect(url)
        user = request.user
        try:
            if name == "generate":
                result = services.statement_generate(
                    user=user,
                    community=statement.community,
                    year=statement.year,
                    quarter=statement.quarter,
                )
            elif name == "stamp":
                result = services.statement_stamp(
                    user=user, statement=statement, stamped_on=_date(request.POST.get("on"))
                )
            elif name == "publish":
                result = services.statement_publish(
                    user=user, statement=statement, published_on=_date(request.POST.get("on"))
                )
            else:
                result = services.statement_correct(
                    user=user, statement=statement, reason=request.POST.get("reason", "")
                )
        except (ValidationError, PermissionDenied, ValueError) as exc:
            _errors(self, request, exc)
            return HttpResponseRedirect(url)
        self.message_user(request, STATEMENT_ACTIONS[name])
        return HttpResponseRedirect(
            reverse("admin:finance_quarterlystatement_change", args=[result.pk])
        )

    def export_view(self, request, object_id):
        return exports.statement_xlsx(self._visible(request, object_id))
