"""Benchmark of the portal's resident list page (issue #4, "Speed and memory": with 100,000
residents in the community, at least 10% of the requests per second of a bare Django view
measured in the same run).

    .venv/bin/python benchmarks/bench_list.py                  # 100,000 residents, 3 rounds
    .venv/bin/python benchmarks/bench_list.py --seconds 5 --rounds 5
    .venv/bin/python benchmarks/bench_list.py --profile 300    # cProfile of 300 list requests

It starts a throwaway embedded PostgreSQL and Redis (tools.embedded, whatever DATABASE_URL
says), migrates, creates a community with 100,000 residents (COPY, see ledger_data.py), logs
in a committee director of it and then, in this one process, with the same Django test
Client (full middleware stack, session cookie, persistent database connection, Redis cache
as in production; DEBUG off), alternates timed loops of GET requests to

- the resident list, /portal/ledgers/community/<id>/residents/ (first page), and
- a bare view returning HttpResponse("ok") at /bench/bare/, through the same middleware,

in alternating half-second slices, --seconds each per round (so both see the same load on a
shared machine), and prints each one's requests/s over all rounds, the ratio list/bare
(target >= 10%) and the ratio per round, and, for information, the list's other pages
(offset 50,000, a pinyin search, a filter) and the number of queries of each page. Takes
about 3 minutes on 2 cores (most of it the migrations).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger_data import (  # noqa: E402
    bench_user,
    django_env,
    log,
    make_community,
    migrate,
    setup_django,
    throwaway_services,
)

TARGET_RATIO = 0.10
SLICE_SECONDS = 0.5


def _bench_urls():
    """The project's URLs plus the bare view, as a module for ROOT_URLCONF."""
    from django.http import HttpResponse
    from django.urls import include, path

    def bare(request):
        return HttpResponse("ok")

    module = types.ModuleType("bench_list_urls")
    module.urlpatterns = [path("bench/bare/", bare), path("", include("config.urls"))]
    sys.modules[module.__name__] = module
    return module.__name__


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
        client.get(url)
    return len(ctx.captured_queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=4.0, help="per page per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, help="cProfile N list requests")
    parser.add_argument("--data-dir", help="keep the servers' data here and reuse it next time")
    args = parser.parse_args()

    with throwaway_services(args.data_dir) as (database_url, redis_url):
        setup_django(django_env(database_url, redis_url))
        from django.conf import settings

        settings.ROOT_URLCONF = _bench_urls()
        migrate()
        from django.test import Client
        from django.urls import clear_url_caches, reverse

        from core.models import Role

        clear_url_caches()
        community = make_community(f"列表{args.residents}社区", args.residents, region="220108")
        user = bench_user(Role.COMMITTEE_DIRECTOR, "bench-list-director", community=community)
        client = Client()
        client.force_login(user)
        list_url = reverse("ledgers:residents", args=[community.pk])
        bare_url = "/bench/bare/"
        from communities.ledger_views import RESIDENTS_PER_PAGE

        middle = 50_000 // RESIDENTS_PER_PAGE + 1
        others = {
            f"page {middle} (offset 50,000)": list_url + f"?page={middle}",
            "search zjh (pinyin initials)": list_url + "?q=zjh",
            "filter 低保": list_url + "?group=dibao",
        }
        for url in (list_url, bare_url, *others.values()):  # warm: caches, counts, plans
            for _i in range(20):
                client.get(url)

        if args.profile:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
            for _i in range(args.profile):
                client.get(list_url)
            profile.disable()
            stats = pstats.Stats(profile)
            stats.sort_stats("tottime").print_stats(30)
            stats.sort_stats("cumulative").print_stats(60)
            return 0

        # Short slices, alternating, so that both see the same load on the machine.
        rates: dict[str, list[float]] = {"list": [], "bare": []}
        totals = {"list": [0, 0.0], "bare": [0, 0.0]}
        slices = max(1, int(args.seconds / SLICE_SECONDS))
        for r in range(args.rounds):
            done = {"list": [0, 0.0], "bare": [0, 0.0]}
            for _slice in range(slices):
                for name, url in (("list", list_url), ("bare", bare_url)):
                    per_second, n = rate(client, url, SLICE_SECONDS)
                    done[name][0] += n
                    done[name][1] += n / per_second
            for name, (n, seconds) in done.items():
                rates[name].append(n / seconds)
                totals[name][0] += n
                totals[name][1] += seconds
            log(
                f"round {r + 1}: list {rates['list'][-1]:,.1f} req/s, "
                f"bare {rates['bare'][-1]:,.1f} req/s"
            )
        extra = {name: rate(client, url, args.seconds / 2)[0] for name, url in others.items()}
        n_queries = queries(client, list_url)
        bare_queries = queries(client, bare_url)

    list_rps = totals["list"][0] / totals["list"][1]
    bare_rps = totals["bare"][0] / totals["bare"][1]
    ratio = list_rps / bare_rps
    per_round = [a / b for a, b in zip(rates["list"], rates["bare"], strict=True)]
    print(f"\nResident list with {args.residents:,} residents vs a bare view (same client)")
    print(f"  list page 1  {list_rps:9,.1f} req/s  {1000 / list_rps:6.2f} ms  {n_queries} queries")
    print(
        f"  bare view    {bare_rps:9,.1f} req/s  {1000 / bare_rps:6.2f} ms  {bare_queries} queries"
    )
    print(
        f"  ratio list/bare: {ratio:.1%} (target >= {TARGET_RATIO:.0%}): "
        f"{'OK' if ratio >= TARGET_RATIO else 'UNDER'}"
    )
    print(
        "  per round: "
        + ", ".join(f"{x:.1%}" for x in per_round)
        + f" (median {statistics.median(per_round):.1%})"
    )
    for name, per_second in extra.items():
        print(f"  {name:<30} {per_second:9,.1f} req/s  {1000 / per_second:6.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
