"""`./run.sh`: the whole system on this machine, with demo data.

Starts embedded PostgreSQL and Redis (data in .data/, kept between runs) unless DATABASE_URL /
REDIS_URL are set, migrates, loads the demo data, then supervises three children:

    web     manage.py runserver 127.0.0.1:$PORT --noreload   (PORT defaults to 8000; the next
                                                              free port is used if it is taken)
    worker  celery -A config worker
    beat    celery -A config beat

Ctrl-C or SIGTERM stops all of them and the embedded servers. If a child exits on its own,
everything is stopped and the exit status is non-zero.

`./run.sh --check` (or RUN_SMOKE=1) starts the same way, waits for the web server and the
worker, fetches /public/ and /admin/login/ once, reports, and shuts down.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from tools.embedded import child_preexec, signals_ignored, start_services

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"

PAGES = [
    ("管理后台 Admin", "/admin/"),
    ("社工门户 Worker portal", "/portal/"),
    ("公开页面 Public pages", "/public/"),
    ("接口文档 API docs", "/api/docs/"),
]
SMOKE_PAGES = ["/public/", "/admin/login/"]

WEB_TIMEOUT = 120  # seconds for runserver to answer (first start imports everything)
WORKER_TIMEOUT = 120
STOP_TIMEOUT = 15  # seconds between SIGTERM and SIGKILL for each child


def log(message: str) -> None:
    print(f"[run] {message}", file=sys.stderr, flush=True)


class Stop(Exception):
    """SIGTERM or SIGHUP arrived: shut down exactly as for Ctrl-C."""


class StepFailed(Exception):
    pass


class ChildDied(Exception):
    def __init__(self, name: str, returncode: int) -> None:
        super().__init__(f"{name} exited unexpectedly with status {returncode}")


def _raise_stop(signum: int, _frame: object) -> None:
    raise Stop(signal.Signals(signum).name)


class Supervisor:
    """Long-running children, each the leader of its own session and process group.

    Own groups mean a terminal Ctrl-C reaches only this process, which then stops the
    children in order, and that a Celery worker's pool processes can be killed as a group.
    """

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.children: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str]) -> None:
        log(f"starting {name}: {' '.join(args)}")
        self.children[name] = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=child_preexec,  # safe: this process runs no other threads
        )

    def check(self) -> None:
        for name, proc in self.children.items():
            if proc.poll() is not None:
                raise ChildDied(name, proc.returncode)

    def watch(self) -> None:
        while True:
            self.check()
            time.sleep(0.5)

    def stop_all(self, timeout: float = STOP_TIMEOUT) -> None:
        # SIGTERM to each leader only: runserver exits, Celery does a warm shutdown and
        # stops its own pool. Anything still alive after the timeout is killed by group.
        for proc in self.children.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + timeout
        for name, proc in self.children.items():
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop within {timeout:.0f}s; killing it")
                _killpg(proc.pid)
                proc.wait()
            # Sweep the group: a pool process orphaned by its leader would otherwise linger.
            _killpg(proc.pid)


def _killpg(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run a one-off manage.py command in the foreground (a Ctrl-C reaches it too)."""
    log("manage.py " + " ".join(args))
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def prepare(env: dict[str, str]) -> None:
    if manage(env, "migrate", "--noinput").returncode:
        raise StepFailed("migrate failed")
    if not any((ROOT / "locale").glob("*/LC_MESSAGES/*.po")):
        log("no locale/*/LC_MESSAGES/*.po yet: skipping compilemessages")
    elif not shutil.which("msgfmt"):
        log("msgfmt (GNU gettext) not found: skipping compilemessages; using the committed .mo")
    else:
        # compilemessages walks the whole tree; keep it out of the virtualenv and data.
        ignores = ["--ignore", ".venv", "--ignore", ".data", "--ignore", ".git"]
        if manage(env, "compilemessages", *ignores).returncode:
            raise StepFailed("compilemessages failed")
    if manage(env, "seed_demo").returncode:
        raise StepFailed("seed_demo failed")


