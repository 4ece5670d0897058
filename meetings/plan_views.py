"""MEET-2 work plans in the worker portal (/portal/meetings/community/<id>/plans/): the list,
newest period first, with the drafting form for those who may draft (meetings.plans)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from communities.selectors import community_get
from core.scoping import can
from meetings import plans
from meetings.forms import WorkPlanForm
from meetings.workplans import PlanKind, WorkPlan, period_label


@login_required
@require_http_methods(["GET", "POST"])
def plan_list(request, community_id):
    obj = community_get(user=request.user, pk=community_id)
    if not can(request.user, "meetings.view_workplan", obj):
        raise PermissionDenied
    may_add = can(request.user, "meetings.add_workplan", obj)
    form = WorkPlanForm(
        request.POST or None, initial={"kind": PlanKind.MONTHLY, "period": timezone.localdate()}
    )
    if request.method == "POST":
        if not may_add:
            raise PermissionDenied
        if form.is_valid() and form.claim_token(request.user, request.path):
            data = form.cleaned_data
            plan = WorkPlan(
                community=obj,
                kind=data["kind"],
                period_start=data["period"],
                title=data["title"],
                body=data["body"],
            )
            try:
                plans.workplan_save(user=request.user, instance=plan)
            except ValidationError as exc:
                form.release_token(request.user, request.path)
                form.add_service_errors(exc)
            else:
                messages.success(request, _("已保存工作计划。"))
                return redirect("meetings:plans", community_id=obj.pk)
    rows = list(plans.workplan_list(user=request.user, community_id=obj.pk)[:100])
    missing = [
        f"{period_label(kind, start)}{PlanKind(kind).label}"
        for kind, start in plans.missing_plans(obj.pk)
    ]
    context = {
        "community": obj,
        "rows": rows,
        "missing": missing,
        "form": form if may_add else None,
    }
    return render(request, "portal/meetings/plans.html", context)
