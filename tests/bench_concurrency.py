"""Throughput of parallel interview sessions on one data directory (not collected by pytest).

    .venv/bin/python -m tests.bench_concurrency [--workers 4] [--sessions 5] [--inputs 12] [--repeat 1]

Builds the catalog index once in a temporary data directory, then runs ``workers`` processes of ``sessions``
threads each, every session saying ``inputs`` answers (reviews as proposals come) on the same SQLite file, and
checks the result exactly as ``tests/test_reliability_concurrency.py`` does. Prints turns per second.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=4, help="worker processes")
    parser.add_argument("--sessions", type=int, default=5, help="sessions (threads) per worker")
    parser.add_argument("--inputs", type=int, default=12, help="answers per session")
    parser.add_argument("--repeat", type=int, default=1, help="runs, each on a fresh store")
    args = parser.parse_args()

    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from assistant.catalog import load_catalog
    from assistant.index import CatalogIndex
    from assistant.settings import Settings
    from tests.helpers.concurrency import run_parallel

    with tempfile.TemporaryDirectory(prefix="smm-bench-") as tmp:
        root = Path(tmp)
        catalog = load_catalog()
        catalog_json = root / "catalog.json"
        catalog_json.write_text(catalog.model_dump_json(), encoding="utf-8")
        index_dir = root / "index"
        t = time.perf_counter()
        CatalogIndex.open(catalog, Settings.from_env({"SMM_DATA_DIR": str(index_dir)})).build()
        print(f"index built in {time.perf_counter() - t:.1f} s")
        import shutil

        for run in range(1, args.repeat + 1):
            work = root / f"run-{run}"
            data = work / "data"
            shutil.copytree(index_dir, data)
            t = time.perf_counter()
            report = run_parallel(data, catalog_json, work, args.workers, args.sessions, args.inputs)
            print(f"run {run}: {report.line()} (with process start-up: {time.perf_counter() - t:.1f} s)")


if __name__ == "__main__":
    main()
