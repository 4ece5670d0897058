"""The parse helper of a big bulk validation (core.imports.helper, issue #4 "Speed"): a file
of at least IMPORT_PARSE_HELPER_MIN_ROWS rows is parsed by two processes, and the outcome is
exactly that of one process -- the same staged rows, counts and errors (also when the error
list is cut at IMPORT_MAX_ERRORS). A helper that fails or dies fails the validation, and a
cancel kills it; either way nothing stays staged and no child process is left behind."""

import datetime as dt
import logging
import os
import signal
import threading

import pytest
from django.db import connection

from core.imports import get_spec, import_job_cancel, import_job_validate
from core.models import ImportJob, ImportStagingRow, ImportState
from tests.communities import test_resident_import as base
from tests.communities.test_resident_import import ID_1, ID_2, create, row, xlsx
from tests.factories import valid_id_number

grid = base.grid  # the fixture: communities A and B, A's grid and its director

STAGED_FIELDS = [
    f.name for f in ImportStagingRow._meta.concrete_fields if f.name not in ("id", "job", "job_id")
]


def _mixed_rows(n=60):
    """Good rows and, on odd and even row numbers alike, rows each side must refuse: a bad
    check digit, a date nobody writes, an address not on the grid, a duplicate ID number."""
    rows = []
    for i in range(n):
        number = valid_id_number(dt.date(1960, 1, 1) + dt.timedelta(days=i * 97), i % 900)
        cells = {"phone": f"139{i:08d}"}
        address = ("", "5栋", "1单元", f"{i // 3 + 1}")
        if i % 7 == 3:
            number = number[:-1] + ("0" if number[-1] != "0" else "1")  # check digit
        if i % 11 == 4:
            cells["moved_in"] = "二〇二〇年五月"
        if i % 13 == 5:
            address = ("", "99栋", "1单元", "101")
        rows.append(row(address=address, name=f"居民{i}", id_number=number, **cells))
    rows.append(row(address=("", "5栋", "1单元", "900"), name="重复甲", id_number=ID_1))
    rows.append(row(address=("", "5栋", "1单元", "901"), name="重复乙", id_number=ID_1))
    rows.append(row(address=("", "5栋", "1单元", "902"), name="王芳", id_number=ID_2))
    # Community B's address (same street): refused, whichever process reads it (row 65).
    rows.append(row(address=("乙小区", "9栋", "1单元", "101"), name="乙居民", id_number=""))
    return rows


def _outcome(job):
    job.refresh_from_db()
    staged = list(
        ImportStagingRow.objects.filter(job_id=job.pk).order_by("row_no").values(*STAGED_FIELDS)
    )
    counts = (job.rows_new, job.rows_updated, job.rows_unchanged, job.rows_invalid)
    return job.state, job.rows_done, counts, job.error_count, job.errors, staged


def _validate(grid, data, settings, *, helper: bool, caplog, forks):
    settings.IMPORT_PARSE_HELPER = helper
    settings.IMPORT_PARSE_HELPER_MIN_ROWS = 1
    job = create(grid, data)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="core.imports.helper"):
        import_job_validate(job_id=job.pk)
    forked = [r for r in caplog.records if r.name == "core.imports.helper"]
    assert bool(forked) == helper == bool(forks), forked
    _reaped(forks)
    return _outcome(job)


@pytest.fixture
def forks(monkeypatch):
    """The pids of the helpers forked during the test."""
    pids, fork = [], os.fork

    def recording_fork():
        pid = fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recording_fork)
    return pids


def _reaped(pids):
    """Each helper has ended and been waited for: no zombie, no orphan."""
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


