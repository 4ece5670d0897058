"""Staffing pages of the worker portal (/portal/staffing/): thin views over
staffing.selectors, writes through staffing.services.staffing_save. Another community's
worker or community is 404 on every URL (the selectors read through core.scoping.scoped);
a role without the permission in its own community gets 403.

The STAFF-2 payroll sheets (list, sheet, generate, submit, export) read through the
staffing.payroll selectors and write through its services; the street approves in the admin."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from communities.selectors import community_get
from core.scoping import can
from staffing import payroll as pay
from staffing import rules
from staffing.exports import payroll_xlsx
from staffing.forms import OneTimeForm, PartyCheckupForm, StudySessionForm, TrainingRecordForm
from staffing.models import PartyCheckup, Payroll, PayrollState, StudySession, TrainingRecord
from staffing.reports import staffing_table
from staffing.selectors import (
    study_session_list,
    worker_brief_get,
    worker_get,
    worker_list,
    worker_training_summary,
)
from staffing.services import staffing_save

WORKERS_PER_PAGE = 20
RECENT_STUDY_SESSIONS = 5


def _require(user, perm, obj):
    if not can(user, perm, obj):
        raise PermissionDenied


def _can_add(user, obj):
    return {
        "training": can(user, "staffing.add_trainingrecord", obj),
        "checkup": can(user, "staffing.add_partycheckup", obj),
        "study": can(user, "staffing.add_studysession", obj),
        "roster": can(user, "staffing.add_worker", obj) and can(user, "staffing.add_postterm", obj),
    }


@login_required
def staffing_table_page(request):
    """STAFF-1 in the portal: each community in the user's scope with its households, the
    required range, the actual number and the vacancies by post (staffing.reports)."""
    if not request.user.has_perm("staffing.view_postterm"):
        raise PermissionDenied
    table = staffing_table(user=request.user)
    return render(request, "portal/staffing/table.html", {"table": table})


@login_required
def workers(request, community_id):
    """The workers of one community: current posts (STAFF-9), full-time (STAFF-1), source
    (STAFF-3); search by name; 20 a page. The latest weekly studies (STAFF-6) below."""
    community = community_get(user=request.user, pk=community_id)
    _require(request.user, "staffing.view_worker", community)
    q = request.GET.get("q", "").strip()
    rows = worker_list(user=request.user, community_id=community.pk, q=q or None)
    page = Paginator(rows, WORKERS_PER_PAGE).get_page(request.GET.get("page"))
    sessions = []
    if can(request.user, "staffing.view_studysession", community):
        sessions = list(
            study_session_list(user=request.user, community_id=community.pk)[:RECENT_STUDY_SESSIONS]
        )
    context = {
        "community": community,
        "page": page,
        "q": q,
        "today": timezone.localdate(),
        "sessions": sessions,
        "can_add": _can_add(request.user, community),
        "can_view_payroll": can(request.user, "staffing.view_payroll", community),
    }
    return render(request, "portal/staffing/worker_list.html", context)


@login_required
def worker(request, pk):
    """One worker's record: posts and terms with re-selection results (STAFF-4), training
    in the current cycle against the profile's minimum hours (STAFF-6), evaluations per
    year (STAFF-5), party check-ups (STAFF-10) and handovers (STAFF-7)."""
    obj = worker_get(user=request.user, pk=pk)
    _require(request.user, "staffing.view_worker", obj)
    today = timezone.localdate()
    terms = list(obj.terms.all())
    for term in terms:
        term.is_current = term.is_current_on(today)
        term.subsidy_ends_on = rules.subsidy_ends_on(term)  # STAFF-4: not re-appointed
    context = {
        "worker": obj,
        "community": obj.community,
        "terms": terms,
        "training": worker_training_summary(obj, today),
        "can_add": _can_add(request.user, obj),
    }
    return render(request, "portal/staffing/worker_detail.html", context)


def _record(request, *, form_class, instance, perm, scope_obj, title, back_url):
    """GET: an empty form with a fresh one-time token. POST: valid input is saved once
    through staffing_save (PRG); a rule's error is shown next to its field; a second POST of
    the same token saves nothing and goes to the same page as the first."""
    _require(request.user, perm, scope_obj)
    if request.method == "POST":
        form = form_class(request.POST, instance=instance)
        if form.is_valid():
            if not form.claim_token(request.user):
                messages.info(request, _("该表单已经提交过，未重复保存。"))
                return redirect(back_url)
            try:
                staffing_save(user=request.user, instance=form.instance)
            except ValidationError as exc:
                form.release_token(request.user)
                form.add_service_errors(exc)
            else:
                messages.success(request, _("已保存。"))
                return redirect(back_url)
    else:
        form = form_class(instance=instance)
    context = {"form": form, "title": title, "back_url": back_url, "subject": scope_obj}
    return render(request, "portal/staffing/record_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def training_add(request, pk):
    """STAFF-6 (003 七(一)): record a training of the worker, after it took place."""
    obj = worker_brief_get(user=request.user, pk=pk)
    back = reverse("staffing:worker", args=[obj.pk])
    return _record(
        request,
        form_class=TrainingRecordForm,
        instance=TrainingRecord(worker=obj, community_id=obj.community_id),
        perm="staffing.add_trainingrecord",
        scope_obj=obj,
        title=_("登记培训"),
        back_url=back,
    )


@login_required
@require_http_methods(["GET", "POST"])
def checkup_add(request, pk):
    """STAFF-10 (000 第八条(六)): record a 党性体检 of the worker."""
    obj = worker_brief_get(user=request.user, pk=pk)
    back = reverse("staffing:worker", args=[obj.pk])
    return _record(
        request,
        form_class=PartyCheckupForm,
        instance=PartyCheckup(worker=obj, community_id=obj.community_id),
        perm="staffing.add_partycheckup",
        scope_obj=obj,
        title=_("登记党性体检"),
        back_url=back,
    )


@login_required
@require_http_methods(["GET", "POST"])
def study_add(request, community_id):
    """STAFF-6 (003 七(四)): record the community's weekly collective study."""
    community = community_get(user=request.user, pk=community_id)
    back = reverse("staffing:workers", args=[community.pk])
    return _record(
        request,
        form_class=StudySessionForm,
        instance=StudySession(community=community),
        perm="staffing.add_studysession",
        scope_obj=community,
        title=_("登记集中学习"),
        back_url=back,
    )


