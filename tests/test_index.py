"""The semantic index: build once with the real embeddings (module fixture), idempotence and rebuild on change
(fast lexical fake embeddings), filters and citable hits, the Chroma server mode, the CLI, and that a build and
search touch neither the network nor the home directory."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import yaml
from langchain_core.embeddings import Embeddings

from assistant.catalog import Catalog, default_catalog_dir, load_catalog
from assistant.cli import main
from assistant.embeddings import MODEL_NAME, MiniLMEmbeddings
from assistant.errors import ConfigError
from assistant.index import KINDS, CatalogIndex, Hit, catalog_documents, make_client
from assistant.settings import Settings

# ------------------------------------------------------------------------------------------- helpers


class HashEmbeddings(Embeddings):
    """Deterministic lexical embeddings for fast tests: each word hashed into one of 64 dimensions."""

    def __init__(self, name: str = "test:hash64") -> None:
        self.name = name
        self.calls = 0

    def _vector(self, text: str) -> list[float]:
        v = np.zeros(64, dtype=np.float64)
        for w in re.findall(r"[a-z0-9]+", text.lower()):
            v[int.from_bytes(hashlib.blake2b(w.encode(), digest_size=4).digest(), "big") % 64] += 1.0
        n = np.linalg.norm(v)
        out: list[float] = (v / n if n else np.full(64, 0.125)).tolist()
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


class MemoEmbeddings(Embeddings):
    """The real embeddings, each distinct text embedded once per test run.

    Embedding the catalog is the slow part of a build; the retrieval benchmark (tests/test_retrieval_benchmark.py)
    builds its own index from the same texts and reuses these vectors when this module ran first.
    """

    memo: ClassVar[dict[str, list[float]]] = {}

    def __init__(self, base: MiniLMEmbeddings) -> None:
        self.base = base
        self.name = base.name

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            self.memo.update(zip(missing, self.base.embed_documents(missing), strict=True))
        return [list(self.memo[t]) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def settings_for(data: Path, chroma_url: str | None = None) -> Settings:
    env = {"SMM_DATA_DIR": str(data)}
    if chroma_url:
        env["SMM_CHROMA_URL"] = chroma_url
    return Settings.from_env(env)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_citable(hit: Hit, index: CatalogIndex, catalog: Catalog) -> None:
    """The hit's ID is a catalog ID whose practice, level, kind and text match the catalog."""
    doc = index.document(hit.id)
    assert (hit.practice, hit.level, hit.kind, hit.text) == (doc.practice, doc.level, doc.kind, doc.text)
    assert hit.practice in catalog.practices
    assert hit.id.startswith(hit.practice + "-")
    assert -1.0 - 1e-6 <= hit.score <= 1.0 + 1e-6
    if hit.kind == "indicator":
        ind = catalog.indicator(hit.id)
        assert ind.text == hit.text
        assert ind in catalog.practices[hit.practice].level(hit.level).indicators
    if hit.level:
        assert f"-L{hit.level}" in hit.id


@dataclass
class Built:
    index: CatalogIndex
    rebuilt: bool
    documents: int
    data: Path
    home: Path
    connects: list[Any] = field(default_factory=list)


def _is_loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    return host in ("localhost", "127.0.0.1", "::1", "", None) or (isinstance(host, str) and host.startswith("127."))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog) -> Iterator[Built]:
    """One real build (MiniLM) for the module, run with an empty HOME and every connection attempt recorded."""
    home = tmp_path_factory.mktemp("empty-home")
    data = tmp_path_factory.mktemp("index-data")
    connects: list[Any] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        for var in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "SMM_CHROMA_URL", "SMM_EMBEDDINGS"):
            mp.delenv(var, raising=False)
        guarded_connect, guarded_connect_ex, guarded_getaddrinfo = (
            socket.socket.connect,
            socket.socket.connect_ex,
            socket.getaddrinfo,
        )

        def connect(self: socket.socket, address: Any) -> Any:
            connects.append(address)
            return guarded_connect(self, address)

        def connect_ex(self: socket.socket, address: Any) -> Any:
            connects.append(address)
            return guarded_connect_ex(self, address)

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            connects.append((host, "getaddrinfo"))
            return guarded_getaddrinfo(host, *args, **kwargs)

        mp.setattr(socket.socket, "connect", connect)
        mp.setattr(socket.socket, "connect_ex", connect_ex)
        mp.setattr(socket, "getaddrinfo", getaddrinfo)

        index = CatalogIndex.open(catalog, settings_for(data), MemoEmbeddings(MiniLMEmbeddings()))
        result = index.build()
        index.search("signed firmware updates", k=3, practice="H1.2")
        index.rank_practices("we push security fixes over the air")
    yield Built(index, result.rebuilt, result.documents, data, home, connects)


