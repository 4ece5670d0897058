"""Large ledger exports in the background (issue #4, Excel out): the ExportJob rows, the
Celery task's run, the owner's list and download, and the periodic cleanup.

Above settings.LEDGER_EXPORT_SYNC_MAX_ROWS rows the portal and the admin call
`export_job_create` instead of writing the workbook in the request; the task
(communities.tasks.export_job_run) calls `export_job_run`, which writes the workbook with
the same exporter as a small export (communities.ledger_exports: scoped, masked unless
revealed, formula-escaped, streamed) and logs it in PersonalDataLog in the same transaction
as the file. Only the user who asked sees or downloads a job (404 for anyone else, and for
the owner once the job's community left their scope). Files are deleted `EXPORT_KEEP`
after they are done (`export_jobs_cleanup`, hourly)."""

import datetime as dt
import logging
import tempfile
from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import BinaryField, F, Func, Value
from django.db.models.expressions import CombinedExpression
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from communities.ledger_exports import filters_text, resident_export
from communities.ledger_services import REVEAL_PERM
from communities.models import EXPORT_OPEN_STATES, ExportJob, ExportKind, ExportState
from core.scoping import can, scope_for
from core.services import require

log = logging.getLogger(__name__)

EXPORT_KEEP = dt.timedelta(hours=24)  # a done file can be downloaded this long
STALE_AFTER = dt.timedelta(hours=2)  # a job still queued or running then has failed
FORGET_AFTER = dt.timedelta(days=30)  # finished job rows (the log row stays) then go
DOWNLOAD_CHUNK = 1 << 20
STORE_CHUNK = 1 << 20

EXPORTERS = {ExportKind.RESIDENTS: resident_export}
VIEW_PERMS = {ExportKind.RESIDENTS: "communities.view_resident"}


def export_in_background(rows: int) -> bool:
    """Whether an export of `rows` rows runs as a task (a small one is sent at once)."""
    return rows > settings.LEDGER_EXPORT_SYNC_MAX_ROWS


# --- the user's steps ---------------------------------------------------------------------


def _file_name(kind: str, community) -> str:
    stamp = f"{timezone.localtime():%Y%m%d-%H%M}"
    label = str(ExportKind(kind).label)
    where = community.name if community is not None else _("全街道")
    return f"{label}_{where}_{stamp}.xlsx"[:120]


def export_job_create(
    *, user, kind: str = ExportKind.RESIDENTS, community=None, filters: dict, reveal=False, ip=None
) -> tuple[ExportJob, bool]:
    """Queue an export of what `filters` select (the exporter's keywords, e.g.
    ledger_selectors.resident_filter's), for `user` alone. Returns (job, created): the same
    export still queued or running for this user is returned instead of a second one (a
    double click queues one job). 404 for a community outside the user's scope, 403 without
    the view permission, or without reveal_personal when `reveal`."""
    perm = VIEW_PERMS[kind]
    if community is not None:
        require(user, perm, community)
        if reveal:
            require(user, REVEAL_PERM, community)
    elif not can(user, perm) or (reveal and not can(user, REVEAL_PERM)):
        raise PermissionDenied(_("您没有执行此操作的权限"))
    with transaction.atomic():
        same = (
            ExportJob.objects.select_for_update()
            .filter(
                user=user,
                kind=kind,
                community=community,
                filters=filters,
                reveal=reveal,
                state__in=EXPORT_OPEN_STATES,
            )
            .defer("content")
            .first()
        )
        if same is not None:
            return same, False
        job = ExportJob.objects.create(
            user=user,
            kind=kind,
            community=community,
            filters=filters,
            reveal=bool(reveal),
            file_name=_file_name(kind, community),
            language=translation.get_language() or settings.LANGUAGE_CODE,
            ip=ip or None,
        )
        _enqueue(job.pk)
    return job, True


def _enqueue(job_id: int) -> None:
    def send():
        from communities import tasks

        try:
            tasks.export_job_run.apply_async(
                args=[job_id], queue=getattr(settings, "LEDGER_EXPORT_QUEUE", None)
            )
        except Exception:  # the broker is down: the job stays queued; the cleanup fails it
            log.exception("could not enqueue export job %s", job_id)

    transaction.on_commit(send)


def export_job_list(*, user):
    """The user's own export jobs, newest first, without the files (one query)."""
    return (
        ExportJob.objects.filter(user=user)
        .select_related("community")
        .defer("content")
        .order_by("-created_at", "-pk")
    )


def export_job_get(*, user, pk) -> ExportJob:
    """One of the user's own jobs (without the file); 404 for anyone else's, and for one
    whose community is no longer in the user's scope."""
    job = export_job_list(user=user).filter(pk=pk).first()
    if job is None:
        raise Http404
    scope = scope_for(user)
    community_id = job.community_id
    if (
        community_id is not None
        and not scope.everything
        and community_id not in scope.community_ids
    ):
        raise Http404
    return job


