"""Guarantee "crashes": a process SIGKILLed at random points of an interview or of an export loses nothing it
reported done, resumes, and leaves exported files complete or absent, never truncated.

Real processes are killed (``tests/helpers/interview_driver.py`` and ``export_driver.py``), with seeded random
delays, several times each; then the survivors are checked from the files alone.

Temp files: a writer killed mid-write leaves its ``.<name>.<pid>.<random>.tmp``; the next write of the same
target removes every such file whose process is gone (``assistant.assessment.remove_stale_temp_files``), so
after one clean run none is left.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.assessment import Event, load_assessment, parse_assessment, save_assessment, utcnow
from assistant.store import SessionStore
from tests.helpers.support import ROOT, child_env, copy_index, read_log_lines, wait_for

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("SMM_CRASH_SEED", "20251125"))
INTERVIEW_KILLS = int(os.environ.get("SMM_CRASH_KILLS", "10"))
EXPORT_KILLS = int(os.environ.get("SMM_CRASH_EXPORT_KILLS", "6"))
INFLATE = 30_000  # one-kilobyte events added in the export driver: a JSON of ~40 MB takes a while to write
STARTUP_TIMEOUT = 120.0


def _spawn(module: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=child_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill(proc: subprocess.Popen[str]) -> bool:
    """SIGKILL ``proc`` by its ID; True if it was still running (a real kill, not a late one)."""
    alive = proc.poll() is None
    if alive:
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    return alive and proc.returncode == -signal.SIGKILL


def _count(log: Path, kind: str) -> int:
    return sum(1 for fields in read_log_lines(log) if fields[0] == kind)


@pytest.fixture
def catalog_json(catalog: Any, tmp_path: Path) -> Path:
    path = tmp_path / "catalog.json"
    path.write_text(catalog.model_dump_json(), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------ interview


def _verify_session(data: Path, log: Path, session_file: Path) -> tuple[int, int, int]:
    """Everything the driver reported done is in the store; turn IDs unique and consecutive; the interview done."""
    lines = read_log_lines(log)
    assert lines[-1][0] == "finished"
    sid = session_file.read_text(encoding="utf-8").strip()
    store = SessionStore.in_data_dir(data)
    state, processed, turns = store.load(sid)
    store.close()
    ids = [t.id for _seq, t in turns]
    assert len(ids) == len(set(ids))
    assert [int(i[1:]) for i in ids] == list(range(1, len(ids) + 1)), ids
    assert [seq for seq, _t in turns] == list(range(1, len(turns) + 1))
    said = [f for f in lines if f[0] == "said"]
    stakeholder = {t.id: t.text for _seq, t in turns if t.role == "stakeholder"}
    markers = [m for text in stakeholder.values() for m in re.findall(r"\[m:([0-9a-f]{12})\]", text)]
    assert len(markers) == len(set(markers)), "no answer was stored twice"
    for _kind, marker, turn_id in said:
        assert f"[m:{marker}]" in stakeholder.get(turn_id, ""), f"answer {marker} ({turn_id}) was reported done but is lost"
    reviewed = {pid: label for _kind, pid, label in (f for f in lines if f[0] == "reviewed")}
    current = state["assessment"]["current"]
    for pid, label in reviewed.items():
        value = current[pid]["value"]
        got = "n/a" if value["not_applicable"] else f"{value['level']} ({value['scope']})"
        assert got == label, (pid, got, label)
        assert current[pid]["status"] == "confirmed"
    assert state["phase"] == "done"
    assert processed == max(seq for seq, t in turns if t.role in ("stakeholder", "reviewer"))
    return len(said), len(reviewed), len(turns)


def test_interview_survives_repeated_sigkill(built_index: Any, catalog: Any, catalog_json: Path, tmp_path: Path, capsys) -> None:
    """SIGKILL the driver ``INTERVIEW_KILLS`` times; an interview that ends first is checked and a new one begun."""
    rng = random.Random(SEED)
    data = copy_index(built_index, tmp_path / "data")
    sessions: list[tuple[Path, Path]] = []
    kills = 0
    started = time.monotonic()
    while kills < INTERVIEW_KILLS:
        if not sessions or _count(sessions[-1][0], "finished"):
            n = len(sessions)
            sessions.append((tmp_path / f"steps-{n}.log", tmp_path / f"session-{n}.txt"))
            assert n < 5, "the driver keeps finishing before it is killed"
        log, session_file = sessions[-1]
        ready_before = _count(log, "ready")
        proc = _spawn("tests.helpers.interview_driver", str(data), str(log), str(session_file), str(catalog_json))
        wait_for(lambda n=ready_before, log=log: _count(log, "ready") > n, STARTUP_TIMEOUT, "driver start", proc)
        steps_before = len(read_log_lines(log))
        # Random points: mostly while it answers and reviews, sometimes the instant it opened the session.
        time.sleep(rng.choice([0.0, rng.uniform(0.005, 0.1), rng.uniform(0.02, 0.4), rng.uniform(0.02, 0.4)]))
        killed = _kill(proc)
        kills += killed
        if not killed:
            assert proc.returncode == 0, proc.stderr
        assert len(read_log_lines(log)) >= steps_before, "the step log only grows"
    # A last run without a kill completes the interview.
    log, session_file = sessions[-1]
    if not _count(log, "finished"):
        proc = _spawn("tests.helpers.interview_driver", str(data), str(log), str(session_file), str(catalog_json))
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    totals = [_verify_session(data, log, session_file) for log, session_file in sessions]
    said, reviewed, turns = (sum(t[i] for t in totals) for i in range(3))
    with capsys.disabled():
        print(
            f"\ninterview crash test: {kills} SIGKILLs survived in {len(sessions)} interview(s), {said} answers and "
            f"{reviewed} reviews reported done and found, {turns} turns, {time.monotonic() - started:.1f} s (seed {SEED})"
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
        ready_before, writing_before = _count(log, "ready"), _count(log, "writing")
        proc = _spawn("tests.helpers.export_driver", *args)
        pids.add(proc.pid)
        wait_for(lambda n=ready_before: _count(log, "ready") > n, STARTUP_TIMEOUT, "export driver start", proc)
        if i % 2 == 0:
            # During the first write of the large JSON (serialising, then writing, fsync, rename).
            wait_for(lambda n=writing_before: _count(log, "writing") > n, STARTUP_TIMEOUT, "first write", proc)
            took = [float(f[2]) for f in read_log_lines(log) if f[0] == "wrote" and f[1] == "assessment.json"]
            time.sleep(rng.uniform(0.0, max(took[-3:], default=1.0)))
        else:
            time.sleep(rng.uniform(0.3, 4.0))  # anywhere in a round: rendering or writing the reports
        kills += _kill(proc)
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
    proc = _spawn("tests.helpers.export_driver", *args[:4], "--once")
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert all(_check_complete_or_absent(out).values())
    assert _temp_files(out) == [], "the next write removes the temp files of killed writers"
    with capsys.disabled():
        print(
            f"\nexport crash test: {kills} SIGKILLs ({mid_write} inside a write), {temps_seen} leftover temp file(s) seen and "
            f"removed by the next run, {_count(log, 'round')} complete rounds, no truncated file (seed {SEED + 1})"
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