@pytest.mark.django_db
@pytest.mark.parametrize("max_errors", [1000, 3])
def test_two_processes_stage_count_and_report_exactly_as_one(
    grid, settings, caplog, max_errors, forks
):
    settings.IMPORT_MAX_ERRORS = max_errors
    data = xlsx(_mixed_rows())
    one = _validate(grid, data, settings, helper=False, caplog=caplog, forks=forks)
    two = _validate(grid, data, settings, helper=True, caplog=caplog, forks=forks)
    assert one == two
    state, done, counts, error_count, errors, staged = two
    assert state == ImportState.VALIDATED and done == 64
    assert counts[3] > 10 and counts[0] + counts[3] == 64
    if max_errors > 3:
        assert any(e["row"] == 65 and "属于本街道的其他社区" in e["reason"] for e in errors)
    # Staged: every row whose cells are good, also the two with one ID number (refused
    # by the set-based check).
    assert len(staged) == counts[0] + 2
    assert error_count >= counts[3] and len(errors) == min(error_count, max_errors)
    rows = {e["row"] for e in errors}
    assert any(r % 2 for r in rows) and any(r % 2 == 0 for r in rows) or max_errors == 3
    # Both sides' rows are staged: odd and even Excel row numbers.
    assert {s["row_no"] % 2 for s in staged} == {0, 1}


@pytest.mark.django_db
def test_below_the_threshold_one_process_parses(grid, settings, caplog):
    settings.IMPORT_PARSE_HELPER_MIN_ROWS = 5000
    job = create(grid, xlsx())
    with caplog.at_level(logging.INFO, logger="core.imports.helper"):
        import_job_validate(job_id=job.pk)
    assert not [r for r in caplog.records if r.name == "core.imports.helper"]
    job.refresh_from_db()
    assert job.state == ImportState.VALIDATED and job.rows_new == 4


def _odd_rows_fail(monkeypatch, how):
    """bulk_row misbehaves on the helper's rows (odd row numbers) only."""
    spec_class = type(get_spec("residents"))
    original = spec_class.bulk_row

    def bulk_row(self, ctx, number, values):
        if number % 2 and number > 10:
            how()
        return original(self, ctx, number, values)

    monkeypatch.setattr(spec_class, "bulk_row", bulk_row)


def _raise():
    raise RuntimeError("helper bug")


def _die():
    os.kill(os.getpid(), signal.SIGKILL)


def _raise_unpicklable():
    class Local(Exception):  # a class pickle cannot name
        pass

    raise Local("nowhere to be found")


def _query():
    from communities.models import Community

    Community.objects.count()  # on the task's connection: refused in the helper


@pytest.mark.django_db
@pytest.mark.parametrize(
    "how, logged",
    [
        (_raise, "RuntimeError: helper bug"),
        (_die, "parse helper ended with status"),
        (_raise_unpicklable, "Local: nowhere to be found"),
        (_query, "the parse helper may not query"),
    ],
    ids=["raises", "killed", "unpicklable", "queries"],
)
def test_a_helper_that_fails_or_dies_fails_the_validation_with_nothing_staged(
    grid, settings, monkeypatch, how, logged, forks, caplog
):
    settings.IMPORT_PARSE_HELPER_MIN_ROWS = 1
    _odd_rows_fail(monkeypatch, how)
    job = create(grid, xlsx(_mixed_rows()))
    with caplog.at_level(logging.ERROR):
        assert import_job_validate(job_id=job.pk) == ImportState.FAILED
    assert logged in caplog.text  # the helper's own reason, in the worker's log
    job.refresh_from_db()
    assert job.state == ImportState.FAILED and "内部错误" in job.message
    assert not ImportStagingRow.objects.filter(job_id=job.pk).exists()
    assert len(forks) == 1
    _reaped(forks)


@pytest.mark.django_db(transaction=True)
def test_a_cancel_during_a_two_process_validation_kills_the_helper(
    grid, settings, monkeypatch, forks
):
    settings.IMPORT_PARSE_HELPER_MIN_ROWS = 1
    settings.IMPORT_PROGRESS_EVERY = 1
    settings.IMPORT_PROGRESS_SECONDS = 0
    job = create(grid, xlsx(_mixed_rows()))
    parent = os.getpid()
    spec_class = type(get_spec("residents"))
    original = spec_class.bulk_row

    def bulk_row(self, ctx, number, values):
        if os.getpid() == parent and number == 20:  # the user cancels from another page

            def cancel():
                import_job_cancel(user=grid["user"], job=ImportJob.objects.get(pk=job.pk))
                connection.close()

            thread = threading.Thread(target=cancel)
            thread.start()
            thread.join()
        return original(self, ctx, number, values)

    monkeypatch.setattr(spec_class, "bulk_row", bulk_row)
    assert import_job_validate(job_id=job.pk) == ImportState.CANCELLED
    job.refresh_from_db()
    assert job.state == ImportState.CANCELLED
    assert not ImportStagingRow.objects.filter(job_id=job.pk).exists()
    assert len(forks) == 1
    _reaped(forks)