def export_job_download(*, user, pk) -> tuple[ExportJob, Iterator[bytes]]:
    """The job and its file as chunks, for its owner, while it is done and not expired."""
    job = export_job_get(user=user, pk=pk)
    if job.state != ExportState.DONE or job.expires_at <= timezone.now():
        raise Http404
    return job, _chunks(job.pk, job.size)


def _chunks(pk: int, size: int) -> Iterator[bytes]:
    """The file read slice by slice (substring on the uncompressed column): the web process
    never holds more than DOWNLOAD_CHUNK of it."""
    for start in range(0, size, DOWNLOAD_CHUNK):
        part = (
            ExportJob.objects.filter(pk=pk)
            .annotate(
                part=Func(
                    F("content"),
                    Value(start + 1),
                    Value(DOWNLOAD_CHUNK),
                    function="substring",
                    output_field=BinaryField(),
                )
            )
            .values_list("part", flat=True)
            .first()
        )
        if not part:  # deleted (expired) meanwhile
            return
        yield bytes(part)


# --- the task's run -----------------------------------------------------------------------


def export_job_run(*, job_id: int) -> str:
    """Write the job's workbook (Celery task communities.tasks.export_job_run). Idempotent:
    the job is claimed with a conditional UPDATE (queued -> running), so a second delivery
    of the task does nothing. The file, its row count and the PersonalDataLog rows are
    committed together; a failure keeps none of them and marks the job failed."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, state=ExportState.QUEUED).update(
        state=ExportState.RUNNING, started_at=now
    )
    if not claimed:
        return "skipped"
    job = ExportJob.objects.select_related("user").defer("content").get(pk=job_id)
    exporter = EXPORTERS[ExportKind(job.kind)]
    try:
        with (
            translation.override(job.language),
            tempfile.TemporaryFile() as handle,
            transaction.atomic(),
        ):
            rows = exporter(
                user=job.user, filters=job.filters, reveal=job.reveal, stream=handle, ip=job.ip
            )
            size = _store(job.pk, handle)
            finished = timezone.now()
            done = ExportJob.objects.filter(pk=job.pk, state=ExportState.RUNNING).update(
                state=ExportState.DONE,
                rows=rows,
                size=size,
                finished_at=finished,
                expires_at=finished + EXPORT_KEEP,
                message="",
            )
            if not done:  # failed by the cleanup meanwhile: keep neither file nor log
                transaction.set_rollback(True)
                return "abandoned"
    except Exception as exc:
        if isinstance(exc, PermissionDenied):
            message = str(exc) or _("您没有执行此操作的权限")
        else:
            log.exception("export job %s failed", job_id)
            message = _("导出失败，请稍后重试或联系管理员")
        ExportJob.objects.filter(pk=job.pk, state=ExportState.RUNNING).update(
            state=ExportState.FAILED, finished_at=timezone.now(), message=message
        )
        return "failed"
    return "done"


def _store(pk: int, handle) -> int:
    """Copy the written file into the job's row STORE_CHUNK at a time (content || chunk):
    the worker never holds the whole file, nor its escaped copy in the SQL, so its memory
    stays flat whatever the size of the export. Returns the size."""
    handle.seek(0)
    ExportJob.objects.filter(pk=pk).update(content=b"")
    size = 0
    while chunk := handle.read(STORE_CHUNK):
        ExportJob.objects.filter(pk=pk).update(
            content=CombinedExpression(
                F("content"), "||", Value(chunk, output_field=BinaryField()), BinaryField()
            )
        )
        size += len(chunk)
    return size


def export_jobs_cleanup(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The hourly sweep (communities.tasks.export_jobs_cleanup): delete the files of jobs
    past `expires_at`, fail jobs queued or running for longer than STALE_AFTER (a lost task
    or a dead worker), and forget finished jobs after FORGET_AFTER (PersonalDataLog keeps
    who exported what). Idempotent."""
    now = now or timezone.now()
    expired = ExportJob.objects.filter(state=ExportState.DONE, expires_at__lte=now).update(
        state=ExportState.EXPIRED, content=b"", size=0
    )
    stale = ExportJob.objects.filter(
        state__in=EXPORT_OPEN_STATES, created_at__lte=now - STALE_AFTER
    ).update(
        state=ExportState.FAILED,
        finished_at=now,
        message=_("导出未能在规定时间内完成，请重新导出"),
    )
    forgotten, _by_model = (
        ExportJob.objects.filter(created_at__lte=now - FORGET_AFTER)
        .exclude(state__in=EXPORT_OPEN_STATES)
        .delete()
    )
    return {"expired": expired, "stale": stale, "forgotten": forgotten}


def export_job_filters_text(job: ExportJob) -> str:
    """The job's filters as the log shows them."""
    return filters_text({k: v for k, v in job.filters.items() if k != "community_id"})
