"""Support shared by the reliability tests: the CLI in-process and as a subprocess, snapshots, index copies, stores."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from assistant.store import SessionStore

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "data" / "bad"
HELPERS = Path(__file__).resolve().parent


@dataclass
class CliResult:
    """What one ``smm`` invocation did."""

    code: int
    out: str
    err: str


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> CliResult:
    """``smm <argv>`` in this process, as the console script runs it (exit code, stdout, stderr)."""
    from assistant.cli import main

    capsys.readouterr()
    code = 0
    try:
        main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)


def spawn_cli(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.Popen[str]:
    """``python -m assistant.cli <argv>`` as a real process (started, not waited for)."""
    return subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", *argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd or ROOT,
    )


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a helper subprocess: this one's (isolated HOME and data dir) plus ``extra``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **extra}
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """``{relative path: (size, mtime_ns)}`` of every file under ``root`` (empty when it does not exist)."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def copy_index(built_index: Any, data_dir: Path) -> Path:
    """A data directory holding a copy of the session's built Chroma index (so subprocesses need not build one)."""
    src = Path(built_index.location)
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, data_dir / src.name, dirs_exist_ok=True)
    return data_dir


def wait_for(predicate: Any, timeout: float, what: str, proc: subprocess.Popen[Any] | None = None) -> None:
    """Poll ``predicate`` until it is true; fail with ``what`` after ``timeout`` seconds or if ``proc`` ends."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None and not predicate():
            out, err = proc.communicate()
            raise AssertionError(f"{what}: the process ended with {proc.returncode}\n{out}\n{err}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(0.02)


def read_log_lines(path: Path) -> list[list[str]]:
    """The complete lines of a helper's step log, split on tabs (a torn last line is ignored)."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    return [line.split("\t") for line in lines[:-1] if line]


def open_store(data_dir: Path, database_url: str | None = None) -> SessionStore:
    """The session store a helper uses: at ``database_url`` (else ``SMM_DATABASE_URL``), else SQLite in ``data_dir``."""
    from assistant.store import SessionStore

    url = database_url or os.environ.get("SMM_DATABASE_URL")
    return SessionStore.from_url(url) if url else SessionStore.in_data_dir(data_dir)
