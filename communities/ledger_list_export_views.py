"""导出Excel of the smaller ledger lists in the worker portal (issue #4, Excel out): special
groups, volunteers, their service records and households. Each view reads the list page's
query string, calls the list's own selector with it (the same rows the page shows, all
pages) and writes them with communities.ledger_exports_more: masked on a GET; full values
on a POST with reveal=1 for a role holding reveal_personal in the community (403 without);
logged either way. Another community's URL is 404, as for the lists."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_http_methods

from communities import ledger_services as services
from communities.ledger_exports import filters_text
from communities.ledger_exports_more import (
    HOUSEHOLDS,
    SPECIAL_GROUPS,
    VOLUNTEER_SERVICES,
    VOLUNTEERS,
    ledger_export_response,
)
from communities.ledger_selectors import household_list, special_group_list, volunteer_list
from communities.ledger_views import _community, _require
from communities.models import VolunteerService


def _export(request, community_id, *, ledger, queryset_for):
    community = _community(request, community_id, ledger.perm)
    params = request.POST if request.method == "POST" else request.GET
    reveal = request.method == "POST" and params.get("reveal") == "1"
    if reveal:
        _require(request.user, services.REVEAL_PERM, community)
    queryset, filters = queryset_for(request, community, params)
    return ledger_export_response(
        request,
        ledger=ledger,
        queryset=queryset,
        filters=filters_text({"community_id": community.pk, **filters}),
        reveal=reveal,
    )


def _groups(request, community, params):
    group = params.get("group", "").strip() or None
    include_ended = params.get("status") == "all"
    rows = special_group_list(
        user=request.user,
        community_id=community.pk,
        group=group,
        current_only=not include_ended,
    )
    return rows, {"group": group, "include_ended": include_ended}


def _volunteers(request, community, params):
    q = params.get("q", "").strip() or None
    return volunteer_list(user=request.user, community_id=community.pk, q=q), {"q": q}


def _services(request, community, params):
    """The service records of the volunteers the volunteer list's filter shows."""
    volunteers, filters = _volunteers(request, community, params)
    rows = VolunteerService.objects.filter(
        community_id=community.pk, volunteer__in=volunteers.order_by().values("pk")
    )
    return rows, filters


def _households(request, community, params):
    q = params.get("q", "").strip() or None
    return household_list(user=request.user, community_id=community.pk, q=q), {"q": q}


@login_required
@require_http_methods(["GET", "POST"])
def special_groups_export(request, community_id):
    return _export(request, community_id, ledger=SPECIAL_GROUPS, queryset_for=_groups)


@login_required
@require_http_methods(["GET", "POST"])
def volunteers_export(request, community_id):
    return _export(request, community_id, ledger=VOLUNTEERS, queryset_for=_volunteers)


@login_required
@require_http_methods(["GET", "POST"])
def volunteer_services_export(request, community_id):
    return _export(request, community_id, ledger=VOLUNTEER_SERVICES, queryset_for=_services)


@login_required
@require_http_methods(["GET", "POST"])
def households_export(request, community_id):
    return _export(request, community_id, ledger=HOUSEHOLDS, queryset_for=_households)
