"""Special groups (特殊群体) and special targets (特别对象) in the worker portal (issue #4,
ORG-13): thin views over communities.ledger_selectors, every write through
communities.ledger_services, mobile-first forms with POST-redirect-GET and a one-time token
(ledger_views._save).

Special targets are for roles granted view_specialtarget only (another role gets 403 on the
community's list and 404 on a record, which it cannot tell from a missing one), and every
page that shows one is logged in PersonalDataLog (ledger_services.special_targets_viewed):
the list once per community shown with the number of rows, a record or its edit form with
its id."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from communities import ledger_services as services
from communities import rules
from communities.ledger_forms import SpecialGroupEndForm, SpecialGroupForm, SpecialTargetForm
from communities.ledger_imports import portal_import_url
from communities.ledger_selectors import (
    resident_get,
    special_group_get,
    special_group_list,
    special_group_type_list,
    special_target_get,
    special_target_list,
)
from communities.ledger_views import _community, _query_without_page, _require, _save
from communities.models import SpecialGroupMember, SpecialTarget
from core.middleware import client_ip
from core.scoping import can

GROUPS_PER_PAGE = 30
TARGETS_PER_PAGE = 30


# --- special groups -------------------------------------------------------------------------


@login_required
def special_groups(request, community_id):
    """特殊群体名册: current memberships of one community (or ended ones too), by group."""
    community = _community(request, community_id, "communities.view_specialgroupmember")
    group = request.GET.get("group", "").strip()
    include_ended = request.GET.get("status") == "all"
    rows = special_group_list(
        user=request.user,
        community_id=community.pk,
        group=group or None,
        current_only=not include_ended,
    )
    page = Paginator(rows, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "community": community,
        "page": page,
        "group": group,
        "include_ended": include_ended,
        "types": list(special_group_type_list(community=community).values_list("code", "name")),
        "query": _query_without_page(request),
        "today": timezone.localdate(),
        "import_url": portal_import_url(request.user, "special_groups", community),
        "can_export_full": can(request.user, services.REVEAL_PERM, community),
    }
    return render(request, "portal/ledgers/special_group_list.html", context)


def _resident_url(resident) -> str:
    return reverse("ledgers:resident", args=[resident.pk])


@login_required
@require_http_methods(["GET", "POST"])
def special_group_add(request, pk):
    """Add a resident to a special group (the community comes from the resident)."""
    resident = resident_get(user=request.user, pk=pk)
    _require(request.user, "communities.add_specialgroupmember", resident)
    data = request.POST if request.method == "POST" else None
    member = SpecialGroupMember(resident=resident, community_id=resident.community_id)
    form = SpecialGroupForm(data, instance=member, community=resident.community)
    return _save(
        request,
        form=form,
        save=lambda m: services.special_group_save(user=request.user, member=m),
        title=_("登记特殊群体"),
        subject=resident,
        back_url=_resident_url(resident),
        target=lambda m: _resident_url(resident),
    )


@login_required
@require_http_methods(["GET", "POST"])
def special_group_edit(request, pk):
    member = special_group_get(user=request.user, pk=pk)
    _require(request.user, "communities.change_specialgroupmember", member)
    data = request.POST if request.method == "POST" else None
    form = SpecialGroupForm(data, instance=member, community=member.community)
    back = _resident_url(member.resident)
    return _save(
        request,
        form=form,
        save=lambda m: services.special_group_save(user=request.user, member=m),
        title=_("修改特殊群体：%(group)s") % {"group": member.group_type.name},
        subject=member.resident,
        back_url=back,
        target=lambda m: back,
    )


@login_required
@require_http_methods(["GET", "POST"])
def special_group_end(request, pk):
    """End a membership on a date (the row stays as history)."""
    member = special_group_get(user=request.user, pk=pk)
    _require(request.user, "communities.change_specialgroupmember", member)
    data = request.POST if request.method == "POST" else None
    today = timezone.localdate()
    form = SpecialGroupEndForm(data, instance=member, today=today)
    back = _resident_url(member.resident)
    return _save(
        request,
        form=form,
        save=lambda m: services.special_group_end(
            user=request.user, member=m, day=m.ends_on, today=today
        ),
        title=_("终止特殊群体：%(group)s") % {"group": member.group_type.name},
        subject=member.resident,
        back_url=back,
        target=lambda m: back,
    )


# --- special targets (logged) ----------------------------------------------------------------


def _target_rows(targets):
    return [
        {
            "target": t,
            "id_masked": rules.mask_id(t.resident.id_number),
        }
        for t in targets
    ]


@login_required
def special_targets(request, community_id):
    """特别对象 of one community, for permitted roles only; the rows shown are logged."""
    community = _community(request, community_id, services.VIEW_SPECIAL_PERM)
    rows = special_target_list(user=request.user, community_id=community.pk)
    page = Paginator(rows, TARGETS_PER_PAGE).get_page(request.GET.get("page"))
    services.special_targets_viewed(
        user=request.user, targets=page.object_list, ip=client_ip(request), listing=True
    )
    context = {
        "community": community,
        "page": page,
        "rows": _target_rows(page.object_list),
        "query": _query_without_page(request),
        "today": timezone.localdate(),
    }
    return render(request, "portal/ledgers/special_target_list.html", context)


@login_required
def special_target(request, pk):
    target = special_target_get(user=request.user, pk=pk)
    services.special_targets_viewed(user=request.user, targets=[target], ip=client_ip(request))
    context = {
        "target": target,
        "community": target.community,
        "id_masked": rules.mask_id(target.resident.id_number),
        "can_change": can(request.user, "communities.change_specialtarget", target),
    }
    return render(request, "portal/ledgers/special_target_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def special_target_add(request, pk):
    """Register a resident as a special target (roles granted add_specialtarget only)."""
    resident = resident_get(user=request.user, pk=pk)
    _require(request.user, "communities.add_specialtarget", resident)
    data = request.POST if request.method == "POST" else None
    target = SpecialTarget(resident=resident, community_id=resident.community_id)
    form = SpecialTargetForm(data, instance=target)
    return _save(
        request,
        form=form,
        save=lambda t: services.special_target_save(user=request.user, target=t),
        title=_("登记特别对象"),
        subject=resident,
        back_url=_resident_url(resident),
        target=lambda t: reverse("ledgers:special_target", args=[t.pk]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def special_target_edit(request, pk):
    target = special_target_get(user=request.user, pk=pk)
    _require(request.user, "communities.change_specialtarget", target)
    if request.method == "GET":  # the form shows the record: a view like any other
        services.special_targets_viewed(user=request.user, targets=[target], ip=client_ip(request))
    data = request.POST if request.method == "POST" else None
    form = SpecialTargetForm(data, instance=target)
    back = reverse("ledgers:special_target", args=[target.pk])
    return _save(
        request,
        form=form,
        save=lambda t: services.special_target_save(user=request.user, target=t),
        title=_("修改特别对象"),
        subject=target.resident,
        back_url=back,
        target=lambda t: back,
    )
