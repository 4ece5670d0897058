"""Benchmark of a community's public disclosure page (issue #7, "Speed": with 5 years of
quarterly items, at least 50% of the requests per second of a bare Django view measured in
the same run, caching invalidated on publication, a fixed number of queries).

    .venv/bin/python benchmarks/bench_public.py                  # 5 years, 3 rounds of 4 s
    .venv/bin/python benchmarks/bench_public.py --seconds 6 --rounds 5 --years 10

It starts a throwaway embedded PostgreSQL and Redis (tools.embedded via ledger_data, whatever
DATABASE_URL says), migrates, fills one community with five years of quarterly items of every
disclosure category (the monthly release of every month, a correction of each year's Q2
financial item: 225 published items), a committee with members, and then, in this one
process, with the same anonymous Django test Client (a resident: full middleware stack,
persistent database connection, Redis cache as in production, DEBUG off), alternates in
half-second slices timed loops of GET requests to

- the community's public page, /public/c/<id>/, as deployed (affairs_disclosure.public_cache:
  the page version memoised per process for DISCLOSURE_VERSION_MEMO_SECONDS, default 1 s);
- the same page strict (DISCLOSURE_VERSION_MEMO_SECONDS = 0: the version read from Redis on
  every request), for information;
- a bare view returning HttpResponse("ok") at /bench/bare/, through the same middleware;

and prints each one's requests/s, the ratio page/bare (target >= 50%) and per round, the
number of queries of the page on a cache hit and on a miss at 1 and at --years years, and
whether an item published after the page was cached shows on the next request.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from ledger_data import (  # noqa: E402
    django_env,
    log,
    migrate,
    setup_django,
    throwaway_services,
)

TARGET_RATIO = 0.50
SLICE_SECONDS = 0.5


def _bench_urls():
    """The project's URLs plus the bare view, as a module for ROOT_URLCONF."""
    from django.http import HttpResponse
    from django.urls import include, path

    def bare(request):
        return HttpResponse("ok")

    module = types.ModuleType("bench_public_urls")
    module.urlpatterns = [path("bench/bare/", bare), path("", include("config.urls"))]
    sys.modules[module.__name__] = module
    return module.__name__


def add_years(community, start: int, years: int) -> int:
    """Published items of every category for `years` years of quarters from `start`."""
    from affairs_disclosure.models import Category
    from tests.factories import DisclosureItemFactory

    count = 0
    for year in range(start, start + years):
        for quarter in (1, 2, 3, 4):
            for category in Category.values:
                months = range(3 * quarter - 2, 3 * quarter + 1)
                for month in months if category == Category.MONTHLY else [None]:
                    item = DisclosureItemFactory(
                        community=community,
                        category=category,
                        year=year,
                        quarter=quarter,
                        month=month,
                        published=True,
                        title=f"{year} 年第 {quarter} 季度{Category(category).label}",
                    )
                    count += 1
                    if category == Category.FINANCE and quarter == 2:
                        DisclosureItemFactory(
                            community=community,
                            category=category,
                            year=year,
                            quarter=quarter,
                            version=2,
                            supersedes=item,
                            published=True,
                            title=f"{year} 年第 {quarter} 季度财务收支（更正）",
                        )
                        count += 1
    return count


def rate(client, url: str, seconds: float) -> tuple[float, int]:
    """Requests per second of GET `url` for `seconds` (every response must be 200)."""
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        done += 1
        now = time.perf_counter()
        if now >= deadline:
            return done / (now - started), done


def queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def miss_and_hit(client, url: str) -> tuple[int, int]:
    from django.core.cache import cache

    from affairs_disclosure.public_cache import local_clear

    cache.clear()
    local_clear()
    return queries(client, url), queries(client, url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4.0, help="per page per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with throwaway_services() as (database_url, redis_url):
        setup_django(django_env(database_url, redis_url))
        from django.conf import settings

        settings.ROOT_URLCONF = _bench_urls()
        migrate()
        from django.test import Client, override_settings
        from django.urls import clear_url_caches, reverse

        from communities.models import OrgKind
        from tests.factories import (
            CommunityFactory,
            DisclosureItemFactory,
            MembershipFactory,
            OrganisationFactory,
        )

        clear_url_caches()
        community = CommunityFactory(name="基准社区", office_hours="周一至周五 8:30-17:00")
        committee = OrganisationFactory(community=community, kind=OrgKind.COMMITTEE)
        for position in ("director", "deputy_director", "member", "member", "member"):
            MembershipFactory(organisation=committee, position=position)
        start = 2026 - args.years
        page = reverse("public:community", args=[community.pk])
        bare = "/bench/bare/"
        client = Client()
        count = add_years(community, start, 1)
        small = miss_and_hit(client, page)
        count += add_years(community, start + 1, args.years - 1)
        large = miss_and_hit(client, page)
        started = time.perf_counter()
        miss_and_hit(client, page)
        miss_ms = (time.perf_counter() - started) * 1000
        size = len(client.get(page).content)
        for url in (page, bare):  # warm
            for _i in range(20):
                client.get(url)

        names = ("page", "strict", "bare")
        rates: dict[str, list[float]] = {name: [] for name in names}
        totals = {name: [0, 0.0] for name in names}
        slices = max(1, int(args.seconds / SLICE_SECONDS))
        for r in range(args.rounds):
            done = {name: [0, 0.0] for name in names}
            for _slice in range(slices):
                for name in names:
                    if name == "strict":
                        with override_settings(DISCLOSURE_VERSION_MEMO_SECONDS=0):
                            per_second, n = rate(client, page, SLICE_SECONDS)
                    else:
                        per_second, n = rate(
                            client, page if name == "page" else bare, SLICE_SECONDS
                        )
                    done[name][0] += n
                    done[name][1] += n / per_second
            for name, (n, seconds) in done.items():
                rates[name].append(n / seconds)
                totals[name][0] += n
                totals[name][1] += seconds
            log(
                f"round {r + 1}: page {rates['page'][-1]:,.1f} req/s, strict "
                f"{rates['strict'][-1]:,.1f} req/s, bare {rates['bare'][-1]:,.1f} req/s"
            )

        # A publication replaces the page version: the next request shows the new item.
        from affairs_disclosure.services import bump_public_version

        DisclosureItemFactory(
            community=community, year=2026, quarter=4, published=True, title="基准新公布事项"
        )
        bump_public_version(community.pk)
        fresh = "基准新公布事项" in client.get(page).content.decode()

    rps = {name: totals[name][0] / totals[name][1] for name in names}
    ratio = rps["page"] / rps["bare"]
    per_round = [a / b for a, b in zip(rates["page"], rates["bare"], strict=True)]
    print(
        f"\nPublic community page with {count} published items over {args.years} years "
        "vs a bare view (same client)"
    )
    for name, label in (
        ("page", "public page"),
        ("strict", "page, strict"),
        ("bare", "bare view"),
    ):
        print(f"  {label:<13} {rps[name]:9,.1f} req/s  {1000 / rps[name]:6.2f} ms")
    print(
        f"  ratio page/bare: {ratio:.1%} (target >= {TARGET_RATIO:.0%}): "
        f"{'OK' if ratio >= TARGET_RATIO else 'UNDER'}; strict/bare: "
        f"{rps['strict'] / rps['bare']:.1%}"
    )
    print(
        "  per round: "
        + ", ".join(f"{x:.1%}" for x in per_round)
        + f" (median {statistics.median(per_round):.1%})"
    )
    print(
        f"  queries (miss, hit): {small} with 1 year, {large} with {args.years} years; "
        f"a miss takes {miss_ms:.0f} ms; page {size:,} bytes"
    )
    print(f"  an item published after caching shows on the next request: {fresh}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
