"""The two runs of an import job (the bodies of the Celery tasks core.tasks.import_validate
and import_apply).

Validation is a dry run of the apply: every row goes through the spec's `apply_row` (and so
through the app's services and their rules) in one transaction that is rolled back at the
end, each row in its own savepoint so a refused row does not stop the others. A row that
depends on an earlier row of the same file (a second post of a new worker, an STAFF-8 pair
in two rows) is therefore judged exactly as the apply will judge it. The apply runs the same
code in one transaction that is committed only if no row fails: all or nothing.

Progress (rows done, rows per second) is written every settings.IMPORT_PROGRESS_EVERY rows
through a second database connection, so the progress page sees it while the transaction
is open; the same statement reads the job's state, and a cancelled job rolls back.

Specs that declare `bulk = True` (street-size ledgers) run set-based instead: see
core.imports.bulk.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field

import pghistory
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.imports.files import FileRejected
from core.imports.sheets import Sheet, open_sheet
from core.imports.spec import CellError, ImportContext, ImportSpec, Row, RowError, get_spec
from core.models import ImportJob, ImportState

log = logging.getLogger(__name__)

APPLY_LOCK = (0x494D, 0)  # advisory lock ("IM"): one apply at a time


class ImportCancelled(Exception):
    pass


class NotApplying(Exception):
    """The job left `applying` while this run waited for the apply lock."""


class ApplyFailed(Exception):
    def __init__(self, result):
        super().__init__()
        self.result = result


@dataclass
class RunResult:
    total: int = 0
    done: int = 0
    counts: Counter = field(default_factory=Counter)
    errors: list = field(default_factory=list)
    error_count: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        return round(self.done / max(time.monotonic() - self.started, 1e-6), 1)

    def add_error(self, error: dict) -> None:
        self.error_count += 1
        if len(self.errors) < settings.IMPORT_MAX_ERRORS:
            self.errors.append(error)

    def fields(self) -> dict:
        return {
            "rows_total": self.total,
            "rows_done": self.done,
            "rows_new": self.counts["new"],
            "rows_updated": self.counts["updated"],
            "rows_unchanged": self.counts["unchanged"],
            "rows_invalid": self.counts["invalid"],
            "rows_per_second": self.rate,
            "errors": self.errors,
            "error_count": self.error_count,
            "finished_at": timezone.now(),
        }


class Progress:
    """Writes progress on a second connection (visible while the run's transaction is open)
    and returns the job's state as stored, so a cancel is seen."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.conn = None

    def write(self, result: RunResult) -> str | None:
        if self.conn is None:
            self.conn = connection.copy()
            with self.conn.cursor() as cursor:
                # A progress figure lost in a crash is harmless: no wait for the WAL flush.
                cursor.execute("SET synchronous_commit = off")
        table = ImportJob._meta.db_table
        with self.conn.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET rows_done = %s, rows_per_second = %s "  # noqa: S608
                "WHERE id = %s RETURNING state",
                [result.done, result.rate, self.job_id],
            )
            row = cursor.fetchone()
        return row[0] if row else None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def _error(sheet: Sheet, row: Row, spec: ImportSpec, key, reason) -> dict:
    column = None
    if key:
        column = next((c for c in spec.columns if c.key == key), None)
    value = row.raw.get(key) if key else None
    return {
        "sheet": sheet.name,
        "row": row.number,
        "column": str(column.header) if column else "",
        "letter": sheet.letter(key) if key else "",
        "value": "" if value is None else str(value),
        "reason": str(reason),
    }


def _validation_errors(sheet, row, spec, exc: ValidationError) -> list[dict]:
    if hasattr(exc, "error_dict"):
        out = []
        for name, errors in exc.error_dict.items():
            column = spec.column_for_field(name)
            for message in ValidationError(errors).messages:
                out.append(_error(sheet, row, spec, column.key if column else None, message))
        return out
    return [_error(sheet, row, spec, None, message) for message in exc.messages]


def _row(ctx: ImportContext, sheet: Sheet, row: Row, result: RunResult, seen: dict) -> None:
    spec = ctx.spec
    errors = []
    formulas = set(sheet.formula_keys(row))
    for key in formulas:
        errors.append(
            _error(sheet, row, spec, key, _("单元格含公式，请改为直接填写数值（选择性粘贴→数值）"))
        )
    for column in spec.columns:
        if column.key in formulas:
            continue
        try:
            row.values[column.key] = column.parse(row.raw.get(column.key))
        except CellError as exc:
            errors.append(_error(sheet, row, spec, column.key, exc))
    if not errors:
        key = spec.natural_key(row.values)
        if key is not None and key in seen:
            errors.append(
                _error(sheet, row, spec, None, _("与第 %(row)s 行重复") % {"row": seen[key]})
            )
        elif key is not None:
            seen[key] = row.number
    if not errors:
        ctx._pending = []
        try:
            with transaction.atomic():
                spec.clean_row(ctx, row)
                outcome = spec.apply_row(ctx, row)
        except RowError as exc:
            errors.append(_error(sheet, row, spec, exc.column, exc.message))
        except ValidationError as exc:
            errors.extend(_validation_errors(sheet, row, spec, exc))
        except (PermissionDenied, Http404):
            errors.append(_error(sheet, row, spec, None, _("您无权导入该社区的记录")))
        except (IntegrityError, DataError):
            errors.append(_error(sheet, row, spec, None, _("与已有数据冲突，无法保存")))
        else:
            for callback in ctx._pending:
                callback()
            result.counts[str(outcome)] += 1
        ctx._pending = []
    if errors:
        result.counts["invalid"] += 1
        for error in errors:
            result.add_error(error)


