"""PostgreSQL against SQLite for interview sessions, and SIGKILLs on PostgreSQL (not collected by pytest).

    .venv/bin/python -m tests.bench_postgres [--workers 2] [--sessions 20] [--inputs 16] [--kills 50] [--seed N]

Starts its own PostgreSQL server (``tests/helpers/postgres.py``: initdb in a temporary folder, 127.0.0.1, fsync
on as in production) and builds the catalog index once. Then:

1. **Throughput.** ``workers`` app processes of ``sessions`` threads each (40 interviews at once by default),
   every session saying ``inputs`` answers and reviewing proposals as they come (about 2,000 turns in all), once
   on a fresh PostgreSQL database and once on a fresh SQLite file. A fresh store then counts the answers lost,
   duplicated or stored in another session (all must be 0). Prints turns per second for both.
2. **SIGKILL.** An app process running an interview on PostgreSQL is killed at ``kills`` random points (seeded)
   and restarted each time, as ``tests/test_reliability_crash.py`` does; every answer and review it reported
   done must be in the store, and every review must be the confirmed rating. Prints the counts.

Exits 1 if anything was lost, duplicated or crossed. ``--kills 0`` skips part 2.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="app processes")
    parser.add_argument("--sessions", type=int, default=20, help="interviews (threads) per process")
    parser.add_argument("--inputs", type=int, default=16, help="answers per interview")
    parser.add_argument("--kills", type=int, default=50, help="SIGKILLs of an interview on PostgreSQL (0: skip)")
    parser.add_argument("--seed", type=int, default=20251125, help="seed of the kill points")
    args = parser.parse_args()

    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.pop("SMM_DATABASE_URL", None)
    from assistant.catalog import load_catalog
    from assistant.index import CatalogIndex
    from assistant.settings import Settings
    from tests.helpers.concurrency import run_parallel
    from tests.helpers.crash import run_interview_kills
    from tests.helpers.postgres import PostgresServer, unavailable_reason

    reason = unavailable_reason()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    faults = 0
    with tempfile.TemporaryDirectory(prefix="smm-bench-") as tmp, PostgresServer(durable=True) as pg:
        root = Path(tmp)
        catalog = load_catalog()
        catalog_json = root / "catalog.json"
        catalog_json.write_text(catalog.model_dump_json(), encoding="utf-8")
        index_dir = root / "index"
        t = time.perf_counter()
        CatalogIndex.open(catalog, Settings.from_env({"SMM_DATA_DIR": str(index_dir)})).build()
        print(f"index built in {time.perf_counter() - t:.1f} s; PostgreSQL {pg.server_version()} on 127.0.0.1:{pg.port}")

        for backend in ("postgresql", "sqlite"):
            work = root / f"parallel-{backend}"
            data = work / "data"
            shutil.copytree(index_dir, data)
            url = pg.create_database("parallel") if backend == "postgresql" else None
            t = time.perf_counter()
            report = run_parallel(data, catalog_json, work, args.workers, args.sessions, args.inputs, url, strict=False)
            faults += report.lost + report.duplicated + report.crossed
            print(f"{report.line()} (with process start-up: {time.perf_counter() - t:.1f} s)", flush=True)

        if args.kills:
            work = root / "kills"
            data = work / "data"
            shutil.copytree(index_dir, data)
            crash = run_interview_kills(data, catalog_json, work, args.kills, args.seed, pg.create_database("kills"))
            lost = crash.total("lost_answers") + crash.total("lost_ratings")
            faults += lost
            print(
                f"postgresql SIGKILL: {crash.kills} kills in {len(crash.sessions)} interview(s), {crash.total('said')} answers "
                f"and {crash.total('reviewed')} reviews reported done, {crash.total('turns')} turns; lost answers "
                f"{crash.total('lost_answers')}, lost confirmed ratings {crash.total('lost_ratings')} "
                f"({crash.seconds:.0f} s, seed {args.seed})"
            )
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
