"""Run and check many interview sessions in parallel on one session store (used by the test and the benchmarks).

The store is SQLite in the data directory, or the database at ``database_url`` (PostgreSQL), which the worker
processes get as ``SMM_DATABASE_URL``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.support import ROOT, child_env, open_store

MARKER = re.compile(r"\[w(\d+)s(\d+)#(\d+)\]")


@dataclass
class ConcurrencyReport:
    """What a parallel run did, checked from a fresh store."""

    backend: str
    workers: int
    sessions: int
    inputs: int
    """Stakeholder answers (each with a marker)."""
    reviews: int
    turns: int
    """All turns stored (questions, answers, proposals, reviews, replies)."""
    seconds: float
    """Wall time of the parallel phase (first session started to last session done)."""
    lost: int = 0
    """Answers a worker said that the store does not hold."""
    duplicated: int = 0
    """Answers stored more than once."""
    crossed: int = 0
    """Answers stored in another session than the one they were said in."""

    @property
    def turns_per_second(self) -> float:
        return self.turns / self.seconds

    @property
    def inputs_per_second(self) -> float:
        return (self.inputs + self.reviews) / self.seconds

    def line(self) -> str:
        return (
            f"{self.backend}: {self.sessions} sessions in {self.workers} processes: {self.inputs} answers + {self.reviews} "
            f"reviews, {self.turns} turns stored in {self.seconds:.1f} s = {self.turns_per_second:.1f} turns/s "
            f"({self.inputs_per_second:.1f} inputs/s); lost {self.lost}, duplicated {self.duplicated}, crossed {self.crossed}"
        )


def run_parallel(
    data_dir: Path,
    catalog_json: Path,
    work: Path,
    workers: int,
    sessions: int,
    inputs: int,
    database_url: str | None = None,
    *,
    strict: bool = True,
) -> ConcurrencyReport:
    """Start ``workers`` processes of ``sessions`` threads each, let them go together, and check the store.

    ``strict`` asserts every invariant; without it the lost, duplicated and crossed answers are only counted.
    """
    go = work / "go"
    work.mkdir(parents=True, exist_ok=True)
    extra = {"SMM_DATABASE_URL": database_url} if database_url else {}
    procs = []
    for w in range(workers):
        result = work / f"worker-{w}.json"
        procs.append(
            (
                result,
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "tests.helpers.concurrency_worker",
                        str(data_dir),
                        str(catalog_json),
                        str(w),
                        str(sessions),
                        str(inputs),
                        str(go),
                        str(result),
                    ],
                    cwd=ROOT,
                    env=child_env(**extra),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
        )
    # Every worker loads its index first; the go signal then starts all sessions at once.
    open_store(data_dir, database_url).close()  # the schema exists before the rush
    time.sleep(0.5)
    go.touch()
    results = []
    for result, proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, (
            f"worker failed ({proc.returncode}):\n{out}\n{err}\n{result.read_text() if result.exists() else ''}"
        )
        results.append(json.loads(result.read_text(encoding="utf-8")))
    return check(data_dir, results, workers, sessions, inputs, database_url, strict=strict)


def check(
    data_dir: Path,
    results: list[dict],  # type: ignore[type-arg]
    workers: int,
    sessions: int,
    inputs: int,
    database_url: str | None = None,
    *,
    strict: bool = True,
) -> ConcurrencyReport:
    """Every session holds exactly its own markers, in order, once; turn IDs and sequence numbers are consecutive."""
    store = open_store(data_dir, database_url)  # a fresh store: only what is in the database counts
    expected = {r["session"]: (w, s, r["markers"]) for w, res in enumerate(results) for s, r in enumerate(res["sessions"])}
    assert all(not res["errors"] for res in results), [res["errors"] for res in results]
    assert len(expected) == workers * sessions, "session IDs are unique"
    stored = {x.id for x in store.sessions()}
    if strict:
        assert stored == set(expected)
    turns_total = reviews = lost = duplicated = crossed = 0
    for sid, (w, s, markers) in expected.items():
        if sid not in stored:
            lost += len(markers)
            continue
        state, processed, turns = store.load(sid)
        said = [m for _seq, t in turns if t.role == "stakeholder" for m in MARKER.findall(t.text)]
        got = [f"[w{a}s{b}#{c}]" for a, b, c in said]
        lost += len(set(markers) - set(got))
        duplicated += len(got) - len(set(got))
        crossed += sum(1 for a, b, _c in said if (int(a), int(b)) != (w, s))
        reviews += sum(1 for _seq, t in turns if t.role == "reviewer")
        turns_total += len(turns)
        if not strict:
            continue
        assert len(markers) == inputs
        assert got == markers, f"session {sid}: lost, duplicated, reordered or foreign answers"
        assert all((int(a), int(b)) == (w, s) for a, b, _c in said), f"session {sid} holds another session's answer"
        assert [seq for seq, _t in turns] == list(range(1, len(turns) + 1)), f"session {sid}: sequence numbers"
        assert [t.id for _seq, t in turns] == [f"t{i}" for i in range(1, len(turns) + 1)], f"session {sid}: turn IDs"
        assert state["turn_counter"] == len(turns) and state["session_id"] == sid
        assert processed == max(seq for seq, t in turns if t.role in ("stakeholder", "reviewer"))
        reviewers = {t.text for _seq, t in turns if t.role == "reviewer"}
        assert all('"reviewer": null' in r or f"w{w}s{s}" in r for r in reviewers)
    store.close()
    started = min(r["started"] for r in results)
    ended = max(r["ended"] for r in results)
    return ConcurrencyReport(
        store.backend,
        workers,
        workers * sessions,
        workers * sessions * inputs,
        reviews,
        turns_total,
        ended - started,
        lost,
        duplicated,
        crossed,
    )
