"""Guarantee "concurrency": at least 20 interview sessions driven in parallel against one data directory, for
hundreds of turns, lose, duplicate or cross-wire no turn.

Worker processes (``tests/helpers/concurrency_worker.py``), each running sessions in threads with their own
``Interview`` and ``SessionStore`` objects on the same database, start together; afterwards a fresh store
must show every session with exactly its own answers, in order, once, and consecutive turn IDs. It runs on
both stores: one SQLite file, and a PostgreSQL server (``tests/helpers/postgres.py``). The test asserts
correctness; the throughput is printed (``tests/bench_concurrency.py`` and ``tests/bench_postgres.py`` measure it
at other sizes).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.concurrency import run_parallel
from tests.helpers.support import copy_index

pytestmark = pytest.mark.slow

WORKERS = int(os.environ.get("SMM_CONCURRENCY_WORKERS", "4"))
SESSIONS_PER_WORKER = int(os.environ.get("SMM_CONCURRENCY_SESSIONS", "5"))
INPUTS = int(os.environ.get("SMM_CONCURRENCY_INPUTS", "12"))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_parallel_sessions_lose_duplicate_or_cross_wire_no_turn(
    backend: str, catalog: Any, built_index: Any, tmp_path: Path, request: pytest.FixtureRequest, capsys
) -> None:
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    data = copy_index(built_index, tmp_path / "data")
    catalog_json = tmp_path / "catalog.json"
    catalog_json.write_text(catalog.model_dump_json(), encoding="utf-8")
    # The same sessions in half the processes on PostgreSQL: each process spends seconds loading its index, and the
    # server is shared between processes anyway; SQLite is the harder case for several writer processes.
    workers = WORKERS if backend == "sqlite" else max(2, WORKERS // 2)
    report = run_parallel(data, catalog_json, tmp_path, workers, WORKERS * SESSIONS_PER_WORKER // workers, INPUTS, url)
    assert report.backend == backend
    assert report.sessions >= 20
    assert report.turns >= 500, "hundreds of turns"
    with capsys.disabled():
        print(f"\nconcurrency: {report.line()}")