def pick_port(start: int, host: str = "127.0.0.1") -> int:
    for port in range(start, start + 100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            # Same option runserver uses, so a port in TIME_WAIT still counts as free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    raise StepFailed(f"no free port in {start}-{start + 99}")


def fetch(url: str, timeout: float = 30) -> tuple[int | None, str]:
    """GET url following redirects: (status, detail); status None if nothing answered."""
    try:
        # Only ever http://127.0.0.1:PORT/... URLs built in this module.
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310
            body = resp.read()
            return resp.status, f"{len(body)} bytes from {resp.url}"
    except urllib.error.HTTPError as exc:
        return exc.code, str(exc.reason)
    except (urllib.error.URLError, OSError) as exc:
        return None, str(getattr(exc, "reason", exc))


def wait_for_web(base: str, supervisor: Supervisor) -> None:
    deadline = time.monotonic() + WEB_TIMEOUT
    while time.monotonic() < deadline:
        supervisor.check()
        status, _ = fetch(base + "/healthz/", timeout=3)
        if status is not None:  # any HTTP answer means the server is up
            return
        time.sleep(0.3)
    raise StepFailed(f"the web server did not answer on {base} within {WEB_TIMEOUT}s")


def wait_for_worker(env: dict[str, str], node: str, supervisor: Supervisor) -> None:
    deadline = time.monotonic() + WORKER_TIMEOUT
    ping = [sys.executable, "-m", "celery", "-A", "config", "inspect", "ping"]
    ping += ["--destination", node, "--timeout", "3"]
    while time.monotonic() < deadline:
        supervisor.check()
        result = subprocess.run(
            ping, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False
        )
        if result.returncode == 0:
            return
        time.sleep(1)
    raise StepFailed(f"the Celery worker {node} did not answer a ping within {WORKER_TIMEOUT}s")


def smoke(base: str, env: dict[str, str], node: str, supervisor: Supervisor) -> int:
    wait_for_worker(env, node, supervisor)
    print(f"worker {node}: answers ping", flush=True)
    ok = True
    for path in SMOKE_PAGES:
        status, detail = fetch(base + path)
        print(f"GET {path} -> {status} ({detail})", flush=True)
        ok = ok and status == 200
    supervisor.check()
    print("run --check: " + ("OK" if ok else "FAILED"), flush=True)
    return 0 if ok else 1


def banner(base: str, port: int, requested: int) -> str:
    width = max(len(label) for label, _ in PAGES) + 2
    lines = ["", "=" * 72, " 街道社区管理系统 is running / 系统已启动", ""]
    lines += [f"   {label:<{width}}{base}{path}" for label, path in PAGES]
    lines.append("")
    if port != requested:
        lines.append(f" (port {requested} was taken; using {port})")
    lines += [
        f" Data: {DATA.relative_to(ROOT)}/ (delete it to start from scratch).  Stop: Ctrl-C",
        "=" * 72,
        "",
    ]
    return "\n".join(lines)


@contextlib.contextmanager
def data_lock() -> Iterator[IO[str]]:
    """One run at a time per .data/: two would share the embedded servers' files."""
    DATA.mkdir(exist_ok=True)
    with open(DATA / "run.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StepFailed(
                f"another ./run.sh is already using {DATA}; stop it first "
                "(or set DATABASE_URL and REDIS_URL to use other servers)"
            ) from None
        yield lock


def run(stack: contextlib.ExitStack, *, check: bool) -> int:
    """Start everything; what needs stopping is pushed on `stack` (unwound last-in first-out:
    children, then the servers they use, then the lock)."""
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        # External servers, possibly shared with another run: keep no shared files.
        schedule_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    else:
        stack.enter_context(data_lock())
        schedule_dir = DATA
    services = start_services(DATA, persistent=True)
    stack.callback(services.stop)

    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=services.database_url,
        REDIS_URL=services.redis_url,
        DEBUG="1",
        PYTHONUNBUFFERED="1",
    )
    prepare(env)

    requested = int(os.environ.get("PORT") or 8000)
    port = pick_port(requested)
    # A node name of our own, so --check pings this worker and not another one on the broker.
    node = f"shequ-run-{os.getpid()}@{socket.gethostname()}"
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    schedule = str(schedule_dir / "celerybeat-schedule")
    supervisor = Supervisor(env)
    stack.callback(supervisor.stop_all)
    supervisor.start(
        "web", [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    )
    supervisor.start("worker", [*celery, "worker", "-l", "info", "--concurrency", "2", "-n", node])
    supervisor.start("beat", [*celery, "beat", "-l", "info", "--schedule", schedule])

    base = f"http://127.0.0.1:{port}"
    wait_for_web(base, supervisor)
    if check:
        return smoke(base, env, node, supervisor)
    print(banner(base, port, requested), flush=True)
    if manage(env, "demo_logins").returncode:
        log("manage.py demo_logins failed; the system runs on without the login table")
    supervisor.watch()  # returns only by raising ChildDied
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./run.sh", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="start everything, fetch a few pages once, report and stop (also: RUN_SMOKE=1)",
    )
    args = parser.parse_args(argv)
    check = args.check or os.environ.get("RUN_SMOKE", "") not in ("", "0")
    os.chdir(ROOT)
    # A shell starting us in the background sets SIGINT to "ignore"; we want Ctrl-C semantics.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGHUP, _raise_stop)

    stack = contextlib.ExitStack()
    try:
        return run(stack, check=check)
    except (KeyboardInterrupt, Stop):
        log("stopping ...")
        return 130 if check else 0
    except ChildDied as exc:
        log(f"{exc}; stopping everything")
        return 1
    except StepFailed as exc:
        log(f"{exc}; stopping")
        return 1
    finally:
        # A second Ctrl-C must not interrupt the shutdown half-way.
        with signals_ignored():
            stack.close()
        log("stopped")


if __name__ == "__main__":
    sys.exit(main())