# --- STAFF-2: the monthly payroll sheet -----------------------------------------------------

PAYROLLS_PER_PAGE = 24  # two years of sheets


class PayrollButtonForm(OneTimeForm):
    """A sheet's button (generate, submit): only the one-time token of OneTimeForm, so a
    double tap or a reload of the POST moves the sheet once. `period` is the month a
    generate button is for (YYYY-MM)."""

    period = forms.DateField(
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(format="%Y-%m", attrs={"type": "hidden"}),
    )

    class Meta:
        model = Payroll
        fields = ()

    def _post_clean(self):
        """No field of the sheet is on the form: nothing of the model to validate (the
        service validates the sheet)."""


def _this_month():
    return rules.month_first(timezone.localdate())


def _may_generate(user, community) -> bool:
    return can(user, "staffing.add_payroll", community) or can(
        user, "staffing.change_payroll", community
    )


def _button_error(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
def payrolls(request, community_id):
    """STAFF-2: the community's monthly subsidy sheets, newest first, with state, number of
    people and totals (one query for the page); a button makes this month's draft."""
    community = community_get(user=request.user, pk=community_id)
    _require(request.user, "staffing.view_payroll", community)
    # Ordered here: Django drops Meta.ordering from a GROUP BY query (payroll_list's totals).
    rows = pay.payroll_list(user=request.user).filter(community=community).order_by("-month")
    page = Paginator(rows, PAYROLLS_PER_PAGE).get_page(request.GET.get("page"))
    month = _this_month()
    current = next((p for p in page.object_list if p.month == month), None)
    if current is None and page.number != 1:
        current = rows.filter(month=month).first()
    can_generate = _may_generate(request.user, community) and (
        current is None or current.state == PayrollState.DRAFT
    )
    context = {
        "community": community,
        "page": page,
        "month": month,
        "current": current,
        "can_generate": can_generate,
        "generate_form": PayrollButtonForm(initial={"period": month}) if can_generate else None,
    }
    return render(request, "portal/staffing/payroll_list.html", context)


@login_required
def payroll(request, pk):
    """STAFF-2: one sheet: every line (posts, standard, deduction, social insurance, net),
    the totals, the state and who submitted and approved it when; buttons by permission."""
    obj = pay.payroll_get(user=request.user, pk=pk)
    _require(request.user, "staffing.view_payroll", obj)
    user = request.user
    draft = obj.state == PayrollState.DRAFT
    buttons = {
        "generate": draft and _may_generate(user, obj.community),
        "submit": draft and can(user, "staffing.submit_payroll", obj),
    }
    context = {
        "payroll": obj,
        "community": obj.community,
        "lines": list(pay.payroll_lines(obj)),
        "totals": pay.payroll_totals(obj),
        "buttons": buttons,
        "generate_form": PayrollButtonForm(initial={"period": obj.month})
        if buttons["generate"]
        else None,
        "submit_form": PayrollButtonForm() if buttons["submit"] else None,
        # The street approves and returns in the admin: a link for those who may.
        "street_reviews": obj.state in (PayrollState.SUBMITTED, PayrollState.APPROVED)
        and pay.street_perm(user, "staffing.approve_payroll", obj.community.street_id),
    }
    return render(request, "portal/staffing/payroll_detail.html", context)


@login_required
@require_POST
def payroll_generate(request, community_id):
    """STAFF-2: make or refresh the draft of `period` (this month by default) through
    staffing.payroll.payroll_generate, then show it (PRG). A second POST of the same form
    generates nothing and goes to the same sheet."""
    community = community_get(user=request.user, pk=community_id)
    if not _may_generate(request.user, community):
        raise PermissionDenied
    form = PayrollButtonForm(request.POST)
    back = reverse("staffing:payrolls", args=[community.pk])
    if not form.is_valid():
        messages.error(request, _("表单已失效，请刷新页面后重新提交"))
        return redirect(back)
    month = form.cleaned_data["period"] or _this_month()
    if not form.claim_token(request.user):
        messages.info(request, _("该表单已经提交过，未重复生成。"))
        existing = pay.payroll_list(user=request.user).filter(community=community, month=month)
        sheet = existing.values_list("pk", flat=True).first()
        return redirect(reverse("staffing:payroll", args=[sheet]) if sheet else back)
    try:
        sheet = pay.payroll_generate(user=request.user, community=community, month=month)
    except ValidationError as exc:
        form.release_token(request.user)
        _button_error(request, exc)
        return redirect(back)
    messages.success(
        request,
        _("已生成 %(month)s 发放表，共 %(n)s 人。")
        % {"month": f"{month:%Y-%m}", "n": sheet.lines.count()},
    )
    return redirect("staffing:payroll", pk=sheet.pk)


@login_required
@require_POST
def payroll_submit(request, pk):
    """STAFF-2: draft → submitted to the street, by the community's heads
    (staffing.payroll.payroll_submit), then back to the sheet (PRG). A second POST of the same
    form submits nothing."""
    obj = pay.payroll_get(user=request.user, pk=pk)
    _require(request.user, "staffing.submit_payroll", obj)
    back = reverse("staffing:payroll", args=[obj.pk])
    form = PayrollButtonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("表单已失效，请刷新页面后重新提交"))
    elif not form.claim_token(request.user):
        messages.info(request, _("该表单已经提交过，未重复上报。"))
    else:
        try:
            pay.payroll_submit(user=request.user, payroll=obj)
        except ValidationError as exc:
            form.release_token(request.user)
            _button_error(request, exc)
        else:
            messages.success(request, _("已上报街道审批。"))
    return redirect(back)


@login_required
def payroll_export(request, pk):
    """STAFF-2: the sheet as an Excel workbook (staffing.exports.payroll_xlsx)."""
    obj = pay.payroll_get(user=request.user, pk=pk)
    _require(request.user, "staffing.view_payroll", obj)
    return payroll_xlsx(obj)
