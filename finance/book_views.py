"""The books in the worker portal (/portal/finance/books/, FIN-11) for the community's
accountant and cashier: the month's cash and bank journals (finance.selectors.journal),
a cash deposit or withdrawal (services.cash_move) and the monthly reconciliation
(services.reconciliation_record). Thin views; another community is 404 on every URL."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities.models import Community
from core.scoping import can, scope_for, scoped
from finance import rules, selectors, services
from finance.book_forms import CashMoveForm, ReconciliationForm
from finance.models import Book, MonthlyReconciliation

VIEW_PERM = "finance.view_journalentry"
MOVE_PERM = "finance.add_journalentry"
RECONCILE_PERM = "finance.add_monthlyreconciliation"


def _book_communities(user):
    scope = scope_for(user)
    qs = scoped(Community.objects.all(), user).order_by("name")
    if scope.everything:
        return qs
    ids = [cid for cid, perms in scope.perms_by_community.items() if VIEW_PERM in perms]
    return qs.filter(pk__in=ids)


def _community(request, pk) -> Community:
    community = get_object_or_404(scoped(Community.objects.all(), request.user), pk=pk)
    if not can(request.user, VIEW_PERM, community):
        raise PermissionDenied
    return community


def _month(request) -> dt.date:
    try:
        return dt.datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
    except ValueError:
        return rules.month_first(timezone.localdate())


@login_required
def books_index(request):
    """The communities whose books the user may read; straight to the one if only one."""
    communities = list(_book_communities(request.user))
    if not communities:
        raise PermissionDenied
    if len(communities) == 1:
        return redirect("finance:books", pk=communities[0].pk)
    return render(request, "portal/finance/books_index.html", {"communities": communities})


def _render(request, community, month, *, status=200, **forms):
    user = request.user
    first, last = rules.month_first(month), rules.month_end(month)
    may_move = can(user, MOVE_PERM, community)
    may_reconcile = can(user, RECONCILE_PERM, community)
    context = {
        "community": community,
        "month": first,
        "previous": rules.month_first(first - dt.timedelta(days=1)),
        "next": last + dt.timedelta(days=1),
        "cash": selectors.journal(
            community=community, book=Book.CASH, date_from=first, date_to=last
        ),
        "bank": selectors.journal(
            community=community, book=Book.BANK, date_from=first, date_to=last
        ),
        "reconciliation": MonthlyReconciliation.objects.filter(community=community, month=first)
        .select_related("reconciled_by", "reviewed_by")
        .first(),
        "move_form": None,
        "reconcile_form": None,
    }
    if may_move:
        context["move_form"] = forms.get("move_form") or CashMoveForm()
    if may_reconcile:
        context["reconcile_form"] = forms.get("reconcile_form") or ReconciliationForm(
            initial={"month": first}
        )
    return render(request, "portal/finance/books.html", context, status=status)


@login_required
def books(request, pk):
    community = _community(request, pk)
    return _render(request, community, _month(request))


def _post(request, pk, perm, form_class, key, run):
    """One write on the books: token, service, PRG; refusals next to their fields (400)."""
    community = _community(request, pk)
    if not can(request.user, perm, community):
        raise PermissionDenied
    form = form_class(request.POST)
    month = _month(request)
    if form.is_valid():
        if not form.claim_token(request.user):
            messages.info(request, _("该表单已经提交过，未重复保存。"))
            return redirect(reverse("finance:books", args=[community.pk]))
        try:
            text, month = run(community, form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            form.release_token(request.user)
            if isinstance(exc, PermissionDenied):
                exc = ValidationError(str(exc) or _("您没有执行此操作的权限"))
            form.add_service_errors(exc, default_field="amount" if key == "move_form" else None)
        else:
            messages.success(request, text)
            url = reverse("finance:books", args=[community.pk])
            return redirect(f"{url}?month={month:%Y-%m}")
    return _render(request, community, month, status=400, **{key: form})


@login_required
@require_POST
def cash_move(request, pk):
    def run(community, data):
        withdraw = data["direction"] == "withdraw"
        entries = services.cash_move(
            user=request.user,
            community=community,
            withdraw=withdraw,
            amount=data["amount"],
            on=data["on"],
            note=data["note"],
        )
        text = _("已提取现金 %(a)s 元") if withdraw else _("已将现金 %(a)s 元存入银行")
        return text % {"a": entries[0].amount}, entries[0].entry_date

    return _post(request, pk, MOVE_PERM, CashMoveForm, "move_form", run)


@login_required
@require_POST
def reconcile(request, pk):
    def run(community, data):
        row = services.reconciliation_record(
            user=request.user,
            community=community,
            month=data["month"],
            counted_cash=data["counted_cash"],
            bank_statement=data["bank_statement"],
            explanation=data["explanation"],
        )
        return _("已保存 %(m)s 月度对账") % {"m": f"{row.month:%Y-%m}"}, row.month

    return _post(request, pk, RECONCILE_PERM, ReconciliationForm, "reconcile_form", run)
