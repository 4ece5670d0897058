"""The worker portal (/portal/): thin views over selectors, login required everywhere but
the login page. Mobile-first templates in templates/portal/."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities.selectors import community_detail_get, community_get, community_list
from core import reminders
from core.forms import FindingFilterForm
from core.imports import can_import, get_spec
from core.models import FindingStatus, ReminderStatus
from core.scoping import can
from core.selectors import compliance_matrix


def healthz(request):
    """Liveness for docker-compose: the app answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django's default): the base template's logout button carries the CSRF
    token."""


_STATUS_ORDER = {FindingStatus.VIOLATION: 0, FindingStatus.WARNING: 1, FindingStatus.OK: 2}


def _by_severity(pairs):
    """Violations first, then warnings, then the rest; unchecked items last."""
    return sorted(
        pairs,
        key=lambda pair: (_STATUS_ORDER.get(pair[1].status, 3) if pair[1] else 4, pair[0].rule_id),
    )


@login_required
def home(request):
    """Every community in the user's scope with the latest run's violations and warnings.
    Abolished communities are listed too (marked, without counts: they are not checked)."""
    communities = community_list(user=request.user)
    counts = {
        row.community.pk: row.counts
        for row in compliance_matrix(user=request.user).rows
        if any(row.cells)  # never checked yet: no counts rather than misleading zeros
    }
    rows = [{"community": c, "counts": counts.get(c.pk)} for c in communities]
    context = {"rows": rows, "show_inbox": can(request.user, reminders.VIEW_PERM)}
    if context["show_inbox"]:
        context["open_reminders"] = reminders.reminder_open_count(user=request.user)
    return render(request, "portal/home.html", context)


def _latest_findings(user, community):
    if not community.is_active:
        return []  # inactive communities are not checked (core.selectors.compliance_matrix)
    matrix = compliance_matrix(user=user, community_id=community.pk)
    return _by_severity(matrix.rows[0].pairs)


# Sections of the community page and the permission each needs: a role that may not view
# a model in this community (core.roles, e.g. grid workers and organisations) does not see it.
_SECTIONS = {
    "organisations": "communities.view_organisation",
    "subcommittees": "communities.view_subcommittee",
    "grid": "communities.view_residentsgroup",
    "compounds": "communities.view_compound",
    "facilities": "communities.view_facility",
    "findings": "core.view_compliancefinding",
    "staffing": "staffing.view_worker",
}


@login_required
def community(request, pk):
    """One community: organisations and current members (ORG-1..3), sub-committees (ORG-4),
    grid (ORG-5), compounds (ORG-7/8), facilities (ORG-12) and the latest compliance findings
    with rule id and citation."""
    obj = community_detail_get(user=request.user, pk=pk)
    show = {name: can(request.user, perm, obj) for name, perm in _SECTIONS.items()}
    pairs = []
    if show["findings"]:
        pairs = [pair for pair in _latest_findings(request.user, obj) if pair[1] is not None]
    context = {"community": obj, "pairs": pairs, "show": show}
    if show["organisations"] and can_import(request.user, get_spec("organisations"), obj):
        # 驻社区单位和社会组织 (ORG-9/ORG-10): communities.ledger_imports_units
        context["organisations_import_url"] = reverse(
            "portal:import_upload", args=["organisations"]
        )
    return render(request, "portal/community.html", context)


@login_required
def findings(request, pk):
    """Latest finding of every check for one community, filterable by conclusion and rule."""
    obj = community_get(user=request.user, pk=pk)
    if not can(request.user, _SECTIONS["findings"], obj):
        raise PermissionDenied
    form = FindingFilterForm(request.GET or None)
    pairs = form.apply(_latest_findings(request.user, obj))
    return render(request, "portal/findings.html", {"community": obj, "pairs": pairs, "form": form})


INBOX_PER_PAGE = 30
_INBOX_ALL = "all"


@login_required
def inbox(request):
    """The reminders of every community in the user's scope (core.reminders), open ones by
    default, newest due date first, 30 a page."""
    status = request.GET.get("status") or ReminderStatus.OPEN
    if status not in (*ReminderStatus.values, _INBOX_ALL):
        status = ReminderStatus.OPEN
    rows = reminders.reminder_list(
        user=request.user, status=None if status == _INBOX_ALL else status
    )
    page = Paginator(rows, INBOX_PER_PAGE).get_page(request.GET.get("page"))
    for reminder in page:
        reminder.can_close = reminder.status == ReminderStatus.OPEN and can(
            request.user, reminders.CLOSE_PERM, reminder
        )
    statuses = [*ReminderStatus.choices, (_INBOX_ALL, _("全部"))]
    context = {"page": page, "status": status, "statuses": statuses}
    return render(request, "portal/inbox.html", context)


@login_required
@require_POST
def inbox_done(request, pk):
    """Mark one reminder done: 404 outside the user's scope, 403 without the permission."""
    reminder = reminders.reminder_get(user=request.user, pk=pk)
    reminders.reminder_close(user=request.user, reminder=reminder)
    messages.success(request, _("已标记为已办结：%(title)s") % {"title": reminder.title})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("portal:inbox")
    return redirect(target)
