"""Guarantee "secrets and privacy": API keys never appear in the database, logs, exports or error messages;
Chroma and Streamlit telemetry are off; a clear notice is shown whenever interview text leaves the machine.

Keys are planted in the environment, a whole run is made (guided and LLM interviews against a local model
server that echoes the key back in its errors, exports, every report format, an evaluation run, CLI errors),
and every artefact is searched for them, byte by byte (inside XLSX archives too).
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.commands.interview import privacy_notices
from assistant.engines.llm import LlmEngine
from assistant.interview import Interview
from assistant.services import make_engine
from assistant.settings import Settings
from tests.helpers.fault_server import FaultServer, Reply, Request, Status
from tests.helpers.support import ROOT, copy_index, run_cli

KEYS = {
    "OPENAI_API_KEY": "sk-test-PLANTED-4f1c2a9e7b3d5f60a1",
    "ANTHROPIC_API_KEY": "sk-ant-PLANTED-9e8d7c6b5a4f3e2d1c",
    "SMM_LLM_API_KEY": "sk-local-PLANTED-0a1b2c3d4e5f6a7b8c",
}
CORES = [k.split("PLANTED-")[1][:12] for k in KEYS.values()]  # a fragment catches a partly redacted key too

needs_openai = pytest.mark.skipif(
    __import__("importlib.util").util.find_spec("langchain_openai") is None and os.environ.get("SMM_REQUIRE_LLAMA") != "1",
    reason="langchain-openai is not installed",
)


def leaks(data: bytes) -> list[str]:
    return [k for k in [*KEYS.values(), *CORES] if k.encode() in data]


def artefact_leaks(*roots: Path) -> dict[str, list[str]]:
    """Every file under ``roots`` (XLSX members unpacked) that contains a planted key."""
    found: dict[str, list[str]] = {}
    for root in roots:
        for path in [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file()):
            data = path.read_bytes()
            hits = leaks(data)
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as z:
                    for member in z.namelist():
                        hits += leaks(z.read(member))
            if hits:
                found[str(path)] = hits
    return found


def echoing_server(req: Request) -> Any:
    """A model server that puts the caller's credentials in every error, the way careless proxies do."""
    auth = req.headers.get("authorization", "")
    if req.step == "interpret":
        return Status(
            401, {"error": {"message": f"Incorrect API key provided: {auth.removeprefix('Bearer ')}", "code": "invalid_api_key"}}
        )
    if req.step == "propose":
        return Status(500, {"error": {"message": f"upstream failed for request with headers Authorization: {auth}"}})
    return Reply({"question": "Could you say more?"})


