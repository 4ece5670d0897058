"""我的导出 and large exports in the worker portal (issue #4, Excel out): the confirmation
of a large export, queueing it (communities.ledger_jobs), the user's own jobs with their
state, and the download, for the owner only. The admin's resident export uses the same
confirmation and queueing."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from communities import ledger_jobs as jobs
from communities.models import ExportState
from core.exports import XLSX
from core.middleware import client_ip

EXPORTS_PER_PAGE = 20


def export_confirm(request, *, rows, params, community=None, back_url=None):
    """A large export: the number of rows and a button that queues it (POST)."""
    context = {
        "community": community,
        "rows": rows,
        "limit": settings.LEDGER_EXPORT_SYNC_MAX_ROWS,
        "keep_hours": int(jobs.EXPORT_KEEP.total_seconds() // 3600),
        "action": request.path,
        "params": [(k, v) for k, v in params.items() if k not in ("page", "csrfmiddlewaretoken")],
        "back_url": back_url
        or (reverse("ledgers:residents", args=[community.pk]) if community else ""),
    }
    return render(request, "portal/ledgers/export_confirm.html", context)


def export_queue(request, *, community, filters, reveal):
    """Queue a background export and go to 我的导出 (POST-redirect-GET)."""
    job, created = jobs.export_job_create(
        user=request.user,
        community=community,
        filters=filters,
        reveal=reveal,
        ip=client_ip(request),
    )
    if created:
        messages.success(
            request,
            _("导出已转入后台生成（%(name)s），完成后可在本页下载。") % {"name": job.file_name},
        )
    else:
        messages.info(request, _("相同的导出正在生成，未重复提交。"))
    return redirect("ledgers:exports")


@login_required
def exports(request):
    """我的导出: the user's own background exports with their state and download links;
    the page refreshes itself while one is queued or running (no JS)."""
    page = Paginator(jobs.export_job_list(user=request.user), EXPORTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    rows = []
    for job in page:
        rows.append(
            {
                "job": job,
                "filters": jobs.export_job_filters_text(job),
                "can_download": job.state == ExportState.DONE and job.expires_at > now,
            }
        )
    context = {
        "page": page,
        "rows": rows,
        "refresh": any(job.is_open for job in page),
        "keep_hours": int(jobs.EXPORT_KEEP.total_seconds() // 3600),
    }
    response = render(request, "portal/ledgers/export_list.html", context)
    if context["refresh"]:
        response["Refresh"] = "5"
    return response


@login_required
def export_download(request, pk):
    """The file of one of the user's own done exports (404 for anyone else's)."""
    job, chunks = jobs.export_job_download(user=request.user, pk=pk)
    response = StreamingHttpResponse(chunks, content_type=XLSX)
    response["Content-Length"] = str(job.size)
    response["Content-Disposition"] = content_disposition_header(True, job.file_name)
    response["Cache-Control"] = "private, no-store"
    return response
