"""SIGKILL an interview process at random points and check what survived (used by the crash test and benchmark).

``tests/helpers/interview_driver.py`` runs one interview on a data directory (and on ``SMM_DATABASE_URL`` when
given), logging each step it completed; :func:`run_interview_kills` starts it, kills it after a random delay,
restarts it (it resumes the session) until enough kills have landed, lets it finish, and checks every session
from the store and the logs alone (:func:`verify_session`).
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.support import ROOT, child_env, open_store, read_log_lines, wait_for

STARTUP_TIMEOUT = 120.0


def spawn(module: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``python -m module args`` with the test's environment (plus ``env``)."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=child_env(**(env or {})),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill(proc: subprocess.Popen[str]) -> bool:
    """SIGKILL ``proc`` by its ID; True if it was still running (a real kill, not a late one)."""
    alive = proc.poll() is None
    if alive:
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    return alive and proc.returncode == -signal.SIGKILL


def count(log: Path, kind: str) -> int:
    """How many steps of ``kind`` the log holds."""
    return sum(1 for fields in read_log_lines(log) if fields[0] == kind)


@dataclass
class SessionCheck:
    """One interview checked after the kills."""

    said: int
    """Answers the driver logged as done."""
    reviewed: int
    """Reviews the driver logged as done."""
    turns: int
    lost_answers: int
    """Logged answers missing from the store."""
    lost_ratings: int
    """Logged reviews whose rating is not the confirmed one in the stored assessment."""


def verify_session(data: Path, log: Path, session_file: Path, database_url: str | None = None) -> SessionCheck:
    """Everything the driver reported done is in the store; turn IDs unique and consecutive; the interview done."""
    lines = read_log_lines(log)
    assert lines[-1][0] == "finished"
    sid = session_file.read_text(encoding="utf-8").strip()
    store = open_store(data, database_url)
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
    lost_answers = sum(1 for _kind, marker, turn_id in said if f"[m:{marker}]" not in stakeholder.get(turn_id, ""))
    reviewed = {pid: label for _kind, pid, label in (f for f in lines if f[0] == "reviewed")}
    current = state["assessment"]["current"]
    lost_ratings = 0
    for pid, label in reviewed.items():
        value = current[pid]["value"]
        got = "n/a" if value["not_applicable"] else f"{value['level']} ({value['scope']})"
        lost_ratings += got != label or current[pid]["status"] != "confirmed"
    assert state["phase"] == "done"
    assert processed == max(seq for seq, t in turns if t.role in ("stakeholder", "reviewer"))
    return SessionCheck(len(said), len(reviewed), len(turns), lost_answers, lost_ratings)


@dataclass
class CrashReport:
    """What :func:`run_interview_kills` did and found."""

    kills: int
    sessions: list[SessionCheck]
    seconds: float

    def total(self, field: str) -> int:
        """A field of :class:`SessionCheck` summed over the interviews."""
        return sum(int(getattr(s, field)) for s in self.sessions)


def run_interview_kills(
    data: Path, catalog_json: Path, work: Path, kills: int, seed: int, database_url: str | None = None
) -> CrashReport:
    """SIGKILL the driver ``kills`` times; an interview that ends first is checked and a new one begun."""
    rng = random.Random(seed)
    env = {"SMM_DATABASE_URL": database_url} if database_url else {}
    sessions: list[tuple[Path, Path]] = []
    landed = 0
    started = time.monotonic()
    while landed < kills:
        if not sessions or count(sessions[-1][0], "finished"):
            n = len(sessions)
            sessions.append((work / f"steps-{n}.log", work / f"session-{n}.txt"))
            assert n < max(5, kills // 2), "the driver keeps finishing before it is killed"
        log, session_file = sessions[-1]
        ready_before = count(log, "ready")
        proc = spawn("tests.helpers.interview_driver", str(data), str(log), str(session_file), str(catalog_json), env=env)
        wait_for(lambda n=ready_before, log=log: count(log, "ready") > n, STARTUP_TIMEOUT, "driver start", proc)
        steps_before = len(read_log_lines(log))
        # Random points: mostly while it answers and reviews, sometimes the instant it opened the session.
        time.sleep(rng.choice([0.0, rng.uniform(0.005, 0.1), rng.uniform(0.02, 0.4), rng.uniform(0.02, 0.4)]))
        killed = kill(proc)
        landed += killed
        if not killed:
            assert proc.returncode == 0, proc.stderr
        assert len(read_log_lines(log)) >= steps_before, "the step log only grows"
    # A last run without a kill completes the interview.
    log, session_file = sessions[-1]
    if not count(log, "finished"):
        proc = spawn("tests.helpers.interview_driver", str(data), str(log), str(session_file), str(catalog_json), env=env)
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    checks = [verify_session(data, log, session_file, database_url) for log, session_file in sessions]
    return CrashReport(landed, checks, time.monotonic() - started)