@pytest.mark.django_db(transaction=True)
def test_a_prefork_celery_worker_validates_with_the_helper_and_applies(
    client, grid, settings, celery_prefork_worker
):
    """The production pool runs a task in a daemonic child, which multiprocessing would
    refuse to fork from; the helper is forked there all the same."""
    from django.urls import reverse

    from communities.models import Resident
    from tests.communities.test_resident_import import _wait_for, upload

    queue, log_path = celery_prefork_worker
    settings.IMPORT_QUEUE = queue
    client.force_login(grid["user"])
    rows = _mixed_rows(30)
    response = client.post(
        reverse("portal:import_upload", args=["residents"]),
        {"community": grid["a"].pk, "file": upload(xlsx(rows))},
    )
    assert response.status_code == 302
    job = _wait_for(ImportJob.objects.get(), {ImportState.VALIDATED, ImportState.FAILED})
    assert job.state == ImportState.VALIDATED and job.rows_done == 34, job.message
    assert job.rows_invalid > 0 and {e["row"] % 2 for e in job.errors} == {0, 1}
    assert "parse helper" in log_path.read_text(errors="replace")
    # The refused rows out, the rest goes in.
    good = [r for i, r in enumerate(rows) if (i + 2) not in {e["row"] for e in job.errors}]
    client.post(reverse("portal:import_cancel", args=[job.pk]))
    response = client.post(
        reverse("portal:import_upload", args=["residents"]),
        {"community": grid["a"].pk, "file": upload(xlsx(good))},
    )
    job = ImportJob.objects.exclude(pk=job.pk).get()
    job = _wait_for(job, {ImportState.VALIDATED, ImportState.FAILED})
    assert (job.state, job.rows_invalid, job.rows_new) == ("validated", 0, len(good))
    client.post(reverse("portal:import_confirm", args=[job.pk]))
    job = _wait_for(job, {ImportState.DONE, ImportState.FAILED})
    assert job.state == ImportState.DONE, job.message
    assert Resident.objects.filter(community=grid["a"]).count() == len(good)
    assert not ImportStagingRow.objects.exists()


@pytest.mark.django_db
def test_no_helper_is_forked_from_a_process_with_other_threads(grid, settings, forks):
    """A task run eagerly in a threaded web server: one process parses every row."""
    settings.IMPORT_PARSE_HELPER_MIN_ROWS = 1
    job = create(grid, xlsx(_mixed_rows(10)))
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        import_job_validate(job_id=job.pk)
    finally:
        stop.set()
        other.join()
    assert forks == []
    job.refresh_from_db()
    assert job.state == ImportState.VALIDATED and job.rows_done == 14


@pytest.mark.django_db
def test_the_row_limit_counts_both_processes_rows(grid, settings, forks):
    """Each process counts only its own rows; together they may not pass the limit."""
    settings.IMPORT_PARSE_HELPER_MIN_ROWS = 1
    job = create(grid, xlsx(_mixed_rows()))  # 64 rows, within the limit at the upload
    settings.IMPORT_MAX_LEDGER_ROWS = 40  # each half has 32
    assert import_job_validate(job_id=job.pk) == ImportState.FAILED
    job.refresh_from_db()
    assert "数据行数超过上限（40 行）" in job.message
    assert not ImportStagingRow.objects.filter(job_id=job.pk).exists()
    assert len(forks) == 1
    _reaped(forks)
