"""A second process for the validation of a big bulk import (core.imports.bulk.validate).

Reading, parsing and deriving 100,000 rows is Python work on one core while PostgreSQL
waits. For a file of at least settings.IMPORT_PARSE_HELPER_MIN_ROWS rows the run forks
once: the helper takes the rows with an odd Excel row number, the run the even ones. The
helper never uses the database or the broker: it writes its rows in COPY's text format to
a temporary file, and its counts and errors to another; the run then sends that file into
its own COPY, in its own transaction. So the staged rows, the counts and the errors are
those of a run in one process (tests compare them), and a failure or a cancel on either
side leaves nothing staged.

os.fork rather than multiprocessing: a Celery prefork child is a daemon, and
multiprocessing refuses to start a process from one; and a forked helper already has the
spec, the open sheet and the grid the run has loaded, with nothing to pickle. The helper
ends with os._exit, so it closes none of the connections (PostgreSQL, Redis) it inherits.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import mmap
import os
import pickle
import signal
import struct
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable

from django.conf import settings

log = logging.getLogger(__name__)

_DONE = struct.Struct("q")
CHUNK = 1 << 20  # bytes of the helper's COPY data sent at a time


class HelperFailed(Exception):
    """The helper failed or died (killed, out of memory, disk full): the validation fails."""


def wanted(rows: int) -> bool:
    """Whether a validation of `rows` rows should fork a helper: only from a process with
    one thread (a prefork worker's child), since a fork copies no other thread and could
    copy a lock one of them holds (a task run eagerly in a threaded web server); not under
    a green-thread pool (gevent, eventlet), whose threads active_count() does not see."""
    return (
        hasattr(os, "fork")
        and settings.IMPORT_PARSE_HELPER
        and rows >= settings.IMPORT_PARSE_HELPER_MIN_ROWS
        and threading.active_count() == 1
        and "gevent" not in sys.modules
        and "eventlet" not in sys.modules
    )


def peak_mib() -> float:
    """Peak resident set size of this process (Linux VmHWM), 0 where unknown."""
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _die_with_parent() -> None:
    """Linux: the kernel kills the helper when the task's process dies (hard time limit,
    out of memory), instead of leaving it to finish alone."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _refuse_queries(execute, sql, params, many, context):
    raise HelperFailed("the parse helper may not query: its connection is the task's")


class ParseHelper:
    """A forked process running `work(data_file, tick)`; see the module docstring.

    `work` writes COPY text to `data_file`, calls `tick(rows done)` now and then and
    returns a picklable dict; start() returns in the parent only (None if the fork failed:
    the run then parses every row itself)."""

    def __init__(self, work: Callable):
        # Closed by close(): they outlive this call, shared with the forked helper.
        self.data = tempfile.TemporaryFile()  # noqa: SIM115
        self.results = tempfile.TemporaryFile()  # noqa: SIM115
        self.shared = mmap.mmap(-1, _DONE.size)
        self.pid = None
        self.status = None
        self.work = work
        self.parent = os.getpid()

    def start(self) -> ParseHelper | None:
        gc.collect()  # so the helper does not inherit garbage it would copy by touching it
        # No signal handler may run between the fork and the helper's own handlers: it
        # would run the task's code in the helper.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
        try:
            pid = os.fork()
        except OSError:
            log.warning("parse helper: fork failed; one process parses", exc_info=True)
            self.close()
            return None
        finally:
            if os.getpid() == self.parent:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        if pid == 0:  # pragma: no cover - the helper's side; its result is what tests see
            try:
                self._run(blocked)
            finally:
                os._exit(1)
        self.pid = pid
        return self

    def _run(self, blocked) -> None:
        code = 1
        try:
            # The task's handlers (Celery's) are not the helper's; ignored signals stay so.
            for signum in signal.valid_signals():
                with contextlib.suppress(OSError, ValueError, TypeError):
                    if callable(signal.getsignal(signum)):
                        signal.signal(signum, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            _die_with_parent()
            gc.disable()  # short-lived: no collection that would copy the parent's pages
            from django.db import connection

            connection.execute_wrappers.append(_refuse_queries)
            result = self.work(self.data, self.tick)
            self.data.flush()  # not suppressed: a short file must not pass for a whole one
            result["bytes"] = self.data.tell()
            payload = pickle.dumps(("ok", result, peak_mib()))
            self.results.write(payload)
            self.results.flush()
            code = 0
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises
            with contextlib.suppress(BaseException):
                detail = traceback.format_exc()
                try:
                    payload = pickle.dumps(("error", (exc, detail), peak_mib()))
                    pickle.loads(payload)  # noqa: S301 - our own bytes: does it load back?
                except Exception:  # noqa: BLE001 - an exception that does not pickle
                    failure = HelperFailed(f"{type(exc).__name__}: {exc}")
                    payload = pickle.dumps(("error", (failure, detail), peak_mib()))
                self.results.seek(0)
                self.results.truncate()
                self.results.write(payload)
                self.results.flush()
        finally:
            os._exit(code)

    def tick(self, done: int) -> None:
        """In the helper: rows done, for the progress; and end if the task has died."""
        _DONE.pack_into(self.shared, 0, done)
        if os.getppid() != self.parent:
            os._exit(1)

    def done(self) -> int:
        """Rows the helper has read so far."""
        return _DONE.unpack_from(self.shared, 0)[0]

    def finished(self) -> bool:
        if self.status is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped already (SIGCHLD ignored): the file tells
                pid, status = self.pid, -1
            if pid:
                self.status = status
        return self.status is not None

    def check(self) -> None:
        """Raise now if the helper has already failed (no need to parse on)."""
        if self.finished() and self.status != 0:
            self._result()

    def wait(self, tick: Callable[[], None], interval: float = 0.02) -> dict:
        """Wait for the helper, calling `tick()` meanwhile (progress, cancel); returns its
        result or raises what it raised (HelperFailed for anything but an Exception)."""
        while not self.finished():
            tick()
            time.sleep(interval)
        return self._result()

    def _result(self) -> dict:
        self.results.seek(0)
        try:
            # Written by our own fork, in a file only this process can reach.
            outcome, result, peak = pickle.load(self.results)  # noqa: S301
        except Exception:  # noqa: BLE001 - empty, cut short, or an object that will not load
            raise HelperFailed(f"parse helper ended with status {self.status}") from None
        log.info("parse helper %s: %s, peak RSS %.0f MiB", self.pid, outcome, peak)
        if outcome != "ok":
            exc, detail = result
            log.error("parse helper %s failed:\n%s", self.pid, detail)
            raise exc if isinstance(exc, Exception) else HelperFailed(repr(exc))
        self.data.seek(0, os.SEEK_END)
        if self.status not in (0, -1) or self.data.tell() != result["bytes"]:
            raise HelperFailed(
                f"parse helper: status {self.status}, {self.data.tell()} bytes of {result['bytes']}"
            )
        return result

    def copy_data(self):
        """The helper's COPY text, in chunks."""
        self.data.seek(0)
        while chunk := self.data.read(CHUNK):
            yield chunk

    def close(self) -> None:
        """Kill the helper if it still runs; free the files."""
        if self.pid is not None and self.status is None:
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(self.pid, signal.SIGKILL)
                _pid, self.status = os.waitpid(self.pid, 0)
        for handle in (self.data, self.results, self.shared):
            with contextlib.suppress(Exception):
                handle.close()