# --------------------------------------------------------------------------------- documents and IDs


def test_catalog_documents_are_unique_and_citable(catalog: Catalog) -> None:
    docs = catalog_documents(catalog)
    ids = [d.id for d in docs]
    assert len(ids) == len(set(ids))
    indicator_ids = {i.id for p in catalog.practices.values() for _, i in p.indicators()}
    assert {d.id for d in docs if d.kind == "indicator"} == indicator_ids
    assert {d.kind for d in docs} == set(KINDS)
    for d in docs:
        assert d.text.strip()
        assert d.practice in catalog.practices and d.id.startswith(d.practice + "-")
        assert (d.level == 0) == (d.kind in ("objective", "explanation") or d.id.endswith("-Q0"))


# --------------------------------------------------------------------------------- real build (MiniLM)


def test_build_stores_every_document(built: Built, catalog: Catalog) -> None:
    index = built.index
    assert built.rebuilt is True
    assert built.documents == len(index.documents) == len(catalog_documents(catalog))
    st = index.status()
    assert st.exists and st.up_to_date
    assert st.documents == st.expected_documents == built.documents
    assert st.stored_hash == st.catalog_hash == catalog.content_hash
    assert st.catalog_version == catalog.version
    assert st.embeddings == MODEL_NAME
    assert st.location == str(built.data / "chroma")
    assert (built.data / "chroma").is_dir()


def test_build_is_idempotent(built: Built, catalog: Catalog) -> None:
    again = built.index.build()
    assert again.rebuilt is False and again.documents == built.documents
    reopened = CatalogIndex.open(catalog, settings_for(built.data), built.index.embeddings)
    assert reopened.status().up_to_date
    assert reopened.build().rebuilt is False


def test_reopened_index_ranks_like_the_built_one(built: Built, catalog: Catalog) -> None:
    """Vectors fetched back from Chroma give the same ranking as the ones computed at build time."""
    reopened = CatalogIndex.open(catalog, settings_for(built.data), built.index.embeddings)
    text = "Our devices check the signature of every firmware update before installing it."
    a = built.index.rank_practices(text)
    b = reopened.rank_practices(text)
    assert [r.practice for r in a] == [r.practice for r in b]
    assert np.allclose([r.score for r in a], [r.score for r in b], atol=1e-5)


def test_chroma_search_agrees_with_brute_force(built: Built) -> None:
    index = built.index
    text = "a written incident response plan with roles and escalation"
    vec = index.embed_query(text)
    sims = index.similarities(vec)
    assert sims.shape == (len(index.documents),)
    best = index.documents[int(np.argmax(sims))]
    hits = index.search(text, k=3)
    assert hits[0].id == best.id
    assert hits[0].score == pytest.approx(float(sims.max()), abs=1e-4)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


SEMANTIC = [
    ("Every firmware update we ship is signed and devices refuse unsigned images.", "H1.2"),
    ("We run penetration tests and vulnerability scans on the gateway before each release.", "H1.1"),
    ("Each device has its own certificate, and we can revoke it from the backend if the unit is stolen.", "E1.1"),
    ("The control cabinet is locked and only the maintenance staff have the key.", "E2.2"),
    ("Before designing the product we listed what an attacker could do at each trust boundary.", "G2.1"),
    ("We check which regulations and standards apply to our product, such as the EU Cyber Resilience Act.", "G1.2"),
]


@pytest.mark.parametrize(("text", "practice"), SEMANTIC)
def test_rank_practices_finds_the_practice(built: Built, text: str, practice: str) -> None:
    ranked = built.index.rank_practices(text)
    assert len(ranked) == 18 and len({r.practice for r in ranked}) == 18
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    assert practice in [r.practice for r in ranked[:3]], [(r.practice, round(r.score, 3)) for r in ranked[:5]]
    for r in ranked:
        assert r.best.practice == r.practice


def test_paraphrase_finds_the_practice_texts(built: Built) -> None:
    """A paraphrase with few shared words still finds the practice's texts."""
    hits = built.index.search("devices only accept genuine software from the manufacturer", k=5)
    assert "H1.2" in {h.practice for h in hits} or "E2.1" in {h.practice for h in hits}


# ------------------------------------------------------------------------------------------- filters


