"""Import jobs: who may import what, which jobs a user sees, and the user's steps (upload,
confirm, cancel). The two runs, validation and apply, are in core.imports.run; the Celery tasks
in core.tasks call them with the job id."""

from __future__ import annotations

import hashlib
import logging

import psycopg
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.imports.files import check_size
from core.imports.sheets import open_sheet
from core.imports.spec import ImportSpec, get_spec
from core.models import IMPORT_OPEN_STATES, ImportJob, ImportState
from core.scoping import can, scope_for, scoped

log = logging.getLogger(__name__)


# --- permissions and reads ---------------------------------------------------------------


def can_import(user, spec: ImportSpec, community=None) -> bool:
    """Whether `user` may import `spec` into `community` (None: a street-wide import, which
    needs the permissions somewhere and a spec with a 社区 column; each row is then checked
    in its own community)."""
    if community is None:
        if spec.community_column is None:
            return False
        return all(can(user, perm) for perm in spec.perms)
    return all(can(user, perm, community) for perm in spec.perms)


def require_import(user, spec: ImportSpec, community=None) -> None:
    """404 for a community outside the user's scope, 403 without the permissions."""
    if community is not None:
        scope = scope_for(user)
        if not scope.everything and community.pk not in scope.community_ids:
            raise Http404
    if not can_import(user, spec, community):
        raise PermissionDenied(_("您没有导入%(title)s的权限") % {"title": spec.title})


def import_communities(*, user, spec: ImportSpec):
    """The communities `user` may import `spec` into."""
    from communities.models import Community

    communities = scoped(Community.objects.filter(is_active=True), user).order_by("name")
    return [c for c in communities if can_import(user, spec, c)]


def _visible(user) -> Q | None:
    """Jobs a user may see: those of the kinds they may import in each of their communities,
    and their own street-wide jobs. None: everything (superusers)."""
    from core.imports.spec import all_specs

    scope = scope_for(user)
    if scope.everything:
        return None
    q = Q(community__isnull=True, created_by=user)
    for spec in all_specs():
        ids = [
            cid
            for cid, perms in scope.perms_by_community.items()
            if cid in scope.community_ids and all(p in perms for p in spec.perms)
        ]
        if ids:
            q |= Q(kind=spec.kind, community_id__in=ids)
    return q


def _visible_jobs(user, kind):
    jobs = scoped(ImportJob.objects.all(), user) | ImportJob.objects.filter(
        community__isnull=True, created_by=user
    )
    visible = _visible(user)
    if visible is not None:
        jobs = jobs.filter(visible)
    if kind:
        jobs = jobs.filter(kind=kind)
    return jobs.select_related("community", "created_by")


def import_job_list(*, user, kind: str | None = None):
    """The jobs `user` may see, newest first, without the file and the errors (two queries
    at any size, with the community and the uploader)."""
    return _visible_jobs(user, kind).defer("content", "errors")


def import_job_get(*, user, pk, kind: str | None = None) -> ImportJob:
    """One job the user may see (with its errors, without the file); 404 otherwise."""
    job = _visible_jobs(user, kind).defer("content").filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


# --- services -----------------------------------------------------------------------------


def _enqueue(task_name: str, job_id: int) -> None:
    def send():
        from core import tasks

        try:
            getattr(tasks, task_name).apply_async(args=[job_id], queue=settings.IMPORT_QUEUE)
        except Exception:  # the broker is down: the job waits; the page says so
            log.exception("could not enqueue %s for import job %s", task_name, job_id)

    transaction.on_commit(send)


def read_upload(upload) -> bytes:
    """The bytes of an uploaded file, refusing an oversize one before reading it."""
    check_size(upload.size or 0)
    data = b"".join(upload.chunks())
    check_size(len(data))
    return data


@transaction.atomic
def import_job_create(*, user, spec: ImportSpec, community, upload) -> ImportJob:
    """Check the permission and the file (container, sheet, headers, size) and store the
    job; its validation runs as a task. A refused file raises FileRejected and stores
    nothing."""
    require_import(user, spec, community)
    data = read_upload(upload)
    sheet = open_sheet(data, spec)
    job = ImportJob.objects.create(
        kind=spec.kind,
        community=community,
        created_by=user,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        file_name=(getattr(upload, "name", "") or "upload.xlsx")[:255],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        rows_total=sheet.data_rows,
    )
    _store_content(job, data)
    _enqueue("import_validate", job.pk)
    return job


def _store_content(job: ImportJob, data: bytes) -> None:
    """The file's bytes, sent as a binary parameter (%b): the ORM's client-side binding
    would spell 20 MB of bytes out as 40 MB of hex text for the server to parse back."""
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:  # server-side binding
        cursor.execute(
            f"UPDATE {ImportJob._meta.db_table} SET content = %b WHERE id = %s",  # noqa: S608
            [data, job.pk],
        )
    job.content = data


def import_job_confirm(*, user, job: ImportJob) -> bool:
    """The user's go-ahead: validated without errors -> applying, once. A second confirm
    (double click, two tabs, two users) finds the state changed and does nothing."""
    require_import(user, get_spec(job.kind), job.community)
    with transaction.atomic():
        claimed = ImportJob.objects.filter(
            pk=job.pk, state=ImportState.VALIDATED, rows_invalid=0
        ).update(
            state=ImportState.APPLYING,
            confirmed_by=user,
            started_at=timezone.now(),
            finished_at=None,
            rows_done=0,
            rows_per_second=None,
        )
        if claimed:
            _enqueue("import_apply", job.pk)
    return bool(claimed)


def import_job_cancel(*, user, job: ImportJob) -> bool:
    """Stop a job that has not finished. An apply under way rolls back at its next progress
    check (or at its final step): nothing it did is kept."""
    spec = get_spec(job.kind)
    require_import(user, spec, job.community)
    cancelled = ImportJob.objects.filter(pk=job.pk, state__in=IMPORT_OPEN_STATES).update(
        state=ImportState.CANCELLED,
        finished_at=timezone.now(),
        message=_("已取消，未写入任何数据"),
    )
    if cancelled and spec.bulk and job.state == ImportState.VALIDATED:
        # No run is under way to drop the staging rows (a running one drops them itself).
        from core.imports.bulk import stage_clear

        stage_clear(job.pk)
    return bool(cancelled)
