"""Benchmark of the residents ledger import (issue #4, "Speed and memory").

    .venv/bin/python benchmarks/bench_import.py                      # 20,000 and 100,000 rows
    .venv/bin/python benchmarks/bench_import.py --sizes 5000 20000   # other sizes
    DATABASE_URL=postgresql://... .venv/bin/python benchmarks/bench_import.py [--in-place]

Without DATABASE_URL it starts a throwaway embedded PostgreSQL (tools.embedded, as
./test.sh does) and removes it afterwards; with DATABASE_URL it creates and drops its own
database `bench_import_<pid>` on that server (`--in-place`: uses that database, migrated,
and keeps what it wrote). Redis is not needed (locmem cache; the Celery tasks' bodies are
called in-process). It takes about two minutes, a third of it the migrations.

For each size it generates a workbook of that many residents in 12 columns (小区, 楼栋, 单元,
室号, 姓名, 身份证号 with valid check digits, 性别, 出生日期 as a date cell, 与户主关系, 联系电话,
户籍类型, 迁入日期 as text; strings inline, as openpyxl writes them) for a grid of compounds,
buildings and units, then runs, each in a fresh subprocess:

- openpyxl: load_workbook(read_only=True) and iter_rows(values_only=True) over the sheet;
- the upload: the grid and the user created, then import_job_create (the file checks and
  the stored job: the web process's part);
- the import: import_job_validate (read, parse and derive every row, COPY to the staging
  table, set-based checks and counts; the odd rows in a forked parse helper, as in a
  worker), import_job_confirm and import_job_apply (households and residents written with
  the audit triggers on) -- the bodies of the Celery tasks, in one process as in a worker;

and prints the rows per second of openpyxl and of the import (upload + validation + apply),
their ratio, the peak RSS (VmHWM) of the import process, of its parse helper (which counts
the pages it shares with the import process) and of the upload process, and the growth of
the import process's peak from the smallest to the largest size. Targets (issue
#4): ratio >= 2, peak RSS < 300 MiB, growth < 50 MiB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from ledger_data import peak_rss_mib as peak_mib  # noqa: E402 - VmHWM, beside this file

HEADERS = [
    "小区",
    "楼栋",
    "单元",
    "室号",
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "与户主关系",
    "联系电话",
    "户籍类型",
    "迁入日期",
]
COMPOUNDS, BUILDINGS, UNITS = 10, 20, 4  # 800 units
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国玉梅志红"
RELATIONS = ["户主", "配偶", "子女"]
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def valid_id(birth: dt.date, seq: int) -> str:
    first17 = f"220104{birth:%Y%m%d}{seq:03d}"
    return first17 + _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def unit_address(index: int) -> tuple[str, str, str]:
    compound, rest = divmod(index, BUILDINGS * UNITS)
    building, unit = divmod(rest, UNITS)
    return f"阳光{compound + 1}小区", f"{building + 1}栋", f"{unit + 1}单元"


def generate(rows: int, path: Path) -> None:
    """The workbook: three residents a household, households spread over the grid's units."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("居民")
    ws.append(HEADERS)
    units = COMPOUNDS * BUILDINGS * UNITS
    for i in range(rows):
        household = i // 3
        unit_index, floor_room = household % units, household // units
        compound, building, unit = unit_address(unit_index)
        room = f"{floor_room // 2 + 1}0{floor_room % 2 + 1}"
        # Distinct ID numbers: the birth date runs through 25,000 days, the sequence number
        # tells the rounds apart (odd for men, even for women).
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=(i * 37) % 25000)
        number = valid_id(birth, (i // 25000 * 2 + i % 2) * 50 + i % 50)
        gender = "男" if int(number[16]) % 2 else "女"
        born = WriteOnlyCell(ws, value=birth)
        born.number_format = "yyyy-mm-dd"
        name = SURNAMES[i % 30] + GIVEN[(i // 30) % 30] + GIVEN[(i // 7) % 30]
        ws.append(
            [
                compound,
                building,
                unit,
                room,
                name,
                number,
                gender,
                born,
                RELATIONS[i % 3],
                f"139{i:08d}",
                "户籍",
                f"{2000 + i % 24}/{i % 12 + 1}/{i % 28 + 1}",
            ]
        )
    wb.save(path)


# --- children ---------------------------------------------------------------------------------


def child_openpyxl(path: str) -> dict:
    from openpyxl import load_workbook

    started = time.perf_counter()
    wb = load_workbook(path, read_only=True)
    rows = sum(1 for _row in wb["居民"].iter_rows(values_only=True)) - 1
    wb.close()
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": seconds, "peak_mib": peak_mib()}


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.utils import translation

    translation.activate("zh-hans")
    import core.imports.jobs

    core.imports.jobs._enqueue = lambda task, job_id: None  # the tasks' bodies run here


def _grid(size: int):
    """A fresh community with the grid of the workbook, and its committee director."""
    from communities import models as m
    from core.models import Role
    from tests.factories import CommunityFactory, StreetFactory, user_with_role

    tag = f"{size}-{os.getpid()}-{time.time_ns()}"
    street = StreetFactory(name=f"基准街道{tag}")
    community = CommunityFactory(name=f"基准社区{tag}", street=street)
    group = m.ResidentsGroup.objects.create(community=community, name="第一居民小组")
    compounds = m.Compound.objects.bulk_create(
        m.Compound(community=community, name=f"阳光{c + 1}小区") for c in range(COMPOUNDS)
    )
    building_groups = m.BuildingGroup.objects.bulk_create(  # one a compound
        m.BuildingGroup(community=community, residents_group=group, name=f"{c + 1}号楼群")
        for c in range(COMPOUNDS)
    )
    buildings = m.Building.objects.bulk_create(
        m.Building(
            community=community,
            building_group=building_group,
            compound=compound,
            name=f"{b + 1}栋",
            sort_order=b,
        )
        for compound, building_group in zip(compounds, building_groups, strict=True)
        for b in range(BUILDINGS)
    )
    m.Unit.objects.bulk_create(
        m.Unit(community=community, building=building, name=f"{u + 1}单元", sort_order=u)
        for building in buildings
        for u in range(UNITS)
    )
    user = user_with_role(Role.COMMITTEE_DIRECTOR, community=community, username=f"bench{tag}")
    return community, user


def child_upload(path: str, size: int) -> dict:
    """The web process's part: the grid, then the upload (file checks, the job stored)."""
    _setup_django()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.imports import get_spec, import_job_create

    community, user = _grid(size)
    data = Path(path).read_bytes()
    started = time.perf_counter()
    job = import_job_create(
        user=user,
        spec=get_spec("residents"),
        community=community,
        upload=SimpleUploadedFile("居民.xlsx", data),
    )
    return {
        "job": job.pk,
        "user": user.pk,
        "seconds": time.perf_counter() - started,
        "peak_mib": peak_mib(),
    }


def child_import(job_id: int, user_id: int) -> dict:
    """The worker's part: the two tasks' bodies, validation then (after the user's
    confirmation) the apply."""
    _setup_django()
    from django.contrib.auth import get_user_model

    from communities.models import Household, Resident
    from core.imports import import_job_apply, import_job_confirm, import_job_validate
    from core.models import ImportJob

    user = get_user_model().objects.get(pk=user_id)
    before = peak_mib()
    started = time.perf_counter()
    import_job_validate(job_id=job_id)
    validate = time.perf_counter() - started
    job = ImportJob.objects.defer("content").get(pk=job_id)
    validated = (job.state, job.rows_new, job.rows_updated, job.rows_unchanged, job.rows_invalid)
    t = time.perf_counter()
    assert import_job_confirm(user=user, job=job), (validated, job.message, job.errors[:3])
    state = import_job_apply(job_id=job_id)
    apply = time.perf_counter() - t
    job = ImportJob.objects.defer("content").get(pk=job_id)
    import resource

    return {
        "validate": validate,
        "apply": apply,
        # The parse helper the validation forks (core.imports.helper), waited for: its
        # peak RSS, which counts the pages it shares with this process.
        "helper_peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "validated": validated,
        "state": state,
        "residents": Resident.objects.filter(community_id=job.community_id).count(),
        "households": Household.objects.filter(community_id=job.community_id).count(),
        "peak_mib": peak_mib(),
        "baseline_mib": before,
    }


# --- the parent -------------------------------------------------------------------------------


def run_child(env: dict, *args) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit(f"child {args} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="use the database of DATABASE_URL itself (migrated, kept) instead of a new one",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "openpyxl":
            result = child_openpyxl(rest[0])
        elif kind == "upload":
            result = child_upload(rest[0], int(rest[1]))
        else:
            result = child_import(int(rest[0]), int(rest[1]))
        print(json.dumps(result, default=str))
        return 0

    import psycopg
    from psycopg import sql

    from tools.embedded import start_services

    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    services = None
    server_url = os.environ.get("DATABASE_URL")
    name = f"bench_import_{os.getpid()}"
    in_place = args.in_place and server_url
    try:
        if not server_url:
            services = start_services(tmp / "servers", persistent=False, env={"REDIS_URL": "-"})
            server_url = services.database_url
        if not in_place:
            with psycopg.connect(server_url, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        env = {
            **os.environ,
            "DATABASE_URL": server_url if in_place else _database(server_url, name),
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
        }
        print(f"migrating {name} ...", flush=True)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        results = []
        for size in sorted(args.sizes):
            path = tmp / f"residents_{size}.xlsx"
            t = time.perf_counter()
            generate(size, path)
            print(
                f"{size:>7} rows: workbook {path.stat().st_size / 1e6:.1f} MB "
                f"generated in {time.perf_counter() - t:.1f}s",
                flush=True,
            )
            bare = run_child(env, "openpyxl", path)
            upload = run_child(env, "upload", path, size)
            full = run_child(env, "import", upload["job"], upload["user"])
            assert full["state"] == "done" and full["residents"] == size, full
            full["upload"] = upload
            full["seconds"] = upload["seconds"] + full["validate"] + full["apply"]
            results.append((size, bare, full))
            print(
                f"         openpyxl read-only {bare['seconds']:.1f}s; import "
                f"{full['seconds']:.1f}s (upload {upload['seconds']:.1f}s, validation "
                f"{full['validate']:.1f}s, apply {full['apply']:.1f}s); "
                f"{full['households']:,} households, {full['residents']:,} residents",
                flush=True,
            )
        _report(results)
    finally:
        if server_url and not in_place:
            try:
                with psycopg.connect(server_url, autocommit=True) as conn:
                    conn.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(name)
                        )
                    )
            except psycopg.Error as exc:
                print(f"could not drop {name}: {exc}", file=sys.stderr)
        if services is not None:
            services.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _report(results) -> None:
    print()
    print(
        f"{'rows':>8} {'openpyxl rows/s':>16} {'import rows/s':>14} {'ratio':>6} "
        f"{'worker peak RSS':>16} {'helper peak RSS':>16} {'upload peak RSS':>16}"
    )
    for size, bare, full in results:
        bare_rate = size / bare["seconds"]
        rate = size / full["seconds"]
        print(
            f"{size:>8} {bare_rate:>16,.0f} {rate:>14,.0f} {rate / bare_rate:>6.2f} "
            f"{full['peak_mib']:>12.0f} MiB {full['helper_peak_mib']:>12.0f} MiB "
            f"{full['upload']['peak_mib']:>12.0f} MiB"
        )
    if len(results) > 1:
        growth = results[-1][2]["peak_mib"] - results[0][2]["peak_mib"]
        print(
            f"peak RSS growth from {results[0][0]:,} to {results[-1][0]:,} rows: {growth:.0f} MiB"
        )
    print("targets: ratio >= 2, peak RSS < 300 MiB, growth < 50 MiB (issue #4)")


if __name__ == "__main__":
    sys.exit(main())
