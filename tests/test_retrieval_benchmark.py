"""The retrieval benchmark: the real function on a balanced subset of the labelled statements (so the test fails
if retrieval breaks), and clear errors for a malformed statements file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from assistant import llm
from assistant.catalog import Catalog
from assistant.embeddings import MODEL_NAME, default_embeddings
from assistant.errors import InputError
from assistant.evaluation.retrieval import RetrievalReport, StatementSet, load_statements, run_retrieval_benchmark
from assistant.settings import Settings
from tests.test_index import MemoEmbeddings

PER_PRACTICE = 2


def subset(statements: StatementSet, per_practice: int = PER_PRACTICE) -> StatementSet:
    """The first ``per_practice`` statements of every practice, in file order."""
    seen: Counter[str] = Counter()
    chosen = []
    for s in statements.statements:
        if seen[s.practice] < per_practice:
            seen[s.practice] += 1
            chosen.append(s)
    return StatementSet(version=statements.version, statements=chosen)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog) -> RetrievalReport:
    """The real benchmark with the real model; vectors already computed in this run (tests/test_index.py) are reused."""
    data = tmp_path_factory.mktemp("bench-data")
    settings = Settings.from_env({"SMM_DATA_DIR": str(data)})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(llm, "load_embeddings", lambda spec: MemoEmbeddings(default_embeddings()))
        result = run_retrieval_benchmark(catalog, settings, subset(load_statements()))
    assert not any(data.iterdir()), "the benchmark builds its index in a temporary folder, not the data directory"
    return result


def test_shipped_statements(catalog: Catalog) -> None:
    st = load_statements()
    ids = [s.id for s in st.statements]
    assert len(ids) == len(set(ids)) >= 100
    counts = Counter(s.practice for s in st.statements)
    assert set(counts) == set(catalog.practices)
    assert min(counts.values()) >= PER_PRACTICE
    assert all(s.text.strip() for s in st.statements)


@pytest.mark.slow
def test_recall_is_reasonable(report: RetrievalReport, catalog: Catalog) -> None:
    assert report.statements == PER_PRACTICE * len(catalog.practices)
    assert report.embeddings == MODEL_NAME
    assert report.documents > 900
    hybrid, dense = report.methods
    assert hybrid.method.startswith("hybrid") and "(default)" in hybrid.method
    assert dense.method.startswith("dense only")
    assert hybrid.recall_at_3 >= 0.7, report.misses
    assert hybrid.recall_at_1 >= 0.5
    assert hybrid.mrr >= 0.6
    assert dense.recall_at_3 >= 0.6


@pytest.mark.slow
def test_report_is_consistent(report: RetrievalReport) -> None:
    for m in report.methods:
        assert 0.0 <= m.recall_at_1 <= m.recall_at_3 <= 1.0
        assert m.recall_at_1 <= m.mrr <= 1.0
        assert 0.0 <= m.level_agreement <= m.level_within_one <= 1.0
        assert 0 <= m.level_n <= report.statements
    hybrid = report.methods[0]
    assert len(report.misses) == round((1 - hybrid.recall_at_3) * report.statements)
    assert all(line.split(" ", 1)[0].startswith("r") for line in report.misses)
    assert 0 < report.query_p50_ms <= report.query_p95_ms
    assert report.build_seconds > 0


# ------------------------------------------------------------------------------------- bad files


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "statements.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            "version: 1\nstatements:\n  - id: a\n    text: We patch.\n",
            ["statements.yaml", "statements.0.practice", "Field required"],
        ),
        (
            "version: 1\nstatements:\n  - {id: a, text: We patch., practice: H1.3}\n",
            ["statements.0.practice", "should match pattern"],
        ),
        (
            "version: 1\nstatements:\n  - {id: a, text: We patch., practice: H1.2, level: 5}\n",
            ["statements.0.level", "less than or equal to 4"],
        ),
        (
            "version: 1\nstatements:\n  - {id: a, text: We patch., practice: H1.2, colour: red}\n",
            ["statements.0.colour", "Extra inputs are not permitted"],
        ),
        ("- just\n- a list\n", ["statements.yaml", "valid dictionary"]),
        ("version: 1\nversion: 2\nstatements: []\n", ["statements.yaml:line 2, column 1", "duplicate key 'version'"]),
        ("version: 1\nstatements: [\n", ["statements.yaml", "invalid YAML"]),
    ],
)
def test_malformed_statements_file(tmp_path: Path, text: str, fragments: list[str]) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_statements(path)
    msg = str(info.value)
    assert str(path) in msg
    for f in fragments:
        assert f in msg, (f, msg)


def test_missing_and_non_utf8_statements_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found; check the path"):
        load_statements(tmp_path / "nothing.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("version: 1\nstatements: []\n# caf\u00e9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text"):
        load_statements(bad)


def test_a_valid_file_loads(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 3\nstatements:\n  - {id: a, text: We patch., practice: H1.2, level: 2}\n")
    st = load_statements(path)
    assert st.version == 3 and st.statements[0].level == 2
