"""The set-based ("bulk") runs of an import job, for specs that declare `bulk = True` (the
households ledger: 100,000 residents in one file).

Validation: the rows stream from the sheet (files.Sheet.values), each cell goes through its
column's parser and the whole row through the spec's `bulk_row` (pure Python, no queries:
the ledger derives it with the same function its service uses); a row without errors is
written to the job's staging rows with COPY (core.ImportStagingRow, an UNLOGGED table); a
big file's odd rows are read by a forked parse helper (core.imports.helper). The
spec's `bulk_check` then matches the staged set against the database in SQL (new, updated,
unchanged; duplicates within the file; conflicts) and the job is `validated` with the
counts and the errors. Nothing but the staging rows is written.

Apply (after the user's confirmation): in one transaction, under the same advisory lock as
the row-by-row apply, `bulk_check` runs again on the data as it is now; any error (data
changed since the validation) fails the job with nothing written. Otherwise `bulk_apply`
writes the staged rows with a few INSERT ... SELECT / UPDATE ... FROM statements per batch of
rows, reporting progress between batches (where a cancel is seen and rolls everything
back). Audit triggers stay on, so only rows that change are written. The staging rows go
when the job ends.
"""

from __future__ import annotations

import contextlib
import gc
import time
from dataclasses import replace

import pghistory
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils.translation import gettext as _

from core.imports.files import FileRejected
from core.imports.helper import ParseHelper
from core.imports.helper import wanted as parse_helper_wanted
from core.imports.run import (
    APPLY_LOCK,
    ApplyFailed,
    ImportCancelled,
    NotApplying,
    Progress,
    RunResult,
)
from core.imports.sheets import Sheet, open_sheet, too_many_rows
from core.imports.spec import BulkCheck, CellError, ImportContext, ImportSpec
from core.models import IMPORT_STAGING_SLOTS, ImportJob, ImportStagingRow, ImportState

TABLE = ImportStagingRow._meta.db_table
ALL_ROWS = (0, 2**31 - 1)
OPEN_STATES = (ImportState.VALIDATING, ImportState.VALIDATED, ImportState.APPLYING)


class Stage:
    """The staging rows of one job under the spec's names for their slots."""

    def __init__(self, job_id: int, fields: tuple[tuple[str, str], ...]):
        self.job_id = job_id
        used = dict.fromkeys(IMPORT_STAGING_SLOTS, 0)
        self.slots: dict[str, str] = {}
        for name, kind in fields:
            prefix, count = IMPORT_STAGING_SLOTS[kind]
            if used[kind] >= count:
                raise ImproperlyConfigured(f"more than {count} {kind} staging values")
            self.slots[name] = f"{prefix}{used[kind]}"
            used[kind] += 1

    def source(self) -> str:
        """The staged rows of the job between the row numbers %(lo)s (included) and
        %(hi)s (excluded), as a derived table with `row_no` and the spec's names; the
        parameters come from params()."""
        columns = ", ".join(f"{slot} AS {name}" for name, slot in self.slots.items())
        return (
            f"(SELECT row_no, {columns} FROM {TABLE} "  # noqa: S608
            "WHERE job_id = %(job)s AND row_no >= %(lo)s AND row_no < %(hi)s)"
        )

    def params(self, rows: tuple[int, int] = ALL_ROWS, **extra) -> dict:
        return {"job": self.job_id, "lo": rows[0], "hi": rows[1], **extra}

    def batches(self, size: int):
        """Row-number ranges of about `size` staged rows each, in order."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT row_no FROM (SELECT row_no, row_number() OVER (ORDER BY row_no) AS i "  # noqa: S608
                f"FROM {TABLE} WHERE job_id = %s) t WHERE i %% %s = 1 ORDER BY row_no",
                [self.job_id, size],
            )
            starts = [row[0] for row in cursor.fetchall()]
        return [
            (start, starts[i + 1] if i + 1 < len(starts) else ALL_ROWS[1])
            for i, start in enumerate(starts)
        ]

    @contextlib.contextmanager
    def writer(self):
        """(`write(row number, values)` for each row, `send(data)` for rows already in
        COPY's text format), streamed to PostgreSQL with COPY."""
        columns = ", ".join(["job_id", "row_no", *self.slots.values()])
        sql = f"COPY {TABLE} ({columns}) FROM STDIN"  # noqa: S608
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            yield self.rows_to(copy), copy.write

    def rows_to(self, copy):
        """`write(row number, values)` into a psycopg Copy, as the staging rows' columns."""
        write, job = copy.write_row, self.job_id
        return lambda number, values: write((job, number, *values))

    def clear(self) -> None:
        stage_clear(self.job_id)


def stage_clear(job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE job_id = %s", [job_id])  # noqa: S608


def _sweep(job_id: int) -> None:
    """The staging rows of this job (a validation run again) and of jobs that ended or
    were deleted without their own run cleaning up."""
    jobs = ImportJob._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {TABLE} s WHERE s.job_id = %s OR NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {jobs} j WHERE j.id = s.job_id AND j.state = ANY(%s))",
            [job_id, list(OPEN_STATES)],
        )


