"""The worker portal (/portal/): thin views over selectors, login required everywhere but
the login page. Mobile-first templates in templates/portal/."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from communities.selectors import community_detail_get, community_get
from core.forms import FindingFilterForm
from core.models import FindingStatus
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
    """Communities in the user's scope with the latest run's violations and warnings."""
    matrix = compliance_matrix(user=request.user)
    return render(request, "portal/home.html", {"rows": matrix.rows})


def _latest_findings(user, community):
    if not community.is_active:
        return []  # inactive communities are not checked (core.selectors.compliance_matrix)
    matrix = compliance_matrix(user=user, community_id=community.pk)
    return _by_severity(matrix.rows[0].pairs)


@login_required
def community(request, pk):
    """One community: organisations and current members (ORG-1..3), sub-committees (ORG-4),
    grid (ORG-5), facilities (ORG-12) and the latest compliance findings."""
    obj = community_detail_get(user=request.user, pk=pk)
    pairs = [pair for pair in _latest_findings(request.user, obj) if pair[1] is not None]
    return render(request, "portal/community.html", {"community": obj, "pairs": pairs})


@login_required
def findings(request, pk):
    """Latest finding of every check for one community, filterable by conclusion and rule."""
    obj = community_get(user=request.user, pk=pk)
    form = FindingFilterForm(request.GET or None)
    pairs = form.apply(_latest_findings(request.user, obj))
    return render(request, "portal/findings.html", {"community": obj, "pairs": pairs, "form": form})
