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
import tempfile
import threading
import time
from collections.abc import Callable

from django.conf import settings

log = logging.getLogger(__name__)

_DONE = struct.Struct("q")
CHUNK = 1 << 20  # bytes of the helper's COPY data sent at a time


class HelperFailed(Exception):
    """The helper process died without a result (killed, out of memory)."""


def wanted(rows: int) -> bool:
    """Whether a validation of `rows` rows should fork a helper: only from a process with
    one thread (a prefork worker's child), since a fork copies no other thread and could
    copy a lock one of them holds (a task run eagerly in a threaded web server)."""
    return (
        hasattr(os, "fork")
        and settings.IMPORT_PARSE_HELPER
        and rows >= settings.IMPORT_PARSE_HELPER_MIN_ROWS
        and threading.active_count() == 1
    )


def peak_mib() -> float:
    """Peak resident set size of this process (Linux VmHWM), 0 where unknown."""
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class ParseHelper:
    """A forked process running `work(data_file, tick)`; see the module docstring.

    `work` writes COPY text to `data_file`, calls `tick(rows done)` now and then and
    returns a picklable result; start() returns in the parent only."""

    def __init__(self, work: Callable):
        # Closed by close(): they outlive this call, shared with the forked helper.
        self.data = tempfile.TemporaryFile()  # noqa: SIM115
        self.results = tempfile.TemporaryFile()  # noqa: SIM115
        self.shared = mmap.mmap(-1, _DONE.size)
        self.pid = None
        self.status = None
        self.work = work

    def start(self) -> ParseHelper:
        # Collect now, so the helper does not inherit garbage it would copy by touching it.
        gc.collect()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the helper's side; its result is what tests see
            self._run()
        self.pid = pid
        return self

    def _run(self) -> None:
        code = 1
        try:
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGALRM):
                signal.signal(signum, signal.SIG_DFL)
            gc.disable()  # short-lived: no collection that would copy the parent's pages
            result = self.work(self.data, self.tick)
            pickle.dump(("ok", result, peak_mib()), self.results)
            code = 0
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises
            with contextlib.suppress(BaseException):
                self.results.seek(0)
                self.results.truncate()
                try:
                    pickle.dump(("error", exc, peak_mib()), self.results)
                except Exception:  # noqa: BLE001 - an exception that does not pickle
                    pickle.dump(("error", HelperFailed(repr(exc)), peak_mib()), self.results)
        finally:
            with contextlib.suppress(BaseException):
                self.data.flush()
                self.results.flush()
            os._exit(code)

    def tick(self, done: int) -> None:
        _DONE.pack_into(self.shared, 0, done)

    def done(self) -> int:
        """Rows the helper has read so far."""
        return _DONE.unpack_from(self.shared, 0)[0]

    def finished(self) -> bool:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
        return self.status is not None

    def wait(self, tick: Callable[[], None], interval: float = 0.02):
        """Wait for the helper, calling `tick()` meanwhile (progress, cancel); returns its
        result or raises what it raised."""
        while not self.finished():
            tick()
            time.sleep(interval)
        self.results.seek(0)
        try:
            # Written by our own fork a moment ago, in a file only this process can reach.
            outcome, result, peak = pickle.load(self.results)  # noqa: S301
        except (EOFError, pickle.UnpicklingError):
            raise HelperFailed(f"parse helper ended with status {self.status}") from None
        log.info("parse helper %s: %s, peak RSS %.0f MiB", self.pid, outcome, peak)
        if outcome != "ok":
            raise result
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