@pytest.fixture
def planted(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for var, value in KEYS.items():
        monkeypatch.setenv(var, value)
    yield KEYS


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer(echoing_server) as srv:
        yield srv


TINY_SCENARIO = """\
id: tiny
title: Two practices of a camera maker
industry: consumer
opening: We make Wi-Fi cameras for homes and push updates by hand.
practices:
  H1.2:
    facts: [We install fixes by hand when a customer complains., Nothing about it is written down.]
    expected: {level: 1, scope: general}
  E1.1:
    facts: [Every camera has its own random password printed on a sticker.]
    expected: {level: 2, scope: general}
"""


@needs_openai
def test_planted_keys_appear_in_no_artefact_of_a_whole_run(
    services, planted, server: FaultServer, built_index: Any, isolated_env: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    data = copy_index(built_index, isolated_env)  # the CLI below finds a built index in the data directory
    out = tmp_path / "out"
    captured: list[str] = []

    def cli(*argv: str) -> int:
        r = run_cli(list(argv), capsys)
        captured.append(r.out + r.err)
        return r.code

    # 1. A guided interview and an LLM interview (OpenAI provider pointed at the local server), saved in SQLite.
    guided = Interview.start(
        services.catalog, services.index, services.engine, services.store, system_name="Cams", ask_objectives=False,
        profile="residential-cameras", practices=["H1.2"],
    )  # fmt: skip
    for text in ("We make cameras.", "We install fixes by hand.", "No.", "No.", "No."):
        if guided.pending is not None and guided.pending.kind == "review":
            break
        guided.say(text)
    guided.review("accept")
    settings = Settings.from_env({"SMM_DATA_DIR": str(data), "SMM_LLM": "openai:gpt-x", "SMM_LLM_BASE_URL": server.base_url})
    engine = make_engine(settings, services.catalog, services.index)
    assert isinstance(engine, LlmEngine)
    engine.timeout, engine.backoff, engine.rephrase = 2.0, 0.01, False
    llm_iv = Interview.start(
        services.catalog, services.index, engine, services.store, system_name="Cams (LLM)", ask_objectives=False,
        profile="residential-cameras", practices=["H1.2"], budget=1,
    )  # fmt: skip
    llm_iv.say("We make cameras.")
    llm_iv.say("We install fixes by hand when a customer complains.")
    assert llm_iv.pending is not None and llm_iv.pending.kind == "review"
    llm_iv.review("accept")
    assert any(r.headers.get("authorization") == f"Bearer {KEYS['OPENAI_API_KEY']}" for r in server.requests), (
        "the planted key was really in use"
    )
    assert engine.stats["interpret.fallback.provider"] and engine.stats["propose.fallback"]
    captured += [*engine.last_failure.values(), *(t.text for t in llm_iv.transcript)]
    p = llm_iv.state.practices["H1.2"].proposal
    assert p is not None and p.fallback and "[redacted]" in p.fallback, "the error is kept, redacted, for the reviewer"

    # 2. Exports and every report format, through the CLI.
    for iv, name in ((guided, "guided"), (llm_iv, "llm")):
        assert cli("export", iv.session_id, "-o", str(out / f"{name}.json")) == 0
        assert cli("score", str(out / f"{name}.json")) == 0
        for fmt in ("html", "xlsx", "md", "csv", "json"):
            assert cli("report", str(out / f"{name}.json"), "-o", str(out / f"{name}-report.{fmt}")) == 0

    # 3. An evaluation run with the LLM engine: every model call fails with the echoing errors, so the run
    #    stops (a model that cannot be reached is not measured) and keeps what it did in its checkpoint,
    #    whose report is written too.
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "tiny.yaml").write_text(TINY_SCENARIO, encoding="utf-8")
    monkeypatch.setenv("SMM_LLM", "openai:gpt-x")
    monkeypatch.setenv("SMM_LLM_BASE_URL", server.base_url)
    assert cli("eval", "run", "--engine", "llm", "--scenarios", str(scenarios), "--log-dir", str(out / "logs")) == 2
    log = next((out / "logs").glob("*.partial.jsonl"))
    assert cli("eval", "report", str(log), "-o", str(out / "eval.md")) == 0
    assert "the model could not be reached" in (out / "eval.md").read_text(encoding="utf-8")

    # 4. Errors on the command line, with the keys in the environment.
    monkeypatch.setenv("SMM_LLM", "anthropic:claude-x")
    assert cli("eval", "run", "--engine", "llm", "--scenarios", str(scenarios), "--log-dir", str(out / "logs2")) == 2
    monkeypatch.setenv("SMM_LLM", "openai:")
    assert cli("eval", "run", "--engine", "llm", "--scenarios", str(scenarios), "--log-dir", str(out / "logs2")) == 2
    monkeypatch.delenv("SMM_LLM")
    assert cli("score", str(tmp_path / "missing.json")) == 2
    assert cli("export", "no-such-session", "-o", str(out / "x.json")) == 2

    # 5. Search everything: the data directory (SQLite and its WAL, the index), outputs, logs, console output.
    found = artefact_leaks(data, out)
    assert found == {}, found
    for text in captured:
        assert leaks(text.encode()) == [], text[:500]
    with capsys.disabled():
        files = sum(1 for root in (data, out) for p in root.rglob("*") if p.is_file())
        print(f"\nsecrets: {len(KEYS)} planted keys, {files} files and {len(captured)} outputs searched, 0 found")


@needs_openai
def test_a_local_server_never_receives_the_openai_key(
    services, planted, server: FaultServer, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.delenv("SMM_LLM_API_KEY")
    for spec, expected in (("openai-compatible:m", "Bearer not-needed"), ("local", "Bearer not-needed")):
        since = server.reset()
        settings = Settings.from_env({"SMM_DATA_DIR": str(tmp_path), "SMM_LLM": spec, "SMM_LLM_BASE_URL": server.base_url})
        engine = make_engine(settings, services.catalog, services.index)
        assert isinstance(engine, LlmEngine)
        engine.timeout, engine.rephrase = 2.0, False
        iv = Interview.start(
            services.catalog,
            services.index,
            engine,
            None,
            profile="residential-cameras",
            ask_objectives=False,
            practices=["H1.2"],
        )
        iv.say("We make cameras.")
        iv.say("We install fixes by hand.")
        auth = {r.headers.get("authorization") for r in server.requests[since:]}
        assert auth == {expected}, auth


@needs_openai
def test_a_model_that_echoes_the_key_in_its_output_does_not_put_it_in_the_database(services, planted, tmp_path: Path) -> None:
    def echo_in_output(req: Request) -> Any:
        if req.step == "propose":
            turn = re.findall(r"\[(t\d+)\]", req.prompt)
            return Reply(
                {
                    "decision": "level",
                    "level": 1,
                    "scope": "general",
                    "confidence": 0.5,
                    "rationale": f"Debug: called with {req.headers.get('authorization', '')}",
                    "indicator_ids": ["H1.2-L1-01"],
                    "quotes": [{"turn_id": turn[0], "text": "We install fixes by hand when a customer complains"}],
                }
            )
        first = "We install fixes by hand when a customer complains" if "complains" in req.prompt else ""
        readings = [{"statement": first, "polarity": "partly", "supports": 1, "refutes": None, "indicators": []}] if first else []
        return Reply({"readings": readings})

    with FaultServer(echo_in_output) as srv:
        settings = Settings.from_env({"SMM_DATA_DIR": str(tmp_path), "SMM_LLM": "openai:gpt-x", "SMM_LLM_BASE_URL": srv.base_url})
        engine = make_engine(settings, services.catalog, services.index)
        assert isinstance(engine, LlmEngine)
        engine.rephrase = False
        iv = Interview.start(
            services.catalog, services.index, engine, services.store, profile="residential-cameras", ask_objectives=False,
            practices=["H1.2"], budget=1,
        )  # fmt: skip
        iv.say("We make cameras.")
        iv.say("We install fixes by hand when a customer complains; nothing is written down.")
    assert artefact_leaks(services.store.path.parent) == {}


def test_chroma_telemetry_is_off_even_without_the_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.index import make_client

    monkeypatch.delenv("ANONYMIZED_TELEMETRY", raising=False)  # conftest sets it; the product must not rely on it
    client = make_client(Settings.from_env({"SMM_DATA_DIR": str(tmp_path)}))
    assert client.get_settings().anonymized_telemetry is False


def test_streamlit_usage_statistics_are_off(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["address"] == "127.0.0.1" and config["server"]["headless"] is True
    from assistant.commands import ui

    seen: dict[str, Any] = {}

    class Execd(Exception):
        pass

    def fake_execve(path: str, argv: list[str], env: dict[str, str]) -> None:
        seen.update(path=path, argv=argv, env=env)
        raise Execd

    monkeypatch.setattr(os, "execve", fake_execve)
    with pytest.raises(Execd):
        ui.ui(port=8599, address="127.0.0.1", prepare=False)
    argv = seen["argv"]
    assert argv[argv.index("--browser.gatherUsageStats") + 1] == "false"
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"
    assert seen["env"]["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] == "false"


@pytest.mark.parametrize(
    ("env", "engine", "expected"),
    [
        ({"SMM_LLM": "openai:gpt-4o-mini"}, "llm", "off this machine"),
        ({"SMM_LLM": "anthropic:claude-x"}, "llm", "off this machine"),
        ({"SMM_LLM": "openai-compatible:m", "SMM_LLM_BASE_URL": "http://10.1.2.3:8000/v1"}, "llm", "off this machine"),
        ({"SMM_LLM": "openai-compatible:m", "SMM_LLM_BASE_URL": "http://127.0.0.1:8000/v1"}, "llm", None),
        ({"SMM_LLM": "local"}, "llm", None),
        ({"SMM_EMBEDDINGS": "openai:text-embedding-3-small"}, "guided", "search vectors"),
        ({}, "guided", None),
    ],
)
def test_a_notice_is_shown_whenever_interview_text_leaves_the_machine(
    env: dict[str, str], engine: str, expected: str | None
) -> None:
    notices = privacy_notices(Settings.from_env({"SMM_DATA_DIR": "/nonexistent", **env}), engine)
    if expected is None:
        assert notices == []
    else:
        assert notices and any(expected in n for n in notices), notices


def test_the_interview_command_prints_the_notice_before_the_first_answer(
    planted, built_index: Any, isolated_env: Path, capsys, monkeypatch
) -> None:
    pytest.importorskip("langchain_openai")
    copy_index(built_index, isolated_env)
    monkeypatch.setenv("SMM_LLM", "openai:gpt-4o-mini")  # a hosted model; no call is made before an answer
    r = run_cli(["interview", "--name", "Cams", "--practices", "H1.2", "--no-objectives"], capsys)
    assert r.code == 0, r.err
    flat = " ".join(r.out.split())
    assert "sent off this machine" in flat and flat.index("sent off this machine") < flat.index("saved. Resume with")
    assert leaks(r.out.encode() + r.err.encode()) == []
    shutil.rmtree(isolated_env / "chroma", ignore_errors=True)
