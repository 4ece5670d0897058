"""Volunteers and their service hours in the worker portal (ORG-9, issue #4): the list with
total hours, a volunteer's page with the service records, registering and editing a
volunteer, recording hours. Writes through communities.ledger_services; forms with
POST-redirect-GET and a one-time token (ledger_views._save); phones masked, revealed by a
logged POST for permitted roles."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from communities import ledger_services as services
from communities import rules
from communities.ledger_forms import VolunteerForm, VolunteerServiceForm
from communities.ledger_imports import portal_import_url
from communities.ledger_selectors import volunteer_get, volunteer_list, volunteer_service_list
from communities.ledger_views import _community, _query_without_page, _require, _save
from communities.models import Volunteer, VolunteerService
from core.middleware import client_ip
from core.scoping import can

VOLUNTEERS_PER_PAGE = 30
SERVICES_PER_PAGE = 30


@login_required
def volunteers(request, community_id):
    """Registered volunteers (ORG-9) with their total service hours."""
    community = _community(request, community_id, "communities.view_volunteer")
    q = request.GET.get("q", "").strip()
    rows = volunteer_list(user=request.user, community_id=community.pk, q=q or None)
    page = Paginator(rows, VOLUNTEERS_PER_PAGE).get_page(request.GET.get("page"))
    for volunteer in page:
        volunteer.phone_masked = rules.mask_phone(volunteer.phone)
    context = {
        "community": community,
        "page": page,
        "q": q,
        "query": _query_without_page(request),
        "can_add": can(request.user, "communities.add_volunteer", community),
        "import_url": portal_import_url(request.user, "volunteers", community),
        "can_export_full": can(request.user, services.REVEAL_PERM, community),
        "services_import_url": portal_import_url(request.user, "volunteer_services", community),
    }
    return render(request, "portal/ledgers/volunteer_list.html", context)


def _volunteer_context(request, volunteer, revealed=None):
    services_page = Paginator(volunteer_service_list(volunteer=volunteer), SERVICES_PER_PAGE)
    page = services_page.get_page(request.GET.get("page"))
    return {
        "volunteer": volunteer,
        "community": volunteer.community,
        "phone_masked": rules.mask_phone(volunteer.phone),
        "revealed": revealed,
        "page": page,
        "query": _query_without_page(request),
        "can_change": can(request.user, "communities.change_volunteer", volunteer),
        "can_add_service": can(request.user, "communities.add_volunteerservice", volunteer),
        "can_reveal": can(request.user, services.REVEAL_PERM, volunteer),
    }


@login_required
def volunteer(request, pk):
    """One volunteer: total hours and number of services, then the records, latest first."""
    obj = volunteer_get(user=request.user, pk=pk)
    context = _volunteer_context(request, obj)
    return render(request, "portal/ledgers/volunteer_detail.html", context)


@login_required
@require_POST
def volunteer_reveal(request, pk):
    obj = volunteer_get(user=request.user, pk=pk)
    values = services.personal_reveal(user=request.user, obj=obj, ip=client_ip(request))
    context = _volunteer_context(request, obj, revealed=values)
    return render(request, "portal/ledgers/volunteer_detail.html", context)


def _volunteer_url(volunteer) -> str:
    return reverse("ledgers:volunteer", args=[volunteer.pk])


@login_required
@require_http_methods(["GET", "POST"])
def volunteer_add(request, community_id):
    community = _community(request, community_id, "communities.add_volunteer")
    data = request.POST if request.method == "POST" else None
    instance = Volunteer(community=community, registered_on=timezone.localdate())
    form = VolunteerForm(data, instance=instance, community=community)
    return _save(
        request,
        form=form,
        save=lambda v: services.volunteer_save(user=request.user, volunteer=v),
        title=_("登记志愿者"),
        subject=community,
        back_url=reverse("ledgers:volunteers", args=[community.pk]),
        target=_volunteer_url,
    )


@login_required
@require_http_methods(["GET", "POST"])
def volunteer_edit(request, pk):
    obj = volunteer_get(user=request.user, pk=pk)
    _require(request.user, "communities.change_volunteer", obj)
    data = request.POST if request.method == "POST" else None
    form = VolunteerForm(data, instance=obj, community=obj.community)
    back = _volunteer_url(obj)
    return _save(
        request,
        form=form,
        save=lambda v: services.volunteer_save(user=request.user, volunteer=v),
        title=_("修改志愿者信息"),
        subject=obj,
        back_url=back,
        target=lambda v: back,
    )


@login_required
@require_http_methods(["GET", "POST"])
def volunteer_service_add(request, pk):
    """Record hours of service (the community comes from the volunteer)."""
    obj = volunteer_get(user=request.user, pk=pk)
    _require(request.user, "communities.add_volunteerservice", obj)
    data = request.POST if request.method == "POST" else None
    instance = VolunteerService(
        volunteer=obj, community_id=obj.community_id, date=timezone.localdate()
    )
    form = VolunteerServiceForm(data, instance=instance)
    back = _volunteer_url(obj)
    return _save(
        request,
        form=form,
        save=lambda s: services.volunteer_service_save(user=request.user, service=s),
        title=_("记录服务时长"),
        subject=obj,
        back_url=back,
        target=lambda s: back,
    )
