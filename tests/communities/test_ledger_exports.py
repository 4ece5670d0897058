"""Ledger exports (issue #4, Excel out): small exports are sent at once; above
LEDGER_EXPORT_SYNC_MAX_ROWS the portal and the admin queue an ExportJob that a real Celery
worker writes; only the user who asked downloads it (404 for anyone else); every export is
logged (who, when, which filter, how many rows), masked unless revealed, formula-escaped;
the hourly cleanup deletes expired files."""

import datetime as dt
import io
import time

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from communities import ledger_jobs as jobs
from communities.models import (
    ExportJob,
    ExportState,
    PersonalDataAction,
    PersonalDataLog,
)
from core.models import Role, TaskHeartbeat
from core.services import role_revoke
from tests.factories import (
    CommunityFactory,
    HouseholdFactory,
    ResidentFactory,
    UnitFactory,
    user_with_role,
)
from tests.helpers import query_count

PHONE = "13812345678"


def xlsx_rows(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)][1:]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def big(ab, settings):
    """Community A with 4 residents (one a formula), B with one; exports above 2 rows run
    in the background."""
    settings.LEDGER_EXPORT_SYNC_MAX_ROWS = 2
    household = HouseholdFactory(unit=UnitFactory(community=ab["a"]))
    first = ResidentFactory(household=household, name="张建华", phone=PHONE)
    ResidentFactory(household=household, name="=HYPERLINK(1)")
    ResidentFactory(household=household, name="李秀英")
    ResidentFactory(household=household, name="王大明")
    other = ResidentFactory(community=ab["b"], name="乙居民")
    return {**ab, "first": first, "other": other, "household": household}


def _url(community):
    return reverse("ledgers:residents_export", args=[community.pk])


# --- small exports stay synchronous -------------------------------------------------------


@pytest.mark.django_db
def test_small_export_is_sent_at_once_and_logged(client, big, settings):
    settings.LEDGER_EXPORT_SYNC_MAX_ROWS = 5_000
    client.force_login(big["user_a"])
    response = client.get(_url(big["a"]))
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    assert len(xlsx_rows(body(response))) == 4
    assert not ExportJob.objects.exists()
    log = PersonalDataLog.objects.get()
    assert (log.action, log.rows, log.user) == (PersonalDataAction.EXPORT, 4, big["user_a"])


@pytest.mark.django_db
def test_a_filter_under_the_limit_is_synchronous_too(client, big):
    client.force_login(big["user_a"])
    response = client.get(_url(big["a"]), {"q": "zjh"})
    assert len(xlsx_rows(body(response))) == 1 and not ExportJob.objects.exists()


# --- large exports: confirm, queue, run, download ---------------------------------------


@pytest.mark.django_db
def test_large_export_asks_first_then_queues_once(client, big, django_capture_on_commit_callbacks):
    client.force_login(big["user_a"])
    page = client.get(_url(big["a"]), {"registration_type": "huji"})
    text = page.content.decode()
    assert page.status_code == 200 and "本次导出共 4 行" in text and "后台生成" in text
    assert 'name="registration_type" value="huji"' in text
    assert not ExportJob.objects.exists() and not PersonalDataLog.objects.exists()

    with django_capture_on_commit_callbacks() as callbacks:
        first = client.post(_url(big["a"]), {"registration_type": "huji"})
    assert first.status_code == 302 and first["Location"] == reverse("ledgers:exports")
    assert len(callbacks) == 1  # the task is sent after the commit
    again = client.post(_url(big["a"]), {"registration_type": "huji"}, follow=True)
    assert "相同的导出正在生成，未重复提交" in again.content.decode()
    job = ExportJob.objects.get()
    assert (job.state, job.user, job.community, job.reveal) == (
        ExportState.QUEUED,
        big["user_a"],
        big["a"],
        False,
    )
    assert job.filters["registration_type"] == "huji"
    assert job.filters["community_id"] == big["a"].pk
    listing = client.get(reverse("ledgers:exports"))
    assert "排队中" in listing.content.decode() and listing["Refresh"] == "5"


@pytest.mark.django_db
def test_run_writes_a_masked_escaped_file_logged_once(client, big):
    job, _created = jobs.export_job_create(
        user=big["user_a"], community=big["a"], filters={"community_id": big["a"].pk}
    )
    assert jobs.export_job_run(job_id=job.pk) == "done"
    assert jobs.export_job_run(job_id=job.pk) == "skipped"  # a second delivery
    job.refresh_from_db()
    assert job.state == ExportState.DONE and job.rows == 4 and job.size == len(job.content)
    assert job.expires_at - job.finished_at == jobs.EXPORT_KEEP
    rows = xlsx_rows(bytes(job.content))
    assert len(rows) == 4
    flat = " ".join(str(c) for row in rows for c in row)
    assert big["first"].id_number not in flat and PHONE not in flat
    assert "138****5678" in flat and "'=HYPERLINK(1)" in [r[2] for r in rows]
    assert "乙居民" not in flat
    log = PersonalDataLog.objects.get()
    assert (log.action, log.model, log.community, log.user, log.rows, log.fields) == (
        PersonalDataAction.EXPORT,
        "resident",
        big["a"],
        big["user_a"],
        4,
        "",
    )

    client.force_login(big["user_a"])
    listing = client.get(reverse("ledgers:exports")).content.decode()
    url = reverse("ledgers:export_download", args=[job.pk])
    assert url in listing and "已完成" in listing
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert body(response) == bytes(job.content)
    assert "attachment" in response["Content-Disposition"]


