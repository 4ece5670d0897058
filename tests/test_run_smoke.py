"""`./run.sh --check` end to end: migrate, seed, runserver, a real worker and beat, two pages.

Runs `python -m tools.run --check` against the servers this test run uses (DATABASE_URL and
REDIS_URL, exported by ./test.sh), on its own port and Redis database number, so it starts no
embedded servers and shares no queue with other tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tools.embedded import free_port

ROOT = Path(__file__).resolve().parent.parent
SMOKE_REDIS_DB = 15


def other_redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def test_other_redis_db_keeps_host_and_credentials():
    assert other_redis_db("redis://:pw@127.0.0.1:6379/0", 15) == "redis://:pw@127.0.0.1:6379/15"
    assert other_redis_db("redis://localhost:1234", 15) == "redis://localhost:1234/15"


def test_run_check_serves_pages_with_a_live_worker():
    env = dict(os.environ)
    env.pop("RUN_SMOKE", None)
    env["REDIS_URL"] = other_redis_db(os.environ["REDIS_URL"], SMOKE_REDIS_DB)
    env["PORT"] = str(free_port())
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.run", "--check"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=600)
    except BaseException:
        # Ctrl-C reached tools.run as well: give it time to stop its children cleanly
        # (subprocess.run would kill it after a quarter of a second).
        proc.terminate()
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        raise
    report = f"--- stdout ---\n{stdout[-3000:]}\n--- stderr ---\n{stderr[-4000:]}"
    assert proc.returncode == 0, report
    assert "run --check: OK" in stdout
    assert "GET /public/ -> 200" in stdout
    assert "GET /admin/login/ -> 200" in stdout
