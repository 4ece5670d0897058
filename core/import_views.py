"""Pages of the Excel imports (core.imports), shared by the worker portal (/portal/imports/,
this module's views) and the admin (core.admin.ImportAdminMixin calls the same functions with
an AdminImportUI). Thin: parse, call core.imports, render. The progress page polls a small
JSON endpoint with a few lines of plain JavaScript; the state lives in the database, so a
reload shows the same page."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from communities.models import Community
from core.exports import xlsx_response
from core.imports import (
    FileRejected,
    all_specs,
    can_import,
    error_report,
    get_spec,
    import_communities,
    import_job_cancel,
    import_job_confirm,
    import_job_create,
    import_job_get,
    import_job_list,
    ledger_workbook,
)
from core.models import ImportState
from core.scoping import can, scoped
from core.services import require

RUNNING = (ImportState.UPLOADED, ImportState.VALIDATING, ImportState.APPLYING)
STREET_WIDE = "all"


class SizeLimitHandler(FileUploadHandler):
    """Drops an upload as soon as it passes settings.IMPORT_MAX_BYTES, before it is written
    to disk in full; the view then says the file is too large."""

    too_large = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.IMPORT_MAX_BYTES:
            self.too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


class UploadForm(forms.Form):
    community = forms.ChoiceField(label=gettext_lazy("导入到社区"))
    file = forms.FileField(
        label=gettext_lazy("Excel 文件（.xlsx）"),
        allow_empty_file=True,  # refused by core.imports with its own message
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args, communities, street_wide=False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(c.pk), c.name) for c in communities]
        if street_wide:
            choices.insert(0, (STREET_WIDE, _("全街道（按表格中的“社区”列）")))
        self.fields["community"].choices = choices
        self.communities = {str(c.pk): c for c in communities}
        if len(choices) == 1:
            self.fields["community"].initial = choices[0][0]

    def clean_community(self):
        value = self.cleaned_data["community"]
        return None if value == STREET_WIDE else self.communities[value]


class PortalImportUI:
    """Where the portal's import pages live."""

    street_wide = False
    base = "portal"

    def url(self, name, *args):
        return reverse(f"portal:import_{name}", args=args)

    def context(self, request, title):
        return {"title": title}

    def template(self, name):
        return f"imports/{name}.html"


def _upload_handlers(request):
    handler = SizeLimitHandler(request)
    request.upload_handlers.insert(0, handler)
    return handler


def upload(request, ui, spec):
    """The upload form (with the template download and the recent jobs of this kind)."""
    communities = import_communities(user=request.user, spec=spec)
    street_wide = ui.street_wide and can_import(request.user, spec, None)
    if not communities and not street_wide:
        raise PermissionDenied(_("您没有导入%(title)s的权限") % {"title": spec.title})
    handler = _upload_handlers(request) if request.method == "POST" else None

    @csrf_protect
    def inner(request):
        form = UploadForm(
            request.POST or None,
            request.FILES or None,
            communities=communities,
            street_wide=street_wide,
        )
        report = []
        if request.method == "POST":
            if handler is not None and handler.too_large:
                form.add_error(
                    None,
                    _("文件过大，上限为 %(mb)s MB，请分批导入")
                    % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)},
                )
            elif form.is_valid():
                try:
                    job = import_job_create(
                        user=request.user,
                        spec=spec,
                        community=form.cleaned_data["community"],
                        upload=form.cleaned_data["file"],
                    )
                except FileRejected as exc:
                    form.add_error("file", exc.message)
                    report = exc.errors
                else:
                    messages.success(request, _("文件已上传，正在逐行校验"))
                    return redirect(ui.url("job", job.pk))
        jobs = _with_urls(ui, import_job_list(user=request.user, kind=spec.kind)[:20])
        context = {
            **ui.context(request, _("导入%(title)s") % {"title": spec.title}),
            "spec": spec,
            "form": form,
            "report": report,
            "jobs": jobs,
            "template_url": ui.url("template", spec.kind),
            "export_url": ui.url("export", spec.kind) if spec.can_export else None,
            "max_mb": settings.IMPORT_MAX_BYTES // (1024 * 1024),
            "max_rows": settings.IMPORT_MAX_ROWS,
        }
        return render(request, ui.template("upload"), context)

    return inner(request)


def _with_urls(ui, jobs):
    jobs = list(jobs)
    for job in jobs:
        job.url = ui.url("job", job.pk)
        job.spec_title = _spec_title(job.kind)
    return jobs


def _spec_title(kind):
    try:
        return get_spec(kind).title
    except LookupError:
        return kind