def _error(sheet_name: str, sheet: Sheet | None, spec: ImportSpec, number, key, value, reason):
    column = next((c for c in spec.columns if c.key == key), None) if key else None
    return {
        "sheet": sheet_name,
        "row": number,
        "column": str(column.header) if column else "",
        "letter": sheet.letter(key) if (sheet is not None and key) else "",
        "value": "" if value is None else str(value),
        "reason": str(reason),
    }


def _record_check(result, check: BulkCheck, sheet_name, sheet, spec) -> None:
    for outcome, n in check.counts.items():
        result.counts[outcome] += n
    result.counts["invalid"] += check.invalid_rows
    for number, key, value, reason in check.errors:
        result.add_error(_error(sheet_name, sheet, spec, number, key, value, reason))
    result.error_count += check.error_count - len(check.errors)
    result.errors.sort(key=lambda e: e["row"] or 0)


def _cells(columns, raw: list, formulas) -> tuple[dict, list]:
    """A row's values and the errors of its cells, one by one."""
    values, errors = {}, []
    for i, key, parse in columns:
        if formulas is not None and i in formulas:
            errors.append((key, _("单元格含公式，请改为直接填写数值（选择性粘贴→数值）")))
            continue
        try:
            values[key] = parse(raw[i])
        except CellError as exc:
            errors.append((key, str(exc)))
    return values, errors


def _parse(sheet: Sheet, share, spec: ImportSpec, ctx: ImportContext, result, write, tick):
    """Read, parse and derive the rows of `share` (all with None): a row without errors
    goes to `write(number, record)`, the errors of the others to `result`; `tick()` every
    settings.IMPORT_PROGRESS_EVERY rows."""
    columns = [(i, c.key, c.parser()) for i, c in enumerate(spec.columns)]
    counts, add_error, bulk_row = result.counts, result.add_error, spec.bulk_row
    every = max(settings.IMPORT_PROGRESS_EVERY, 1)
    for number, raw, formulas in sheet.values(share):
        errors = ()
        try:
            if formulas is not None:
                raise CellError
            values = {key: parse(raw[i]) for i, key, parse in columns}
        except CellError:  # say what is wrong with every cell of the row
            values, errors = _cells(columns, raw, formulas)
        if not errors:
            record, errors = bulk_row(ctx, number, values)
        if errors:
            counts["invalid"] += 1
            for key, reason in errors:
                value = raw[sheet.keys.index(key)] if key in sheet.keys else None
                add_error(_error(sheet.name, sheet, spec, number, key, value, reason))
        else:
            write(number, record)
        result.done += 1
        if result.done % every == 0:
            tick()


def _helper_work(stage: Stage, sheet: Sheet, spec: ImportSpec, ctx: ImportContext):
    """What the parse helper (core.imports.helper) runs: the odd rows, as COPY text."""
    from psycopg import Copy
    from psycopg.copy import FileWriter

    def work(data, tick) -> dict:
        part = RunResult()
        # The cursor only lends its adapters to the formatter: nothing is sent with it.
        with Copy(connection.connection.cursor(), writer=FileWriter(data)) as copy:
            _parse(sheet, (1, 2), spec, ctx, part, stage.rows_to(copy), lambda: tick(part.done))
        return {
            "done": part.done,
            "invalid": part.counts["invalid"],
            "errors": part.errors,
            "error_count": part.error_count,
        }

    return work


