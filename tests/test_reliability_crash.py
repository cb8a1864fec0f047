"""Guarantee "crashes": a process SIGKILLed at random points of an interview or of an export loses nothing it
reported done, resumes, and leaves exported files complete or absent, never truncated.

Real processes are killed (``tests/helpers/interview_driver.py`` and ``export_driver.py``), with seeded random
delays, several times each; then the survivors are checked from the files alone. The interview is killed on
both session stores: SQLite in the data directory and a PostgreSQL server (``tests/helpers/postgres.py``).

Temp files: a writer killed mid-write leaves its ``.<name>.<pid>.<random>.tmp``; the next write of the same
target removes every such file whose process is gone (``assistant.assessment.remove_stale_temp_files``), so
after one clean run none is left.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.assessment import Event, load_assessment, parse_assessment, save_assessment, utcnow
from assistant.store import SessionStore
from tests.helpers.crash import STARTUP_TIMEOUT, count, kill, run_interview_kills, spawn
from tests.helpers.support import ROOT, copy_index, read_log_lines, wait_for

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("SMM_CRASH_SEED", "20251125"))
INTERVIEW_KILLS = int(os.environ.get("SMM_CRASH_KILLS", "10"))
EXPORT_KILLS = int(os.environ.get("SMM_CRASH_EXPORT_KILLS", "6"))
INFLATE = 30_000  # one-kilobyte events added in the export driver: a JSON of ~40 MB takes a while to write


@pytest.fixture
def catalog_json(catalog: Any, tmp_path: Path) -> Path:
    path = tmp_path / "catalog.json"
    path.write_text(catalog.model_dump_json(), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------ interview


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_interview_survives_repeated_sigkill(
    backend: str, built_index: Any, catalog: Any, catalog_json: Path, tmp_path: Path, request: pytest.FixtureRequest, capsys
) -> None:
    """SIGKILL the driver ``INTERVIEW_KILLS`` times; an interview that ends first is checked and a new one begun.

    On PostgreSQL a kill also drops the driver's connections mid-transaction: the server must roll them back.
    """
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    data = copy_index(built_index, tmp_path / "data")
    # A third of the kills on PostgreSQL: each restart costs seconds of loading, and tests/bench_postgres.py kills
    # 50 times; these few prove that a kill mid-transaction on the server loses nothing either.
    kills = INTERVIEW_KILLS if backend == "sqlite" else max(2, INTERVIEW_KILLS // 3)
    report = run_interview_kills(data, catalog_json, tmp_path, kills, SEED, url)
    said, reviewed, turns = report.total("said"), report.total("reviewed"), report.total("turns")
    assert report.total("lost_answers") == 0, "every answer reported done is stored"
    assert report.total("lost_ratings") == 0, "every review reported done is the confirmed rating"
    with capsys.disabled():
        print(
            f"\ninterview crash test ({backend}): {report.kills} SIGKILLs survived in {len(report.sessions)} interview(s), "
            f"{said} answers and {reviewed} reviews reported done and found, {turns} turns, {report.seconds:.1f} s "
            f"(seed {SEED})"
        )


# ------------------------------------------------------------------------------------------------- exports


def _big_assessment(catalog: Any, path: Path) -> Path:
    a = load_assessment(ROOT / "eval" / "examples" / "bottling-line.json", catalog)
    a.metadata.system_description = "The line fills 40,000 bottles an hour. " * 20_000  # ~0.8 MB, shown in the report
    a.events += [Event(at=utcnow(), kind="note", actor="test", data={"text": "x" * 1000, "n": i}) for i in range(4_000)]
    save_assessment(a, path)
    return path


TARGETS = ("assessment.json", "report.html", "report.xlsx")


def _check_complete_or_absent(out: Path) -> dict[str, bool]:
    """Each target is absent or parses completely; returns which exist."""
    from openpyxl import load_workbook

    present = {}
    for name in TARGETS:
        path = out / name
        present[name] = path.exists()
        if not path.exists():
            continue
        data = path.read_bytes()
        if name.endswith(".json"):
            a = parse_assessment(data.decode("utf-8"), str(path))
            assert a.metadata.system_name.startswith("Export crash test, round ")
            json.loads(data)
        elif name.endswith(".html"):
            text = data.decode("utf-8")
            assert text.lstrip().lower().startswith("<!doctype html") and text.rstrip().endswith("</html>"), name
        else:
            wb = load_workbook(path, read_only=True)
            assert wb.sheetnames
            wb.close()
    return present


def _temp_files(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.name.endswith(".tmp"))


def test_exports_are_complete_or_absent_after_repeated_sigkill(catalog: Any, catalog_json: Path, tmp_path: Path, capsys) -> None:
    rng = random.Random(SEED + 1)
    source = _big_assessment(catalog, tmp_path / "big.json")
    out = tmp_path / "out"
    out.mkdir()
    log = tmp_path / "export.log"
    args = (str(out), str(log), str(source), str(catalog_json), "--inflate", str(INFLATE))
    kills = temps_seen = mid_write = 0
    pids: set[int] = set()
    for i in range(EXPORT_KILLS):
        ready_before, writing_before = count(log, "ready"), count(log, "writing")
        proc = spawn("tests.helpers.export_driver", *args)
        pids.add(proc.pid)
        wait_for(lambda n=ready_before: count(log, "ready") > n, STARTUP_TIMEOUT, "export driver start", proc)
        if i % 2 == 0:
            # During the first write of the large JSON (serialising, then writing, fsync, rename).
            wait_for(lambda n=writing_before: count(log, "writing") > n, STARTUP_TIMEOUT, "first write", proc)
            took = [float(f[2]) for f in read_log_lines(log) if f[0] == "wrote" and f[1] == "assessment.json"]
            time.sleep(rng.uniform(0.0, max(took[-3:], default=1.0)))
        else:
            time.sleep(rng.uniform(0.3, 4.0))  # anywhere in a round: rendering or writing the reports
        kills += kill(proc)
        lines = read_log_lines(log)
        last = [f for f in lines if f[0] in ("writing", "wrote", "ready")][-1]
        mid_write += last[0] == "writing"
        _check_complete_or_absent(out)
        temps = _temp_files(out)
        temps_seen += len(temps)
        for t in temps:  # only the killed writers' temp files, never a target half-written
            pid = int(t.name.split(".")[-3])
            assert pid in pids and t.name.startswith(tuple(f".{n}." for n in TARGETS)), t.name
    assert kills >= EXPORT_KILLS - 1, f"only {kills} kills landed"
    assert mid_write >= 1, "at least one kill landed inside a write"
    # One clean run: every target complete, and the killed writers' temp files are gone.
    proc = spawn("tests.helpers.export_driver", *args[:4], "--once")
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert all(_check_complete_or_absent(out).values())
    assert _temp_files(out) == [], "the next write removes the temp files of killed writers"
    with capsys.disabled():
        print(
            f"\nexport crash test: {kills} SIGKILLs ({mid_write} inside a write), {temps_seen} leftover temp file(s) seen and "
            f"removed by the next run, {count(log, 'round')} complete rounds, no truncated file (seed {SEED + 1})"
        )


# ------------------------------------------------------------------------------- the mechanisms, deterministically


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_next_write_removes_temp_files_of_dead_writers_and_keeps_live_ones(catalog: Any, tmp_path: Path) -> None:
    from assistant.report import write_report
    from assistant.scoring import score

    a = load_assessment(ROOT / "eval" / "examples" / "bottling-line.json", catalog)
    dead, alive = _dead_pid(), os.getppid()
    stale = [tmp_path / f".assessment.json.{dead}.x1y2.tmp", tmp_path / f".report.html.{dead}.z3.tmp"]
    live = [tmp_path / f".assessment.json.{alive}.a1.tmp", tmp_path / f".report.html.{alive}.b2.tmp"]
    other = [tmp_path / f".notes.txt.{dead}.c3.tmp", tmp_path / "report.html.tmp"]
    for f in [*stale, *live, *other]:
        f.write_bytes(b"half a file")
    save_assessment(a, tmp_path / "assessment.json")
    write_report(score(a, catalog), "html", tmp_path / "report.html", a, catalog)
    left = {p.name for p in tmp_path.iterdir()}
    assert not {f.name for f in stale} & left, "a dead writer's temp file is removed by the next write of its target"
    assert {f.name for f in [*live, *other]} <= left, "a live writer's temp file, and other files, are kept"
    assert {"assessment.json", "report.html"} <= left


def test_a_session_is_created_with_its_first_question_or_not_at_all(services, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed between creating a session and saving its first question, a session would resume without turn t1."""
    from assistant.interview import Interview

    real_insert = SessionStore._insert

    def dies(db: Any, session_id: str, seq: int, turn: Any) -> None:
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(SessionStore, "_insert", staticmethod(dies))
    with pytest.raises(KeyboardInterrupt):
        Interview.start(services.catalog, services.index, services.engine, services.store, session_id="half-made")
    monkeypatch.setattr(SessionStore, "_insert", staticmethod(real_insert))
    assert [s.id for s in services.store.sessions()] == [], "all or nothing"
    iv = Interview.start(services.catalog, services.index, services.engine, services.store, session_id="half-made")
    _state, _processed, turns = services.store.load(iv.session_id)
    assert [t.id for _seq, t in turns] == ["t1"]
