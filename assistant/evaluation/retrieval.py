"""The retrieval benchmark: stakeholder-style statements labelled with a practice (and level).

Measures practice recall@1 and @3, MRR, level agreement, index build time and query latency, for
dense retrieval alone and fused with BM25 (reciprocal-rank fusion), so the choice is made on figures.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from assistant.catalog import PRACTICE_ID, Catalog
from assistant.errors import InputError
from assistant.index import DENSE_TOP, CatalogIndex
from assistant.resources import data_path
from assistant.settings import Settings
from assistant.yamlio import YamlLoadError, load_yaml_file


class Statement(BaseModel):
    """A labelled statement."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    """Stable ID."""
    text: Annotated[str, Field(min_length=1)]
    """What a stakeholder says."""
    practice: Annotated[str, Field(pattern=PRACTICE_ID)]
    """The practice it is evidence for."""
    level: Annotated[int, Field(ge=0, le=4)] | None = None
    """The level it suggests, when clear."""


class StatementSet(BaseModel):
    """The benchmark file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    """Data set version."""
    statements: list[Statement]
    """The statements."""


class RetrievalFigures(BaseModel):
    """Accuracy of one retrieval method."""

    method: str
    """``dense`` or ``hybrid``."""
    recall_at_1: float
    """Share of statements whose practice ranks first."""
    recall_at_3: float
    """Share whose practice is in the top three."""
    mrr: float
    """Mean reciprocal rank of the labelled practice."""
    level_agreement: float
    """Among statements labelled 1-4 whose practice ranks first, share whose best level-specific hit has that level."""
    level_within_one: float
    """The same, within one level."""
    level_n: int
    """Statements counted for level agreement."""


class RetrievalReport(BaseModel):
    """What ``smm eval retrieval`` prints."""

    statements: int
    """Number of statements."""
    documents: int
    """Documents in the index."""
    embeddings: str
    """Embedding model."""
    build_seconds: float
    """Full index build time (embedding + Chroma writes)."""
    query_p50_ms: float
    """Median query latency after warm-up (embedding + Chroma query + ranking)."""
    query_p95_ms: float
    """95th percentile query latency after warm-up."""
    methods: list[RetrievalFigures]
    """Figures per method."""
    misses: list[str]
    """Statements whose practice missed the top three with the default method."""


def load_statements(path: Path | None = None) -> StatementSet:
    """Load the benchmark statements."""
    path = path or data_path("eval") / "retrieval" / "statements.yaml"
    try:
        raw = load_yaml_file(path)
    except YamlLoadError as exc:
        raise InputError(str(exc)) from None
    try:
        return StatementSet.model_validate(raw)
    except Exception as exc:
        raise InputError(f"{path}: {exc}") from None


def run_retrieval_benchmark(catalog: Catalog, settings: Settings, statements: StatementSet) -> RetrievalReport:
    """Build a fresh index in a temporary folder and measure retrieval on the statements."""
    with tempfile.TemporaryDirectory(prefix="smm-bench-") as tmp:
        local = settings.model_copy(update={"data_dir": Path(tmp), "chroma_url": None})
        index = CatalogIndex.open(catalog, local)
        index.embed_query("warm up the model")
        build = index.build(force=True)
        for s in statements.statements[:10]:
            index.rank_practices(s.text)
        latencies: list[float] = []
        dense: list[list[str]] = []
        level_pred: list[int | None] = []
        for s in statements.statements:
            t0 = time.perf_counter()
            ranked = index.rank_practices(s.text)
            latencies.append((time.perf_counter() - t0) * 1000)
            dense.append([r.practice for r in ranked])
            level_pred.append(_best_level(index, s.text, ranked[0].practice) if ranked else None)
        weight = index.lexical_weight
        index.lexical_weight = 0.0
        dense_only = [[r.practice for r in index.rank_practices(s.text)] for s in statements.statements]
        index.lexical_weight = weight
        methods = [
            _figures(f"hybrid: dense top-{DENSE_TOP} mean + {weight} x BM25 (default)", statements, dense, level_pred),
            _figures(f"dense only: top-{DENSE_TOP} mean", statements, dense_only, level_pred),
        ]
        misses = [
            f"{s.id} [{s.practice}] {s.text}"
            for s, r in zip(statements.statements, dense, strict=True)
            if s.practice not in r[:3]
        ]
        q = statistics.quantiles(latencies, n=20)
        return RetrievalReport(
            statements=len(statements.statements),
            documents=build.documents,
            embeddings=index.embeddings_name,
            build_seconds=build.seconds,
            query_p50_ms=statistics.median(latencies),
            query_p95_ms=q[18],
            methods=methods,
            misses=misses,
        )


def _best_level(index: CatalogIndex, text: str, practice: str) -> int | None:
    hits = index.search(text, k=3, practice=practice, level=[1, 2, 3, 4], kind=["indicator", "summary"])
    return hits[0].level if hits else None


def _figures(method: str, st: StatementSet, rankings: list[list[str]], level_pred: list[int | None]) -> RetrievalFigures:
    n = len(st.statements)
    r1 = r3 = 0
    rr = 0.0
    lv_n = lv_ok = lv_one = 0
    for s, ranking, lp in zip(st.statements, rankings, level_pred, strict=True):
        if ranking and ranking[0] == s.practice:
            r1 += 1
            if s.level is not None and s.level >= 1 and lp is not None:
                lv_n += 1
                lv_ok += int(lp == s.level)
                lv_one += int(abs(lp - s.level) <= 1)
        if s.practice in ranking[:3]:
            r3 += 1
        if s.practice in ranking:
            rr += 1.0 / (ranking.index(s.practice) + 1)
    return RetrievalFigures(
        method=method,
        recall_at_1=r1 / n,
        recall_at_3=r3 / n,
        mrr=rr / n,
        level_agreement=lv_ok / lv_n if lv_n else 0.0,
        level_within_one=lv_one / lv_n if lv_n else 0.0,
        level_n=lv_n,
    )