FILTERS: list[dict[str, Any]] = [
    {"practice": "H1.2"},
    {"practice": ["H1.2", "G2.1"]},
    {"level": 3},
    {"level": [1, 2]},
    {"level": 0},
    {"kind": "indicator"},
    {"kind": ["question", "evidence"]},
    {"practice": "E1.2", "level": 4, "kind": "indicator"},
    {"practice": ["H1.1", "H1.2"], "level": [2, 3], "kind": ["indicator", "summary"]},
]


def _matches(value: Any, want: str | int | list[Any] | None) -> bool:
    if want is None:
        return True
    return value in want if isinstance(want, list) else value == want


@pytest.mark.parametrize("filters", FILTERS, ids=[str(f) for f in FILTERS])
def test_filters(built: Built, catalog: Catalog, filters: dict[str, Any]) -> None:
    hits = built.index.search("patching devices and keeping them secure", k=12, **filters)
    assert hits, filters
    expected = [
        d
        for d in built.index.documents
        if _matches(d.practice, filters.get("practice"))
        and _matches(d.level, filters.get("level"))
        and _matches(d.kind, filters.get("kind"))
    ]
    assert len(hits) == min(12, len(expected))
    for h in hits:
        assert_citable(h, built.index, catalog)
        assert _matches(h.practice, filters.get("practice"))
        assert _matches(h.level, filters.get("level"))
        assert _matches(h.kind, filters.get("kind"))


def test_filter_with_fewer_matches_than_k(built: Built, catalog: Catalog) -> None:
    hits = built.index.search("anything", k=10, practice="H1.2", kind="objective")
    assert [h.id for h in hits] == ["H1.2-OBJ"]
    assert hits[0].text.startswith(catalog.practices["H1.2"].name)


def test_filter_that_matches_nothing(built: Built) -> None:
    assert built.index.search("anything", k=3, practice="H1.2", level=0, kind="indicator") == []


def test_search_with_a_precomputed_vector(built: Built) -> None:
    index = built.index
    text = "asset inventory of every device"
    assert [h.id for h in index.search(text, k=4)] == [h.id for h in index.search("ignored", k=4, vector=index.embed_query(text))]


# ------------------------------------------------------------------------------- home and network


ONNXRUNTIME_CACHE = ".cache/Microsoft/DeveloperTools/.onnxruntime"


def test_build_and_search_leave_the_home_directory_alone(built: Built) -> None:
    created = sorted(p.relative_to(built.home).as_posix() for p in built.home.rglob("*"))
    allowed = {".cache", ".cache/Microsoft", ".cache/Microsoft/DeveloperTools", ONNXRUNTIME_CACHE}
    unexpected = [p for p in created if p not in allowed and not p.startswith(ONNXRUNTIME_CACHE + "/")]
    assert unexpected == [], f"a build and search wrote into HOME: {unexpected}"


def test_build_and_search_make_no_connection(built: Built) -> None:
    remote = [a for a in built.connects if isinstance(a, tuple) and not _is_loopback(a[0])]
    assert remote == [], f"the embedded index tried to reach the network: {remote}"


def test_the_network_guard_is_active() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        with pytest.raises(RuntimeError, match="tests may not reach the network"):
            s.connect(("10.255.255.1", 80))
        with pytest.raises(RuntimeError, match="tests may not reach the network"):
            s.connect_ex(("10.255.255.1", 80))
    with pytest.raises(RuntimeError, match="tests may not resolve"):
        socket.getaddrinfo("example.com", 443)
    with pytest.raises(RuntimeError):
        socket.create_connection(("example.com", 80), timeout=0.5)
    with pytest.raises(RuntimeError):
        urllib.request.urlopen("http://10.255.255.1/", timeout=0.5)


def test_the_test_run_has_its_own_home_and_data_dir(isolated_env: Path, session_home: Path) -> None:
    assert Path(os.environ["HOME"]) == session_home
    assert Path(os.environ["SMM_DATA_DIR"]) == isolated_env
    assert Settings.from_env().data_dir == isolated_env
    assert os.environ.get("ANONYMIZED_TELEMETRY") == "False"


# ---------------------------------------------------------------------- rebuild on change (fake emb)