def validate(job: ImportJob) -> RunResult:
    """The validation run of a bulk spec (see the module docstring); returns the RunResult.
    A big file is parsed by two processes (core.imports.helper)."""
    spec = _spec(job)
    sheet = open_sheet(bytes(job.content), spec, checked=True)
    job.content = b""  # the sheet reads its own reference; no second copy for the run
    ctx = ImportContext(user=job.created_by, spec=spec, community=job.community)
    result = RunResult(total=job.rows_total)
    progress = Progress(job.pk)
    stage = Stage(job.pk, spec.staging)
    finished, helper, next_write = False, None, 0.0

    def tick() -> None:
        nonlocal next_write
        if time.monotonic() < next_write:
            return
        if helper is not None:
            helper.check()  # a helper that failed fails the run now, not at the end
        shown = result if helper is None else replace(result, done=result.done + helper.done())
        if progress.write(shown) == ImportState.CANCELLED:
            raise ImportCancelled
        next_write = time.monotonic() + settings.IMPORT_PROGRESS_SECONDS

    try:
        _sweep(job.pk)
        spec.bulk_prepare(ctx)
        if parse_helper_wanted(job.rows_total):
            helper = ParseHelper(_helper_work(stage, sheet, spec, ctx)).start()
        share = None if helper is None else (0, 2)
        with transaction.atomic(), stage.writer() as (write, send):
            gc.disable()  # 100,000 rows of short-lived objects: no collection passes
            try:
                _parse(sheet, share, spec, ctx, result, write, tick)
            finally:
                gc.enable()
            if helper is not None:
                part = helper.wait(tick)
                for chunk in helper.copy_data():
                    send(chunk)
                _merge(result, part)
                if result.done > sheet.row_limit:  # each side counted only its own rows
                    raise too_many_rows(sheet.row_limit)
        if not result.done:
            raise FileRejected(_("工作表“%(name)s”只有表头，没有数据行") % {"name": sheet.name})
        result.total = result.done
        _record_check(result, spec.bulk_check(ctx, stage), sheet.name, sheet, spec)
        finished = True
    finally:
        if helper is not None:
            helper.close()
        progress.close()
        if not finished:
            with contextlib.suppress(Exception):
                stage.clear()
    return result


def _merge(result: RunResult, part: dict) -> None:
    """The helper's rows into the run's result: counts, and the first errors by row (each
    side kept its first ones, so together they hold the first ones of the file)."""
    result.done += part["done"]
    result.counts["invalid"] += part["invalid"]
    errors = sorted(result.errors + part["errors"], key=lambda e: e["row"] or 0)
    result.errors = errors[: settings.IMPORT_MAX_ERRORS]
    result.error_count += part["error_count"]


def apply(job: ImportJob) -> RunResult:
    """The apply run of a bulk spec: check again under the lock, then write, all or
    nothing; the job ends `done` in the same transaction."""
    from core.imports.jobs import can_import

    spec = _spec(job)
    user = job.confirmed_by or job.created_by
    ctx = ImportContext(user=user, spec=spec, community=job.community, applying=True)
    result = RunResult(total=job.rows_total)
    progress = Progress(job.pk)
    stage = Stage(job.pk, spec.staging)
    clear = True
    try:
        with (
            transaction.atomic(),
            pghistory.context(user=getattr(user, "pk", None), import_job=job.pk),
        ):
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(APPLY_LOCK))
            if not ImportJob.objects.filter(pk=job.pk, state=ImportState.APPLYING).exists():
                clear = False  # another run of this job finished it (a redelivered task)
                raise NotApplying
            if user is None or not can_import(user, spec, job.community):
                raise FileRejected(
                    _("您已没有导入%(title)s的权限，未写入任何数据") % {"title": spec.title}
                )
            check = spec.bulk_check(ctx, stage)
            staged = sum(check.counts.values()) + check.invalid_rows
            if check.invalid_rows or staged != job.rows_total:
                _record_check(result, check, str(spec.sheet_name), None, spec)
                if not check.invalid_rows:
                    result.counts["invalid"] += abs(job.rows_total - staged)
                raise ApplyFailed(result)

            def report(done: int) -> None:
                result.done = done
                if progress.write(result) == ImportState.CANCELLED:
                    raise ImportCancelled

            with connection.cursor() as cursor:
                # Foreign keys checked as each statement ends: with thousands of deferred
                # checks queued, every row's audit trigger (its plpgsql exception block is
                # a subtransaction) rescans the queue, which makes a batched apply quadratic.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            written = spec.bulk_apply(ctx, stage, report)
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's FKs: as they were
            if {k: v for k, v in written.items() if v} != {
                k: v for k, v in check.counts.items() if v
            }:
                raise ApplyFailed(result)
            for outcome, n in written.items():
                result.counts[outcome] += n
            result.done = result.total
            stage.clear()
            done = ImportJob.objects.filter(pk=job.pk, state=ImportState.APPLYING).update(
                state=ImportState.DONE, message="", **result.fields()
            )
            if not done:
                raise ImportCancelled
    except BaseException:
        if clear:
            with contextlib.suppress(Exception):
                stage.clear()
        raise
    finally:
        progress.close()
    return result


def _spec(job: ImportJob) -> ImportSpec:
    from core.imports.spec import get_spec

    spec = get_spec(job.kind)
    if job.community is None:
        raise FileRejected(_("请选择要导入的社区"))
    return spec