@pytest.mark.django_db
def test_download_in_slices_gives_the_whole_file(client, big, monkeypatch):
    monkeypatch.setattr(jobs, "DOWNLOAD_CHUNK", 1000)
    job, _created = jobs.export_job_create(user=big["user_a"], community=big["a"], filters={})
    jobs.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.size > 3000
    client.force_login(big["user_a"])
    response = client.get(reverse("ledgers:export_download", args=[job.pk]))
    chunks = list(response.streaming_content)
    assert len(chunks) == -(-job.size // 1000) and b"".join(chunks) == bytes(job.content)


@pytest.mark.django_db
def test_only_the_owner_sees_and_downloads_a_job(client, big):
    job, _created = jobs.export_job_create(user=big["user_a"], community=big["a"], filters={})
    jobs.export_job_run(job_id=job.pk)
    url = reverse("ledgers:export_download", args=[job.pk])
    colleague = user_with_role(Role.PARTY_SECRETARY, community=big["a"])  # same community
    outsider = user_with_role(Role.COMMITTEE_DIRECTOR, community=big["b"])
    street = user_with_role(Role.STREET_ADMIN, street=big["a"].street)
    for user in (colleague, outsider, street):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert job.file_name not in client.get(reverse("ledgers:exports")).content.decode()
    client.force_login(big["user_a"])
    assert client.get(url).status_code == 200
    # the owner who has left the community no longer downloads its residents
    assignment = big["user_a"].role_assignments.get()
    role_revoke(by=street, assignment=assignment)
    client.force_login(big["user_a"])
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_other_communitys_export_is_404_and_queues_nothing(client, big):
    client.force_login(big["user_a"])
    assert client.get(_url(big["b"])).status_code == 404
    assert client.post(_url(big["b"])).status_code == 404
    with pytest.raises(Exception) as refused:
        jobs.export_job_create(user=big["user_a"], community=big["b"], filters={})
    assert refused.type.__name__ == "Http404"
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
def test_full_values_only_when_revealed_by_a_permitted_role(client, big):
    grid = user_with_role(Role.GRID_WORKER, community=big["a"])
    client.force_login(grid)
    assert client.post(_url(big["a"]), {"reveal": "1"}).status_code == 403
    client.post(_url(big["a"]))  # masked: allowed
    assert ExportJob.objects.get().reveal is False

    client.force_login(big["user_a"])
    client.post(_url(big["a"]), {"reveal": "1"})
    job = ExportJob.objects.get(user=big["user_a"])
    assert job.reveal is True
    jobs.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    ids = [r[6] for r in xlsx_rows(bytes(job.content))]
    assert big["first"].id_number in ids
    log = PersonalDataLog.objects.get(user=big["user_a"])
    assert log.fields == "id_number,phone" and log.rows == 4


@pytest.mark.django_db
def test_reveal_lost_before_the_run_fails_the_job_without_a_file_or_log(big):
    job, _created = jobs.export_job_create(
        user=big["user_a"], community=big["a"], filters={}, reveal=True
    )
    street = user_with_role(Role.STREET_ADMIN, street=big["a"].street)
    role_revoke(by=street, assignment=big["user_a"].role_assignments.get())
    assert jobs.export_job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.state == ExportState.FAILED and job.content in (b"", memoryview(b""))
    assert job.message and not PersonalDataLog.objects.exists()


@pytest.mark.django_db
def test_admin_large_export_queues_a_street_wide_or_community_job(client, big):
    neighbour = CommunityFactory(street=big["a"].street, name="丙社区")  # same street as A
    ResidentFactory(community=neighbour, name="丙居民")
    admin_user = user_with_role(Role.STREET_ADMIN, street=big["a"].street)
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    url = reverse("admin:communities_resident_xlsx")
    confirm = client.get(url)
    assert confirm.status_code == 200 and "本次导出共 5 行" in confirm.content.decode()
    response = client.post(url, {})
    assert response.status_code == 302 and response["Location"] == reverse("ledgers:exports")
    client.post(url, {"community": big["a"].pk})
    street_wide, one = ExportJob.objects.order_by("pk")
    assert street_wide.community is None and one.community == big["a"]
    jobs.export_job_run(job_id=street_wide.pk)
    street_wide.refresh_from_db()
    assert street_wide.rows == 5
    logs = PersonalDataLog.objects.filter(action=PersonalDataAction.EXPORT)
    assert sorted((log.community_id, log.rows) for log in logs) == sorted(
        [(big["a"].pk, 4), (neighbour.pk, 1)]
    )
    # small filtered admin export: at once
    small = client.get(url, {"q": "zjh"})
    assert small["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.django_db
def test_exports_page_query_count_is_fixed(client, big):
    client.force_login(big["user_a"])
    url = reverse("ledgers:exports")

    def add(n):
        for i in range(n):
            job, _created = jobs.export_job_create(
                user=big["user_a"], community=big["a"], filters={"q": f"x{i}-{n}"}
            )
            jobs.export_job_run(job_id=job.pk)
        jobs.export_job_create(user=big["user_a"], filters={"q": f"queued{n}"})

    add(1)
    client.get(url)
    small = query_count(client, url)
    add(6)
    assert query_count(client, url) == small


# --- the real worker ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_background_export_through_a_real_celery_worker(
    client, big, settings, celery_worker_process
):
    settings.LEDGER_EXPORT_QUEUE = celery_worker_process
    client.force_login(big["user_a"])
    response = client.post(_url(big["a"]), {"q": ""})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if not job.is_open:
            break
        time.sleep(0.3)
    assert job.state == ExportState.DONE, job.message
    assert job.rows == 4
    url = reverse("ledgers:export_download", args=[job.pk])
    rows = xlsx_rows(body(client.get(url)))
    assert len(rows) == 4 and big["first"].id_number not in str(rows)
    log = PersonalDataLog.objects.get()
    assert (log.user, log.community, log.rows, log.action) == (
        big["user_a"],
        big["a"],
        4,
        PersonalDataAction.EXPORT,
    )
    assert log.ip == "127.0.0.1" and log.filters == f"社区={big['a'].pk}"
    outsider = user_with_role(Role.COMMITTEE_DIRECTOR, community=big["b"])
    client.force_login(outsider)
    assert client.get(url).status_code == 404


# --- cleanup ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cleanup_task_deletes_expired_files_and_fails_stale_jobs(client, big):
    from communities.tasks import export_jobs_cleanup

    done, _created = jobs.export_job_create(user=big["user_a"], community=big["a"], filters={})
    jobs.export_job_run(job_id=done.pk)
    fresh, _created = jobs.export_job_create(
        user=big["user_a"], community=big["a"], filters={"q": "zjh"}
    )
    jobs.export_job_run(job_id=fresh.pk)
    stale, _created = jobs.export_job_create(user=big["user_a"], filters={"q": "stale"})
    old = timezone.now() - dt.timedelta(hours=25)
    ExportJob.objects.filter(pk=done.pk).update(expires_at=old)
    ExportJob.objects.filter(pk=stale.pk).update(created_at=old)
    client.force_login(big["user_a"])
    url = reverse("ledgers:export_download", args=[done.pk])
    assert client.get(url).status_code == 404  # past expires_at even before the sweep

    result = export_jobs_cleanup()
    assert result == {"expired": 1, "stale": 1, "forgotten": 0}
    assert export_jobs_cleanup() == {"expired": 0, "stale": 0, "forgotten": 0}
    done.refresh_from_db()
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert done.state == ExportState.EXPIRED and done.size == 0 and bytes(done.content) == b""
    assert stale.state == ExportState.FAILED and stale.message
    assert fresh.state == ExportState.DONE and fresh.size > 0
    beat = TaskHeartbeat.objects.get(task_name="communities.tasks.export_jobs_cleanup")
    assert beat.runs == 2 and beat.last_success_at is not None
    listing = client.get(reverse("ledgers:exports")).content.decode()
    assert "已过期" in listing and "失败" in listing
    with connection.cursor() as cursor:  # the file column is stored uncompressed
        cursor.execute(
            "SELECT attstorage FROM pg_attribute WHERE attrelid = "
            "'communities_exportjob'::regclass AND attname = 'content'"
        )
        assert cursor.fetchone()[0] == "e"


@pytest.mark.django_db
def test_cleanup_forgets_month_old_jobs_but_keeps_the_log(big):
    job, _created = jobs.export_job_create(user=big["user_a"], community=big["a"], filters={})
    jobs.export_job_run(job_id=job.pk)
    ExportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - dt.timedelta(days=31),
        expires_at=timezone.now() - dt.timedelta(days=30),
    )
    assert jobs.export_jobs_cleanup()["forgotten"] == 1
    assert not ExportJob.objects.exists() and PersonalDataLog.objects.count() == 1
