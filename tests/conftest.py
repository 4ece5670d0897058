"""Shared fixtures. The suite runs on real PostgreSQL and a real Redis, both started by
./test.sh (tools/test.py), which exports DATABASE_URL and REDIS_URL."""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _chinese_and_fresh_cache(settings):
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()
    translation.activate("zh-hans")
    yield
    translation.deactivate()


@pytest.fixture
def street(db):
    from tests.factories import StreetFactory

    return StreetFactory()


@pytest.fixture
def ab(db):
    """Community A and community B, a committee director of A, and a room in each."""
    from core.models import Role
    from tests.factories import CommunityFactory, FacilityFactory, user_with_role

    a, b = CommunityFactory(name="甲社区"), CommunityFactory(name="乙社区")
    return {
        "a": a,
        "b": b,
        "user_a": user_with_role(Role.COMMITTEE_DIRECTOR, community=a),
        "fac_a": FacilityFactory(community=a, name="甲活动室"),
        "fac_b": FacilityFactory(community=b, name="乙活动室"),
    }


def _database_url(test_name: str) -> str:
    """DATABASE_URL pointing at the test database pytest-django created."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{test_name}"))


def _start_worker(queue: str, pool: list[str], env: dict, log=None) -> subprocess.Popen:
    from config.celery import app

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            *pool,
            "--loglevel=INFO" if log else "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queue,
            "-n",
            f"{queue}@localhost",
        ],
        cwd=ROOT,
        env=env,
        stderr=log,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"celery worker exited with {proc.returncode}")
        replies = app.control.ping(destination=[f"{queue}@localhost"], timeout=1.0)
        if replies:
            return proc
    proc.terminate()
    pytest.fail("celery worker did not answer a ping within 60 s")


def _stop_worker(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def _worker_env() -> dict:
    from django.db import connection

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(connection.settings_dict["NAME"]),
    }


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real Celery worker, in its own process, consuming from the real Redis broker and
    writing to the test database. Session-scoped: started once (a few seconds)."""
    queue = f"test-{os.getpid()}"
    proc = _start_worker(queue, ["--pool=solo"], _worker_env())
    yield queue
    _stop_worker(proc)


@pytest.fixture(scope="session")
def celery_prefork_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real Celery worker with the production pool (prefork: the task runs in a daemonic
    child process) and a parse-helper threshold of 2 rows, its log in a file. Yields (queue,
    log path)."""
    queue = f"test-prefork-{os.getpid()}"
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {**_worker_env(), "IMPORT_PARSE_HELPER_MIN_ROWS": "2"}
    with open(log_path, "wb") as log:
        proc = _start_worker(queue, ["--pool=prefork", "--concurrency=1"], env, log)
        yield queue, log_path
        _stop_worker(proc)
