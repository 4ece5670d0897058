"""Shared by bench_export.py and bench_list.py: throwaway servers, Django set up against
them, and communities with N residents created fast (COPY, audit triggers off while
loading; never through the importer, which has its own benchmark).

Data per community: buildings of 4 units, 25 floors x 4 rooms per unit (100 households),
2 or 3 residents per household (valid ID numbers from their birth dates, 5% without an ID
number, phones), 8% in 低保 with an amount, 3% 残疾人 with a grade, everyone 80+ in 高龄老人.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ROOMS_PER_UNIT = 100  # 25 floors x 4
UNITS_PER_BUILDING = 4
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建华", "秀英", "志强", "桂兰", "海燕", "国庆", "丽娟", "明", "芳", "伟", "静", "磊"]
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _status_mib(key: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mib() -> float:
    """Peak resident set size of this process (Linux VmHWM). Not getrusage's ru_maxrss:
    Linux carries the parent's high-water mark over fork and exec into a child's
    ru_maxrss, so a child started by a big parent would report the parent's peak."""
    return _status_mib("VmHWM")


def current_rss_mib() -> float:
    return _status_mib("VmRSS")


def django_env(database_url: str, redis_url: str) -> dict[str, str]:
    """The environment of a benchmark process: development settings with DEBUG off (no
    query log), persistent database connections as in production, Redis cache."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "0",
        "CONN_MAX_AGE": "600",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "LOG_LEVEL": "WARNING",
    }


def setup_django(env: dict[str, str] | None = None) -> None:
    if env:
        os.environ.update(env)
    import django

    django.setup()


@contextlib.contextmanager
def throwaway_services(data_dir: str | None = None) -> Iterator[tuple[str, str]]:
    """Embedded PostgreSQL and Redis in a temporary directory, whatever DATABASE_URL says
    (a benchmark must never write 100,000 residents into a real database). With
    `data_dir` (--data-dir) the servers' data are kept there and reused by the next run,
    which then skips creating the communities it finds."""
    from tools.embedded import start_services

    tmp = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="shequ-bench-"))
    services = start_services(tmp, persistent=bool(data_dir), env={})
    try:
        yield services.database_url, services.redis_url
    finally:
        services.stop()
        if not data_dir:
            shutil.rmtree(tmp, ignore_errors=True)


def migrate() -> None:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    log(f"migrated in {time.perf_counter() - started:.1f}s")


def id_number(birth: dt.date, seq: int, region: str) -> str:
    first17 = f"{region}{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def _copy(table: str, columns: tuple[str, ...], rows) -> None:
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def make_community(name: str, residents: int, *, street=None, region: str = "220104"):
    """A community with `residents` current residents (see the module docstring). Returns
    the Community."""
    from django.db import connection, transaction
    from django.utils import timezone

    from communities import rules
    from communities.ledger_services import household_address
    from communities.models import Building, Community, Unit
    from tests.factories import (
        BuildingGroupFactory,
        CommunityFactory,
        StreetFactory,
        special_group_types,
    )

    existing = Community.objects.filter(name=name).first()
    if existing is not None:  # a kept --data-dir: made by an earlier run
        log(f"{name}: reusing {existing.residents.count():,} residents")
        return existing
    started = time.perf_counter()
    community = CommunityFactory(name=name, street=street or StreetFactory(name=f"{name}街道"))
    households_needed = -(-residents * 2 // 5)  # 2.5 residents a household
    units_needed = -(-households_needed // ROOMS_PER_UNIT)
    buildings_needed = -(-units_needed // UNITS_PER_BUILDING)
    group = BuildingGroupFactory(community=community)
    buildings = Building.objects.bulk_create(
        Building(
            community=community,
            building_group=group,
            name=f"{b + 1}栋",
            sort_order=b + 1,
            households=UNITS_PER_BUILDING * ROOMS_PER_UNIT,
        )
        for b in range(buildings_needed)
    )
    units = Unit.objects.bulk_create(
        Unit(
            community=community,
            building=building,
            name=f"{u + 1}单元",
            sort_order=u + 1,
            households=ROOMS_PER_UNIT,
        )
        for building in buildings
        for u in range(UNITS_PER_BUILDING)
    )[:units_needed]
    for unit in units:
        unit.building = next(b for b in buildings if b.pk == unit.building_id)
    now = timezone.now()
    types = special_group_types()
    today = timezone.localdate()

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")  # no audit rows
        household_rows = []
        for unit in units:
            for floor in range(1, 26):
                for room in range(1, 5):
                    if len(household_rows) == households_needed:
                        break
                    number = f"{floor}{room:02d}"
                    address, order = household_address(unit, number)
                    household_rows.append((unit.pk, number, address, order))
        _copy(
            "communities_household",
            (
                "community_id",
                "unit_id",
                "room",
                "address",
                "address_order",
                "phone",
                "note",
                "created_at",
                "updated_at",
            ),
            (
                (community.pk, unit_id, room, address, order, "", "", now, now)
                for unit_id, room, address, order in household_rows
            ),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, address_order FROM communities_household "
                "WHERE community_id = %s ORDER BY address_order, id",
                [community.pk],
            )
            households = cursor.fetchall()

        initials: dict[str, str] = {}

        def resident_rows():
            i = 0
            for h, (household_id, order) in enumerate(households):
                for k in range(2 + h % 2):
                    if i == residents:
                        return
                    name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)]
                    if name not in initials:
                        initials[name] = rules.name_initials(name)[:50]
                    birth = dt.date(1936, 1, 1) + dt.timedelta(days=(i * 37) % 32000)
                    number = "" if i % 20 == 19 else id_number(birth, i // 32000 + 1, region)
                    phone = f"139{i:08d}"
                    yield (
                        community.pk,
                        household_id,
                        name,
                        initials[name],
                        number,
                        bool(number),
                        number[-4:],
                        ("male", "female")[i % 2]
                        if not number
                        else ("male" if int(number[16]) % 2 else "female"),
                        birth,
                        "head" if k == 0 else "spouse" if k == 1 else "child",
                        phone,
                        phone[-4:],
                        "huji" if i % 10 else "floating",
                        order,
                        "",
                        now,
                        now,
                    )
                    i += 1

        _copy(
            "communities_resident",
            (
                "community_id",
                "household_id",
                "name",
                "name_initials",
                "id_number",
                "id_valid",
                "id_tail",
                "gender",
                "birth_date",
                "relation",
                "phone",
                "phone_tail",
                "registration_type",
                "address_order",
                "note",
                "created_at",
                "updated_at",
            ),
            resident_rows(),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, birth_date FROM communities_resident WHERE community_id = %s "
                "ORDER BY id",
                [community.pk],
            )
            people = cursor.fetchall()

        def group_rows():
            start = dt.date(2023, 1, 1)
            for n, (resident_id, birth) in enumerate(people):
                if n % 100 < 8:
                    yield (community.pk, resident_id, types["dibao"].pk, start, "", 650)
                elif n % 100 < 11:
                    yield (community.pk, resident_id, types["disabled"].pk, start, "2", None)
                if rules.age_on(birth, today) >= 80:
                    yield (community.pk, resident_id, types["elderly_80"].pk, start, "", None)

        _copy(
            "communities_specialgroupmember",
            (
                "community_id",
                "resident_id",
                "group_type_id",
                "starts_on",
                "grade",
                "monthly_amount",
                "note",
                "created_at",
                "updated_at",
            ),
            ((*row, "", now, now) for row in group_rows()),
        )
    with connection.cursor() as cursor:
        for table in (
            "communities_household",
            "communities_resident",
            "communities_specialgroupmember",
        ):
            cursor.execute(f"ANALYZE {table}")
    log(
        f"{name}: {len(people):,} residents in {len(households):,} households, "
        f"{len(units):,} units, {len(buildings):,} buildings in {time.perf_counter() - started:.1f}s"
    )
    return community


def bench_user(role: str, username: str, *, community=None, street=None):
    """A user holding `role` there, made once (reused with a kept --data-dir)."""
    from django.contrib.auth import get_user_model

    from tests.factories import user_with_role

    existing = get_user_model().objects.filter(username=username).first()
    if existing is not None:
        return existing
    return user_with_role(role, community=community, street=street, username=username)
