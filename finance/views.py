"""Finance pages of the worker portal (/portal/finance/, namespace "finance"): file an
expense claim with its invoices, follow one's claims, decide the claims waiting for one's
step, pay approved claims (cashier). Thin views over finance.selectors; every write calls
finance.services. Another community's claim is 404 on every URL."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.scoping import can, scope_for
from finance import selectors, services
from finance.forms import ActionForm, ClaimForm, CollectiveForm, DecideForm, PayForm
from finance.inbox_filters import InboxFilter
from finance.models import ApprovalStep, ClaimAttachment, ClaimState

PER_PAGE = 20
TABLE_PER_PAGE = 100  # the bulk view: many rows per page


def _can_pay_somewhere(user) -> bool:
    scope = scope_for(user)
    return scope.everything or any(
        "finance.pay_expenseclaim" in perms for perms in scope.perms_by_community.values()
    )


@login_required
def home(request):
    """What the user can do in finance, with the counts waiting for them."""
    user = request.user
    if not can(user, "finance.view_expenseclaim"):
        raise PermissionDenied
    context = {
        "can_file": can(user, "finance.add_expenseclaim"),
        "show_inbox": not selectors.inbox_scope(user).empty,
        "show_payments": _can_pay_somewhere(user),
        "show_receipts": can(user, "finance.view_receiptbatch"),
        "show_books": can(user, "finance.add_journalentry"),
    }
    if context["show_inbox"]:
        context["inbox_count"] = selectors.approval_inbox(user=user).count()
    if context["show_payments"]:
        context["payment_count"] = selectors.payment_queue(user=user).count()
    return render(request, "portal/finance/home.html", context)


@login_required
def my_claims(request):
    rows = selectors.my_claims(user=request.user)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/finance/my_claims.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def claim_new(request):
    """File a claim with its invoices; submitted at once unless the box is unticked. All
    or nothing: a refused rule or a bad file saves nothing and shows the reason."""
    if not can(request.user, "finance.add_expenseclaim"):
        raise PermissionDenied
    if request.method == "POST":
        form = ClaimForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            if not form.claim_token(request.user):
                messages.info(request, _("该表单已经提交过，未重复保存。"))
                return redirect("finance:my_claims")
            try:
                with transaction.atomic():
                    claim = services.claim_save(user=request.user, instance=form.instance)
                    for upload in form.cleaned_data["files"]:
                        services.attachment_add(
                            user=request.user,
                            claim=claim,
                            upload=upload,
                            kind=form.cleaned_data["kind"],
                        )
                    if form.cleaned_data["submit_now"]:
                        claim = services.claim_submit(user=request.user, claim=claim)
            except ValidationError as exc:
                form.release_token(request.user)
                form.instance.pk = None
                form.add_service_errors(exc)
            else:
                text = _("报销单已提交审批") if claim.state != ClaimState.DRAFT else _("已保存草稿")
                messages.success(request, text)
                return redirect("finance:claim", pk=claim.pk)
    else:
        form = ClaimForm(user=request.user)
    return render(request, "portal/finance/claim_form.html", {"form": form})


def _claim_context(request, claim, **forms):
    user = request.user
    step = claim.next_step
    may_decide = services.may_decide(user, claim)
    context = {
        "claim": claim,
        **selectors.claim_detail(claim),
        "is_claimant": claim.claimant_id == user.pk,
        "may_decide": may_decide and step in (ApprovalStep.DIRECTOR, ApprovalStep.STREET),
        "may_review": may_decide and step == ApprovalStep.COLLECTIVE,
        "may_pay": claim.is_fully_approved
        and claim.claimant_id != user.pk
        and can(user, "finance.pay_expenseclaim", claim),
        "action_form": forms.get("action_form") or ActionForm(),
        "decide_form": forms.get("decide_form") or DecideForm(initial={"step": step}),
        "pay_form": forms.get("pay_form") or PayForm(initial={"method": claim.payment_method}),
    }
    if context["may_review"]:
        members = services.supervision_members(claim.community.street_id)
        context["collective_form"] = forms.get("collective_form") or CollectiveForm(
            members=members, initial={f"present_{user.pk}": True}
        )
    return context


@login_required
def claim(request, pk):
    obj = selectors.claim_get(user=request.user, pk=pk)
    return render(request, "portal/finance/claim.html", _claim_context(request, obj))


def _act(request, pk, form_class, run, *, form_key="action_form", **form_kwargs):
    """POST of one action on one claim: token, service, PRG; errors re-render the page."""
    obj = selectors.claim_get(user=request.user, pk=pk)
    form = form_class(request.POST, **form_kwargs)
    back = reverse("finance:claim", args=[obj.pk])
    if form.is_valid():
        if not form.claim_token(request.user):
            messages.info(request, _("该操作已经提交过，未重复办理。"))
            return redirect(back)
        try:
            text = run(obj, form)
        except (ValidationError, PermissionDenied) as exc:
            form.release_token(request.user)
            if isinstance(exc, PermissionDenied):
                exc = ValidationError(str(exc) or _("您没有执行此操作的权限"))
            form.add_service_errors(exc)
            # Shown above the page too: the form may not be on it (a refused role).
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, text)
            return redirect(back)
    obj = selectors.claim_get(user=request.user, pk=pk)
    context = _claim_context(request, obj, **{form_key: form})
    return render(request, "portal/finance/claim.html", context, status=400)


@login_required
@require_POST
def claim_submit(request, pk):
    def run(obj, form):
        services.claim_submit(user=request.user, claim=obj)
        return _("报销单已提交审批")

    return _act(request, pk, ActionForm, run)


@login_required
@require_POST
def claim_withdraw(request, pk):
    def run(obj, form):
        services.claim_withdraw(user=request.user, claim=obj)
        return _("报销单已撤回")

    return _act(request, pk, ActionForm, run)


@login_required
@require_POST
def claim_decide(request, pk):
    def run(obj, form):
        data = form.cleaned_data
        if data["decision"] == "approve":
            services.claim_approve(
                user=request.user, claim=obj, step=data["step"], comment=data["comment"]
            )
            return _("已同意")
        services.claim_reject(
            user=request.user, claim=obj, step=data["step"], reason=data["comment"]
        )
        return _("已驳回")

    return _act(request, pk, DecideForm, run, form_key="decide_form")


@login_required
@require_POST
def claim_collective(request, pk):
    obj = selectors.claim_get(user=request.user, pk=pk)
    members = list(services.supervision_members(obj.community.street_id))

    def run(obj, form):
        services.claim_review_collective(
            user=request.user, claim=obj, votes=form.votes(), comment=form.cleaned_data["comment"]
        )
        return _("已记录集体审议结果")

    return _act(request, pk, CollectiveForm, run, form_key="collective_form", members=members)


@login_required
@require_POST
def claim_pay(request, pk):
    def run(obj, form):
        data = form.cleaned_data
        payment = services.claim_pay(
            user=request.user,
            claim=obj,
            amount=data["amount"],
            method=data["method"],
            paid_on=data["paid_on"],
            reference=data["reference"],
        )
        return _("已付款 %(amount)s 元") % {"amount": payment.amount}

    return _act(request, pk, PayForm, run, form_key="pay_form")


@login_required
def attachment(request, pk):
    """An invoice file, for whoever may see its claim (404 otherwise)."""
    obj = get_object_or_404(ClaimAttachment.objects.select_related("claim"), pk=pk)
    selectors.claim_get(user=request.user, pk=obj.claim_id)  # 404 outside the user's scope
    try:
        handle = obj.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, content_type=obj.content_type, filename=obj.original_name)


@login_required
def inbox(request):
    """Claims waiting for the user's step across the communities they cover, filtered
    (finance.inbox_filters) and shown as cards or, with ?view=table, as a compact table of
    many rows with the page's sum. A filter naming a community the user does not cover is
    a bad request (400, no rows). A fixed number of queries whatever the size."""
    where = selectors.inbox_scope(request.user)
    if where.empty:
        raise PermissionDenied
    rows = selectors.approval_inbox(user=request.user)
    filters = InboxFilter(request.GET or None, queryset=rows, request=request)
    status, rows = 200, filters.qs
    if filters.is_bound and not filters.is_valid():
        status, rows = 400, rows.none()  # django-filter would drop the bad value and go on
    table = request.GET.get("view") == "table"
    per_page = TABLE_PER_PAGE if table else PER_PAGE
    page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filter": filters,
        "table": table,
        "page_sum": sum((c.amount for c in page.object_list), Decimal("0.00")),
    }
    return render(request, "portal/finance/inbox.html", context, status=status)


@login_required
def payments(request):
    """The cashier's queue: fully approved claims not yet paid in full."""
    if not _can_pay_somewhere(request.user):
        raise PermissionDenied
    rows = selectors.payment_queue(user=request.user)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/finance/payments.html", {"page": page})