def _run(job: ImportJob, *, commit: bool) -> RunResult:
    """Every row through the spec in one transaction: rolled back after a validation,
    committed after an apply only if no row failed and the job was not cancelled. A spec
    with `bulk = True` runs set-based instead (core.imports.bulk)."""
    spec = get_spec(job.kind)
    if spec.bulk:
        from core.imports import bulk

        return bulk.apply(job) if commit else bulk.validate(job)
    sheet = open_sheet(bytes(job.content), spec)
    user = (job.confirmed_by or job.created_by) if commit else job.created_by
    ctx = ImportContext(user=user, spec=spec, community=job.community)
    result = RunResult(total=sheet.data_rows)
    progress, every, seen = Progress(job.pk), max(settings.IMPORT_PROGRESS_EVERY, 1), {}
    try:
        with (
            transaction.atomic(),
            pghistory.context(user=getattr(user, "pk", None), import_job=job.pk),
        ):
            if commit:
                # One apply at a time, street-wide: a second import of the same people waits
                # and then matches the rows the first one committed instead of creating them
                # again (read committed: every statement after the lock sees them). A run of
                # the same job that waited finds it no longer applying.
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(APPLY_LOCK))
                if not ImportJob.objects.filter(pk=job.pk, state=ImportState.APPLYING).exists():
                    raise NotApplying
            for row in sheet.rows():
                _row(ctx, sheet, row, result, seen)
                result.done += 1
                if result.done % every == 0 and progress.write(result) == ImportState.CANCELLED:
                    raise ImportCancelled
            if not commit:
                result.total = result.done  # data_rows was an upper bound
                transaction.set_rollback(True)
            elif result.counts["invalid"]:
                raise ApplyFailed(result)
            else:
                done = ImportJob.objects.filter(pk=job.pk, state=ImportState.APPLYING).update(
                    state=ImportState.DONE, message="", **result.fields()
                )
                if not done:
                    raise ImportCancelled
    finally:
        progress.close()
    return result


def _fail(job_id: int, from_state: str, message: str, result: RunResult | None = None, errors=()):
    fields = result.fields() if result is not None else {"finished_at": timezone.now()}
    if errors:
        fields["errors"] = list(errors)[: settings.IMPORT_MAX_ERRORS]
        fields["error_count"] = len(errors)
    ImportJob.objects.filter(pk=job_id, state=from_state).update(
        state=ImportState.FAILED, message=message, **fields
    )


def import_job_validate(*, job_id: int) -> str:
    """The validation task: a dry run of every row; the job ends `validated` with its
    counts and errors (or `failed` when the file itself cannot be read). Idempotent: a job
    past validation is left alone."""
    claimed = ImportJob.objects.filter(
        pk=job_id, state__in=[ImportState.UPLOADED, ImportState.VALIDATING]
    ).update(state=ImportState.VALIDATING, started_at=timezone.now(), rows_done=0)
    job = ImportJob.objects.select_related("community", "created_by").get(pk=job_id)
    if not claimed:
        return job.state
    with translation.override(job.language):
        try:
            result = _run(job, commit=False)
        except ImportCancelled:
            return ImportState.CANCELLED
        except FileRejected as exc:
            _fail(job_id, ImportState.VALIDATING, exc.message, errors=exc.errors)
            return ImportState.FAILED
        except Exception:
            log.exception("import job %s: validation failed", job_id)
            _fail(job_id, ImportState.VALIDATING, _("校验时发生内部错误，未写入任何数据"))
            return ImportState.FAILED
        ImportJob.objects.filter(pk=job_id, state=ImportState.VALIDATING).update(
            state=ImportState.VALIDATED, **result.fields()
        )
    return ImportJob.objects.values_list("state", flat=True).get(pk=job_id)


def import_job_apply(*, job_id: int) -> str:
    """The apply task of a confirmed job: all rows in one transaction, or none. Running it
    twice (a redelivered message) applies once: the second run waits for the apply lock and
    then finds the job no longer `applying`."""
    job = ImportJob.objects.select_related("community", "created_by", "confirmed_by").get(pk=job_id)
    if job.state != ImportState.APPLYING:
        return job.state
    with translation.override(job.language):
        try:
            _run(job, commit=True)
        except NotApplying:
            return ImportJob.objects.values_list("state", flat=True).get(pk=job_id)
        except ImportCancelled:
            return ImportState.CANCELLED
        except ApplyFailed as exc:
            # The data changed since the validation (another user, another import): nothing
            # was written; the report says which rows.
            _fail(
                job_id,
                ImportState.APPLYING,
                _("导入时发现错误（数据在校验后有变化），未写入任何数据，请查看错误报告"),
                exc.result,
            )
            return ImportState.FAILED
        except FileRejected as exc:
            _fail(job_id, ImportState.APPLYING, exc.message, errors=exc.errors)
            return ImportState.FAILED
        except Exception:
            log.exception("import job %s: apply failed", job_id)
            _fail(job_id, ImportState.APPLYING, _("导入时发生内部错误，已全部撤销，未写入任何数据"))
            return ImportState.FAILED
    return ImportState.DONE