@pytest.fixture
def changed_tree(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    shutil.copytree(default_catalog_dir(), root)
    patch = root / "practices" / "H1.2-patch-management.yaml"
    data = yaml.safe_load(patch.read_text(encoding="utf-8"))
    data["levels"][2]["indicators"][1]["text"] = "Quokka firmware is signed with a zebra key and checked by every device."
    patch.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return root


def test_rebuild_only_when_the_catalog_changes(tmp_path: Path, catalog: Catalog, changed_tree: Path) -> None:
    settings = settings_for(tmp_path / "data")
    emb = HashEmbeddings()
    first = CatalogIndex.open(catalog, settings, emb)
    assert first.status().exists is False
    assert first.build().rebuilt is True
    assert first.build().rebuilt is False
    calls = emb.calls

    changed = load_catalog(changed_tree)
    assert changed.content_hash != catalog.content_hash
    second = CatalogIndex.open(changed, settings, emb)
    st = second.status()
    assert st.exists and not st.up_to_date
    assert st.stored_hash == catalog.content_hash and st.catalog_hash == changed.content_hash
    assert second.build().rebuilt is True
    assert emb.calls > calls
    assert second.status().up_to_date
    calls = emb.calls
    assert second.build().rebuilt is False
    assert emb.calls == calls  # nothing embedded when current
    hits = second.search("Quokka firmware is signed with a zebra key and checked by every device.", k=1)
    assert hits[0].id == "H1.2-L3-02" and hits[0].text.startswith("Quokka firmware")
    assert first.status().up_to_date is False  # the store now holds the changed catalog


def test_rebuild_when_the_embeddings_change(tmp_path: Path, catalog: Catalog) -> None:
    settings = settings_for(tmp_path / "data")
    a = CatalogIndex.open(catalog, settings, HashEmbeddings("test:hash64"))
    assert a.build().rebuilt is True
    # Same collection name (same slug), different model recorded: stale, rebuilt in place.
    b = CatalogIndex.open(catalog, settings, HashEmbeddings("test/hash64"))
    assert b.collection_name == a.collection_name
    st = b.status()
    assert st.exists and not st.up_to_date and st.embeddings == "test/hash64"
    assert b.build().rebuilt is True
    assert b.build().rebuilt is False
    assert not a.status().up_to_date
    # A different model gets its own collection.
    c = CatalogIndex.open(catalog, settings, HashEmbeddings("test:other-model"))
    assert c.collection_name != a.collection_name
    assert c.build().rebuilt is True
    assert b.status().up_to_date


def test_rebuild_when_documents_are_missing_or_forced(tmp_path: Path, catalog: Catalog) -> None:
    index = CatalogIndex.open(catalog, settings_for(tmp_path / "data"), HashEmbeddings())
    index.build()
    index.client.get_collection(index.collection_name).delete(ids=["H1.2-L3-02"])
    st = index.status()
    assert st.documents == st.expected_documents - 1 and not st.up_to_date
    assert index.build().rebuilt is True
    assert index.status().documents == st.expected_documents
    assert index.build(force=True).rebuilt is True
    assert index.build().rebuilt is False


def test_search_builds_a_missing_index_first(tmp_path: Path, catalog: Catalog) -> None:
    index = CatalogIndex.open(catalog, settings_for(tmp_path / "data"), HashEmbeddings())
    hits = index.search("patch management", k=2, practice="H1.2")
    assert hits and all(h.practice == "H1.2" for h in hits)
    assert index.status().up_to_date


def test_build_reports_progress(tmp_path: Path, catalog: Catalog) -> None:
    index = CatalogIndex.open(catalog, settings_for(tmp_path / "data"), HashEmbeddings())
    seen: list[tuple[int, int]] = []
    index.build(progress=lambda done, total: seen.append((done, total)), batch=100)
    total = len(index.documents)
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


# --------------------------------------------------------------------------------------- server mode


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A real ``chroma run`` on 127.0.0.1 and a free port, for the module; terminated afterwards."""
    exe = Path(sys.executable).parent / "chroma"
    if not exe.exists():
        pytest.skip("the chroma CLI is not installed")
    tmp_path = tmp_path_factory.mktemp("chroma-server")
    store = tmp_path / "server-store"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMM_")}
    env.update(HOME=str(tmp_path / "server-home"), ANONYMIZED_TELEMETRY="False")
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(store), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr and proc.poll() is not None else ""
                pytest.fail(f"chroma server did not start: {err[-2000:]}")
            time.sleep(0.1)
        yield url, store
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()


@pytest.mark.server
def test_server_mode(chroma_server: tuple[str, Path], tmp_path: Path, catalog: Catalog) -> None:
    url, store = chroma_server
    data = tmp_path / "data"
    settings = settings_for(data, chroma_url=url)
    index = CatalogIndex.open(catalog, settings, HashEmbeddings())
    assert index.location == url
    assert index.status().exists is False
    result = index.build()
    assert result.rebuilt and result.documents == len(index.documents)
    st = index.status()
    assert st.up_to_date and st.location == url and st.documents == result.documents
    hits = index.search("signed firmware update", k=3, practice="H1.2", level=[3, 4], kind="indicator")
    assert len(hits) == 3
    for h in hits:
        assert_citable(h, index, catalog)
        assert h.practice == "H1.2" and h.level in (3, 4) and h.kind == "indicator"
    assert index.rank_practices("signed firmware update devices patch")[0].practice == "H1.2"
    again = CatalogIndex.open(catalog, settings, HashEmbeddings())
    assert again.build().rebuilt is False  # the server kept it
    assert not (data / "chroma").exists()  # nothing embedded locally in server mode
    assert any(store.iterdir())


@pytest.mark.server
def test_server_mode_through_the_environment(
    chroma_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = chroma_server
    monkeypatch.setenv("SMM_CHROMA_URL", url + "/")
    code, out, _ = run(["index", "status"], capsys)
    assert code == 0
    assert url in out and "False" in out
    assert "missing or stale" in out


@pytest.mark.parametrize("url", ["ftp://127.0.0.1:8000", "http://127.0.0.1:8000/path", "127.0.0.1:8000"])
def test_server_url_must_be_a_url(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match=re.escape("is not a URL like http://127.0.0.1:8000")):
        make_client(settings_for(tmp_path, chroma_url=url))


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(ConfigError, match=f"cannot reach the Chroma server at {re.escape(url)}.*unset SMM_CHROMA_URL"):
        make_client(settings_for(tmp_path, chroma_url=url))


def test_unreachable_server_through_the_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SMM_CHROMA_URL", f"http://127.0.0.1:{_free_port()}")
    code, _, err = run(["index", "status"], capsys)
    assert code == 2 and err.startswith("smm: error: cannot reach the Chroma server") and "Traceback" not in err


# ----------------------------------------------------------------------------------------------- CLI


def test_cli_status_build_and_search(built: Built, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SMM_DATA_DIR", str(built.data))
    code, out, _ = run(["index", "status"], capsys)
    assert code == 0 and "up to date" in out and "True" in out and "missing or stale" not in out
    code, out, _ = run(["index", "build"], capsys)
    assert code == 0 and "index already current" in " ".join(out.split())
    code, out, _ = run(["search", "signed", "firmware", "updates", "--practice", "H1.2", "--level", "3", "-k", "3"], capsys)
    assert code == 0
    cited = set(re.findall(r"H1\.2-L3-[0-9A-Z]+", out))
    assert cited and all(c in {d.id for d in built.index.documents} for c in cited)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["search", "x", "--kind", "bogus"], "--kind 'bogus' is not one of objective, explanation"),
        (["search", "x", "--practice", "Z9.9"], "--practice 'Z9.9' is not a practice ID"),
    ],
)
def test_cli_search_input_errors(argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(argv, capsys)
    assert code == 2 and err.startswith("smm: error: ") and fragment in err and err.count("\n") == 1


@pytest.mark.parametrize("argv", [["search", "x", "--level", "9"], ["search", "x", "-k", "0"], ["search"]])
def test_cli_search_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(argv, capsys)
    assert code == 2 and "Traceback" not in err and "Error:" in err


def test_cli_search_answers_the_question_first(
    built: Built, catalog: Catalog, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMM_DATA_DIR", str(built.data))
    code, out, _ = run(["search", "what does level 3 of patch management require?", "-k", "3"], capsys)
    assert code == 0
    flat = " ".join(out.split())
    assert flat.startswith("Answer: H1.2 Patch Management, level 3 (Consistent) [H1.2-L3]: ")
    summary = " ".join(catalog.practices["H1.2"].level(3).summary.split())
    ids = [i.id for i in catalog.practices["H1.2"].level(3).indicators]
    assert f"{summary} Indicators: {', '.join(ids)}." in flat
    assert flat.index("Answer:") < flat.index("Catalog text that matches"), "the answer comes before the snippets"

    code, out, _ = run(["search", "everyone", "in", "support", "shares", "one", "admin", "password"], capsys)
    assert code == 0
    m = re.match(
        r"Answer: ([GEH]\d\.\d) .+?, level (\d) \(.+?\) \[\1-L\2\]: (.+) Indicators: ([\w.-]+(?:, [\w.-]+)*)\. ",
        " ".join(out.split()),
    )
    assert m, out
    pid, level = m.group(1), int(m.group(2))
    assert pid in ("E1.1", "E1.2"), "a shared admin password is about identities or access control"
    assert m.group(4).split(", ") == [i.id for i in catalog.practices[pid].level(level).indicators]
