"""Benchmark of the resident ledger export (issue #4, "Speed and memory": export of 100,000
rows streaming, peak memory under 150 MiB).

    .venv/bin/python benchmarks/bench_export.py                       # 20,000 and 100,000
    .venv/bin/python benchmarks/bench_export.py --sizes 5000 20000 100000

It starts a throwaway embedded PostgreSQL and Redis (tools.embedded, whatever DATABASE_URL
says), migrates, creates one community per size with that many residents (COPY, see
ledger_data.py; not the importer), then for each size runs, in a FRESH subprocess so that its
peak RSS is its own, communities.ledger_exports.resident_export of the whole community
(what the background export task runs: scoped, masked, formula-escaped, write-only
openpyxl, rows from a server-side cursor) into a temporary file, and prints rows/s, the file
size, the process's RSS after Django was set up and its peak RSS (VmHWM), and
the growth of the peak from the smallest to the largest size; then the largest size once more
as a background job (communities.ledger_jobs.export_job_run, the Celery task's body, which
also copies the file into the job's row). Target: peak < 150 MiB, flat. Takes about 4
minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger_data import (  # noqa: E402
    ROOT,
    bench_user,
    current_rss_mib,
    django_env,
    log,
    make_community,
    migrate,
    peak_rss_mib,
    setup_django,
    throwaway_services,
)

TARGET_MIB = 150


def child(community_id: int, user_id: int, job_id: int | None = None) -> None:
    """One export in this (fresh) process; prints one JSON line. With `job_id`: the
    background task's body (communities.ledger_jobs.export_job_run), which also stores the
    file in the job's row."""
    setup_django()
    import tempfile

    import openpyxl  # noqa: F401  (loaded before the baseline: part of any export process)
    from django.contrib.auth import get_user_model

    from communities.ledger_exports import resident_export
    from communities.ledger_jobs import export_job_run
    from communities.models import ExportJob

    user = get_user_model().objects.get(pk=user_id)
    baseline = current_rss_mib()
    started = time.perf_counter()
    if job_id:
        assert export_job_run(job_id=job_id) == "done"
        job = ExportJob.objects.defer("content").get(pk=job_id)
        rows, size = job.rows, job.size
    else:
        with tempfile.TemporaryFile() as handle:
            filters = {"community_id": community_id}
            rows = resident_export(user=user, filters=filters, stream=handle)
            size = handle.tell()
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": seconds,
                "bytes": size,
                "baseline_mib": baseline,
                "peak_mib": peak_rss_mib(),
            }
        ),
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--data-dir", help="keep the servers' data here and reuse it next time")
    parser.add_argument("--child", nargs="+", type=int, metavar="COMMUNITY USER [JOB]")
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0

    with throwaway_services(args.data_dir) as (database_url, redis_url):
        env = django_env(database_url, redis_url)
        setup_django(env)
        migrate()
        from communities.models import Street
        from core.models import Role
        from tests.factories import StreetFactory

        street = Street.objects.filter(name="导出基准街道").first() or StreetFactory(
            name="导出基准街道"
        )
        user = bench_user(Role.STREET_ADMIN, "bench-export-admin", street=street)
        communities = {
            n: make_community(f"导出{n}社区", n, street=street, region=f"2201{i + 4:02d}")
            for i, n in enumerate(sorted(args.sizes))
        }
        from communities.models import ExportJob

        largest = max(communities)
        job = ExportJob.objects.create(  # queued, as export_job_create leaves it
            user=user,
            community=communities[largest],
            filters={"community_id": communities[largest].pk},
            file_name="bench.xlsx",
        )
        from django.db import connections

        connections.close_all()
        results = {}
        runs = [(n, community, []) for n, community in communities.items()]
        runs.append((largest, communities[largest], [str(job.pk)]))
        for n, community, extra in runs:
            how = "as a background job" if extra else "to a file"
            log(f"exporting {n:,} residents {how} in a fresh process")
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(community.pk), str(user.pk), *extra],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                return out.returncode
            results[(n, bool(extra))] = json.loads(out.stdout.strip().splitlines()[-1])

    print("\nResident export (.xlsx), one fresh process each")
    print(
        f"{'rows':>9} {'seconds':>8} {'rows/s':>8} {'file MiB':>9} {'RSS after setup':>16} {'peak RSS':>9}"
    )
    for (_n, as_job), r in results.items():
        print(
            f"{r['rows']:>9,} {r['seconds']:>8.2f} {r['rows'] / r['seconds']:>8,.0f} "
            f"{r['bytes'] / 2**20:>9.1f} {r['baseline_mib']:>12.1f} MiB {r['peak_mib']:>5.1f} MiB"
            + ("  background job: export_job_run, file stored in its row" if as_job else "")
        )
    sizes = sorted(n for n, as_job in results if not as_job)
    growth = results[(sizes[-1], False)]["peak_mib"] - results[(sizes[0], False)]["peak_mib"]
    worst = max(r["peak_mib"] for r in results.values())
    print(
        f"peak RSS growth {sizes[0]:,} -> {sizes[-1]:,} rows (to a file): {growth:+.1f} MiB; "
        f"largest peak {worst:.1f} MiB (target < {TARGET_MIB} MiB): "
        f"{'OK' if worst < TARGET_MIB else 'OVER'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
