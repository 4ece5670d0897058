"""The receipt register in the worker portal (/portal/finance/receipts/, FIN-11 票据收、缴、
存): the community's batches with their stock, each batch's numbers, and the accountant's
and cashier's forms to record a batch, issue, void and hand in. Thin views: every write
calls finance.services; another community's batch is 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.scoping import can
from finance import exports, register_selectors, services
from finance.register_forms import BatchForm, HandInForm, IssueForm, VoidForm

PER_PAGE = 20


def _may_view(user):
    if not can(user, "finance.view_receiptbatch"):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def receipts(request):
    """The batches the user may see with issued, voided, handed-in and stock counts."""
    user = request.user
    _may_view(user)
    may_receive = can(user, "finance.add_receiptbatch")
    form = BatchForm(user=user) if may_receive else None
    if request.method == "POST":
        if not may_receive:
            raise PermissionDenied
        form = BatchForm(request.POST, user=user)
        if form.is_valid():
            if not form.claim_token(user):
                messages.info(request, _("该表单已经提交过，未重复保存。"))
                return redirect("finance:receipts")
            try:
                batch = services.receipt_batch_receive(user=user, instance=form.instance)
            except ValidationError as exc:
                form.release_token(user)
                form.instance.pk = None
                form.add_service_errors(exc)
            else:
                messages.success(request, _("已登记领用票据：%(b)s") % {"b": batch})
                return redirect("finance:receipt_batch", pk=batch.pk)
    rows = register_selectors.batch_rows(user=user)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    status = 400 if form is not None and form.errors else 200
    context = {"page": page, "form": form}
    return render(request, "portal/finance/receipts.html", context, status=status)


def _batch_context(request, batch, **forms):
    may_act = can(request.user, "finance.add_receipt", batch)
    context = {
        "batch": batch,
        "lines": register_selectors.register_lines(batch),
        "may_act": may_act,
        "next_number": services.batch_next_number(batch),
    }
    if may_act:
        context["issue_form"] = forms.get("issue_form") or IssueForm(batch=batch)
        context["void_form"] = forms.get("void_form") or VoidForm()
        context["hand_in_form"] = forms.get("hand_in_form") or HandInForm()
    return context


@login_required
def receipt_batch(request, pk):
    _may_view(request.user)
    batch = register_selectors.batch_get(user=request.user, pk=pk)
    return render(request, "portal/finance/receipt_batch.html", _batch_context(request, batch))


def _act(request, pk, form, key, run):
    batch = register_selectors.batch_get(user=request.user, pk=pk)
    if form.is_valid():
        if not form.claim_token(request.user):
            messages.info(request, _("该操作已经提交过，未重复办理。"))
            return redirect("finance:receipt_batch", pk=batch.pk)
        try:
            data = {k: v for k, v in form.cleaned_data.items() if k != "token"}
            text = run(batch, data)
        except (ValidationError, PermissionDenied) as exc:
            form.release_token(request.user)
            if isinstance(exc, PermissionDenied):
                exc = ValidationError(str(exc) or _("您没有执行此操作的权限"))
            form.add_service_errors(exc)
        else:
            messages.success(request, text)
            return redirect("finance:receipt_batch", pk=batch.pk)
    context = _batch_context(request, batch, **{key: form})
    return render(request, "portal/finance/receipt_batch.html", context, status=400)


@login_required
@require_POST
def receipt_issue(request, pk):
    batch = register_selectors.batch_get(user=request.user, pk=pk)

    def run(batch, data):
        receipt = services.receipt_issue(user=request.user, batch=batch, **data)
        return _("已开具收据 %(no)s") % {"no": receipt.label}

    return _act(request, pk, IssueForm(request.POST, batch=batch), "issue_form", run)


@login_required
@require_POST
def receipt_void(request, pk):
    def run(batch, data):
        receipt = services.receipt_void(
            user=request.user, batch=batch, number=data["number"], reason=data["void_reason"]
        )
        return _("票号 %(no)s 已作废") % {"no": receipt.label}

    return _act(request, pk, VoidForm(request.POST), "void_form", run)


@login_required
@require_POST
def receipt_hand_in(request, pk):
    def run(batch, data):
        row = services.receipt_hand_in(user=request.user, batch=batch, **data)
        return _("已缴销 %(n)s 份") % {"n": row.count}

    return _act(request, pk, HandInForm(request.POST), "hand_in_form", run)


@login_required
def receipts_export(request):
    """The register of every batch the user may see as Excel (?community= to narrow)."""
    _may_view(request.user)
    rows = register_selectors.batch_rows(user=request.user)
    community = request.GET.get("community")
    if community:
        if not community.isdigit():
            raise PermissionDenied
        rows = rows.filter(community_id=int(community))
    return exports.receipt_register_xlsx(rows, register_selectors.register_lines)