def job_urls(ui, job):
    return {name: ui.url(name, job.pk) for name in ("job", "status", "confirm", "cancel", "errors")}


def job_page(request, ui, job):
    """Progress while a task runs, then the preview (counts, first errors) with the confirm
    button, or the outcome."""
    spec = get_spec(job.kind)
    context = {
        **ui.context(request, _("导入%(title)s") % {"title": spec.title}),
        "spec": spec,
        "job": job,
        "urls": job_urls(ui, job),
        "upload_url": ui.url("upload", spec.kind),
        "running": job.state in RUNNING,
        "errors": job.errors[:50],
        "more_errors": max(job.error_count - 50, 0),
        "percent": _percent(job),
    }
    return render(request, ui.template("job"), context)


def _percent(job) -> int:
    if job.state in (ImportState.DONE, ImportState.VALIDATED):
        return 100
    return min(100, int(100 * job.rows_done / job.rows_total)) if job.rows_total else 0


def job_status(request, job):
    """The small JSON the progress page polls."""
    return JsonResponse(
        {
            "state": job.state,
            "label": job.get_state_display(),
            "running": job.state in RUNNING,
            "done": job.rows_done,
            "total": job.rows_total,
            "percent": _percent(job),
            "rate": job.rows_per_second,
            "new": job.rows_new,
            "updated": job.rows_updated,
            "unchanged": job.rows_unchanged,
            "invalid": job.rows_invalid,
            "message": job.message,
        }
    )


def job_confirm(request, ui, job):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if import_job_confirm(user=request.user, job=job):
        messages.success(request, _("已确认，正在导入"))
    else:
        messages.warning(request, _("该导入已确认过或状态已变化，未重复执行"))
    return redirect(ui.url("job", job.pk))


def job_cancel(request, ui, job):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if import_job_cancel(user=request.user, job=job):
        messages.success(request, _("已取消，未写入任何数据"))
    else:
        messages.warning(request, _("该导入已结束，无法取消"))
    return redirect(ui.url("job", job.pk))


def job_errors(request, job):
    return xlsx_response(error_report(job), _("导入错误报告_%(pk)s.xlsx") % {"pk": job.pk})


def template_download(request, spec):
    if not can_import(request.user, spec, None) and not import_communities(
        user=request.user, spec=spec
    ):
        raise PermissionDenied
    return xlsx_response(
        ledger_workbook(spec), _("%(title)s_导入模板.xlsx") % {"title": spec.title}
    )


def export_download(request, spec, community=None):
    """The current records in the import layout (scoped; one community or all in scope)."""
    perm = spec.view_perm or spec.perms[0]
    if community is not None:
        require(request.user, perm, community)
    elif not can(request.user, perm):
        raise PermissionDenied
    if not spec.can_export:
        raise Http404
    return spec.export_response(user=request.user, community=community)


# --- portal views ------------------------------------------------------------------------

PORTAL = PortalImportUI()


def _spec(kind):
    try:
        return get_spec(kind)
    except LookupError:
        raise Http404 from None


@login_required
def job_list(request):
    jobs = _with_urls(PORTAL, import_job_list(user=request.user)[:100])
    specs = [s for s in all_specs() if import_communities(user=request.user, spec=s)]
    return render(request, "imports/list.html", {"jobs": jobs, "specs": specs})


@csrf_exempt  # csrf_protect runs inside, after the size-limit upload handler is in place
@login_required
def upload_view(request, kind):
    return upload(request, PORTAL, _spec(kind))


@login_required
def template_view(request, kind):
    return template_download(request, _spec(kind))


@login_required
def export_view(request, kind):
    spec = _spec(kind)
    community = None
    if request.GET.get("community"):
        try:
            pk = int(request.GET["community"])
        except ValueError:
            raise Http404 from None
        community = scoped(Community.objects.all(), request.user).filter(pk=pk).first()
        if community is None:
            raise Http404
    return export_download(request, spec, community)


@login_required
def job_view(request, pk):
    return job_page(request, PORTAL, import_job_get(user=request.user, pk=pk))


@login_required
def job_status_view(request, pk):
    return job_status(request, import_job_get(user=request.user, pk=pk))


@login_required
def job_confirm_view(request, pk):
    return job_confirm(request, PORTAL, import_job_get(user=request.user, pk=pk))


@login_required
def job_cancel_view(request, pk):
    return job_cancel(request, PORTAL, import_job_get(user=request.user, pk=pk))


@login_required
def job_errors_view(request, pk):
    return job_errors(request, import_job_get(user=request.user, pk=pk))
