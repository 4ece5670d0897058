"""`./test.sh`: every check the project has, against throwaway PostgreSQL and Redis.

Starts an embedded PostgreSQL and Redis in a temporary directory (or uses DATABASE_URL /
REDIS_URL when set), then runs, in order and each reported with its time:

    ruff check .
    ruff format --check .
    manage.py makemigrations --check --dry-run         (dev settings)
    manage.py check --deploy --fail-level WARNING      (prod settings, generated SECRET_KEY)
    python -m tools.i18n_check                         (translation catalogues)
    pytest -q [ARGS...]                                (arguments of ./test.sh go to pytest)

Every step runs even if an earlier one failed; the exit status is 0 only if all passed.
The throwaway servers and their directory are removed at the end, also on Ctrl-C.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tools.embedded import signals_ignored, start_services

ROOT = Path(__file__).resolve().parent.parent

PYTEST_NO_TESTS = 5  # pytest's exit status when it collected nothing


@dataclass
class Step:
    name: str
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    unset: tuple[str, ...] = ()


@dataclass
class Result:
    name: str
    returncode: int
    seconds: float

    @property
    def passed(self) -> bool:
        return self.returncode == 0

    def note(self) -> str:
        if self.name == "pytest" and self.returncode == PYTEST_NO_TESTS:
            return "no tests collected"
        return "" if self.passed else f"exit status {self.returncode}"


def steps(pytest_args: list[str]) -> list[Step]:
    py = sys.executable
    prod = {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters, fresh every run
        "ALLOWED_HOSTS": "example.org",
        "DEBUG": "0",
    }
    return [
        Step("ruff check", [py, "-m", "ruff", "check", "."]),
        Step("ruff format --check", [py, "-m", "ruff", "format", "--check", "."]),
        Step(
            "makemigrations --check",
            [py, "manage.py", "makemigrations", "--check", "--dry-run"],
            env={"DJANGO_SETTINGS_MODULE": "config.settings.dev"},
        ),
        Step(
            "check --deploy (prod settings)",
            [py, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            env=prod,
        ),
        Step("translations", [py, "-m", "tools.i18n_check"]),
        # pyproject's [tool.pytest.ini_options] names the settings; an exported
        # DJANGO_SETTINGS_MODULE would take precedence over it, so drop it.
        Step("pytest", [py, "-m", "pytest", "-q", *pytest_args], unset=("DJANGO_SETTINGS_MODULE",)),
    ]


def run_step(index: int, total: int, step: Step, base_env: dict[str, str]) -> Result:
    env = {k: v for k, v in base_env.items() if k not in step.unset}
    env.update(step.env)
    print(f"\n==> [{index}/{total}] {step.name}", flush=True)
    started = time.monotonic()
    proc = subprocess.Popen(step.args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    try:
        returncode = proc.wait()
    except KeyboardInterrupt as exc:
        if isinstance(exc, Terminated):
            # SIGTERM reached only this process: pass it on the way Ctrl-C would.
            proc.send_signal(signal.SIGINT)
        _let_finish(proc)
        raise
    result = Result(step.name, returncode, time.monotonic() - started)
    verdict = "passed" if result.passed else f"FAILED ({result.note()})"
    print(f"==> {step.name}: {verdict} in {result.seconds:.1f}s", flush=True)
    return result


def _let_finish(proc: subprocess.Popen, grace: float = 15) -> None:
    """After Ctrl-C, give the step time for its own cleanup before the servers it uses go.

    A terminal's Ctrl-C reaches the step too (same process group) and pytest then runs its
    fixture teardown (e.g. stopping a Celery worker). If it is still running after the grace
    period it gets SIGTERM, and after another one SIGKILL.
    """
    for action in (None, proc.terminate, proc.kill):
        if action is not None:
            action()
        try:
            proc.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def summary(results: list[Result], total_seconds: float, interrupted: bool) -> bool:
    ok = bool(results) and all(r.passed for r in results) and not interrupted
    width = max((len(r.name) for r in results), default=0)
    print("\nSummary", flush=True)
    for r in results:
        note = f"  ({r.note()})" if r.note() else ""
        print(f"  {'PASS' if r.passed else 'FAIL'}  {r.name:<{width}}  {r.seconds:7.1f}s{note}")
    if interrupted:
        print("  interrupted")
    print(f"  total {total_seconds:.1f}s: {'all passed' if ok else 'FAILED'}", flush=True)
    return ok


class Terminated(KeyboardInterrupt):
    """SIGTERM: handled like Ctrl-C."""


def _raise_terminated(_signum: int, _frame: object) -> None:
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    pytest_args = sys.argv[1:] if argv is None else argv
    os.chdir(ROOT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_terminated)

    started = time.monotonic()
    results: list[Result] = []
    interrupted = False
    tmp = Path(tempfile.mkdtemp(prefix="shequ-test-"))
    services = None
    try:
        services = start_services(tmp, persistent=False)
        base_env = dict(os.environ)
        base_env.update(DATABASE_URL=services.database_url, REDIS_URL=services.redis_url)
        plan = steps(pytest_args)
        for index, step in enumerate(plan, start=1):
            results.append(run_step(index, len(plan), step, base_env))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        with signals_ignored():
            if services is not None:
                services.stop()
            shutil.rmtree(tmp, ignore_errors=True)
    ok = summary(results, time.monotonic() - started, interrupted)
    if interrupted:
        return 130
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
