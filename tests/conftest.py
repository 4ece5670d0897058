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


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real Celery worker, in its own process, consuming from the real Redis broker and
    writing to the test database. Session-scoped: started once (a few seconds)."""
    from django.db import connection

    from config.celery import app

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(connection.settings_dict["NAME"]),
    }
    queue = f"test-{os.getpid()}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queue,
            "-n",
            f"{queue}@localhost",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"celery worker exited with {proc.returncode}")
        replies = app.control.ping(destination=[f"{queue}@localhost"], timeout=1.0)
        if replies:
            break
    else:
        proc.terminate()
        pytest.fail("celery worker did not answer a ping within 60 s")
    yield queue
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
