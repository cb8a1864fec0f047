"""The semantic index of the catalog in Chroma, and retrieval from it.

One document per objective, explanation, level summary, indicator, question and evidence example,
with the catalog's stable ID as the Chroma ID, so re-indexing is idempotent and every hit is citable.
The collection records the catalog content hash and the embedding model; the index is rebuilt only
when either changes. Chroma never embeds anything itself: vectors are computed here and passed in.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, ConfigDict

from assistant.catalog import Catalog
from assistant.errors import ConfigError
from assistant.lexical import Bm25
from assistant.settings import Settings

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

Kind = Literal["objective", "explanation", "summary", "indicator", "question", "evidence"]
KINDS: tuple[str, ...] = ("objective", "explanation", "summary", "indicator", "question", "evidence")
COLLECTION_PREFIX = "smm-catalog"
DENSE_TOP = 8
LEXICAL_WEIGHT = 0.1


class IndexDocument(BaseModel):
    """A piece of catalog text as stored in the index."""

    model_config = ConfigDict(frozen=True)

    id: str
    """Stable, citable ID (an indicator ID such as ``H1.2-L3-02``, or ``H1.2-OBJ``, ``H1.2-L3`` ...)."""
    practice: str
    """The practice the text belongs to."""
    level: int
    """Comprehensiveness level 1-4, or 0 for practice-wide text (objective, explanation, opening question)."""
    kind: Kind
    """What sort of text it is."""
    text: str
    """The catalog text."""


class Hit(BaseModel):
    """A retrieval result that can be cited: ID, practice, level, text and similarity."""

    model_config = ConfigDict(frozen=True)

    id: str
    """Stable ID of the catalog text."""
    practice: str
    """Practice ID."""
    level: int
    """Level 1-4, or 0 for practice-wide text."""
    kind: str
    """Kind of text."""
    text: str
    """The catalog text itself."""
    score: float
    """Cosine similarity, higher is closer (at most 1)."""


class PracticeScore(BaseModel):
    """How strongly a statement points at a practice."""

    practice: str
    """Practice ID."""
    score: float
    """Aggregated similarity."""
    best: Hit
    """The single closest catalog text of the practice."""


class IndexStatus(BaseModel):
    """What ``smm index status`` reports."""

    location: str
    """Folder of the embedded store, or the server URL."""
    collection: str
    """Chroma collection name."""
    exists: bool
    """Whether the collection exists."""
    up_to_date: bool
    """Whether it matches the current catalog and embedding model."""
    documents: int
    """Documents stored."""
    expected_documents: int
    """Documents the current catalog produces."""
    catalog_version: str
    """Catalog version of the current catalog."""
    catalog_hash: str
    """Content hash of the current catalog."""
    stored_hash: str | None
    """Content hash the stored collection was built from."""
    embeddings: str
    """Embedding model name."""


class BuildResult(BaseModel):
    """What a build did."""

    rebuilt: bool
    """False when the stored index was already current."""
    documents: int
    """Documents in the index."""
    seconds: float
    """Wall time of the call."""


def catalog_documents(catalog: Catalog) -> list[IndexDocument]:
    """Split the catalog into indexable, citable documents."""
    docs: list[IndexDocument] = []
    for p in catalog.practices.values():
        docs.append(IndexDocument(id=f"{p.id}-OBJ", practice=p.id, level=0, kind="objective", text=f"{p.name}. {p.objective}"))
        e = p.explanation
        docs.append(IndexDocument(id=f"{p.id}-EXP", practice=p.id, level=0, kind="explanation", text=f"{e.what} {e.why_iot}"))
        docs.append(IndexDocument(id=f"{p.id}-EXA", practice=p.id, level=0, kind="explanation", text=e.example))
        docs.append(IndexDocument(id=f"{p.id}-Q0", practice=p.id, level=0, kind="question", text=p.opening_question))
        for lv in p.levels:
            n = lv.level
            docs.append(IndexDocument(id=f"{p.id}-L{n}", practice=p.id, level=n, kind="summary", text=lv.summary))
            for ind in lv.indicators:
                docs.append(IndexDocument(id=ind.id, practice=p.id, level=n, kind="indicator", text=ind.text))
            for q in lv.probes:
                docs.append(IndexDocument(id=q.id, practice=p.id, level=n, kind="question", text=q.text))
            for i, ev in enumerate(lv.evidence, start=1):
                docs.append(IndexDocument(id=f"{p.id}-L{n}-E{i}", practice=p.id, level=n, kind="evidence", text=ev))
    return docs


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def make_client(settings: Settings) -> Any:
    """A Chroma client: HTTP when ``SMM_CHROMA_URL`` is set, else embedded under the data directory."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        m = re.match(r"^(https?)://([^/:]+)(?::(\d+))?/?$", settings.chroma_url)
        if not m:
            raise ConfigError(f"SMM_CHROMA_URL={settings.chroma_url!r} is not a URL like http://127.0.0.1:8000")
        scheme, host, port = m.group(1), m.group(2), int(m.group(3) or (443 if m.group(1) == "https" else 8000))
        try:
            return chromadb.HttpClient(host=host, port=port, ssl=scheme == "https", settings=chroma_settings)
        except Exception as exc:
            raise ConfigError(
                f"cannot reach the Chroma server at {settings.chroma_url} ({exc}); start it or unset SMM_CHROMA_URL"
            ) from exc
    path = settings.data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class CatalogIndex:
    """The catalog's Chroma collection, with build, status and search."""

    def __init__(self, catalog: Catalog, embeddings: Embeddings, client: Any, *, location: str, embeddings_name: str) -> None:
        self.catalog = catalog
        self.embeddings = embeddings
        self.client = client
        self.location = location
        self.embeddings_name = embeddings_name
        self.collection_name = f"{COLLECTION_PREFIX}-{_slug(embeddings_name)}"
        self._documents = catalog_documents(catalog)
        self._by_id = {d.id: d for d in self._documents}
        self._collection: Any = None
        self._matrix: np.ndarray[Any, np.dtype[np.float32]] | None = None
        self._lexical: Bm25 | None = None
        self._query_cache: dict[str, list[float]] = {}
        self.lexical_weight = LEXICAL_WEIGHT
        self._practice_ids = list(catalog.practices)
        self._rows = {
            pid: np.asarray([i for i, d in enumerate(self._documents) if d.practice == pid]) for pid in self._practice_ids
        }

    @classmethod
    def open(cls, catalog: Catalog, settings: Settings, embeddings: Embeddings | None = None) -> CatalogIndex:
        """Open the index for ``catalog`` with the configured store and embeddings (not built yet)."""
        from assistant.llm import embeddings_name, load_embeddings

        emb = embeddings if embeddings is not None else load_embeddings(settings.embeddings)
        location = settings.chroma_url or str(settings.data_dir / "chroma")
        return cls(
            catalog, emb, make_client(settings), location=location, embeddings_name=embeddings_name(emb, settings.embeddings)
        )

    @property
    def documents(self) -> list[IndexDocument]:
        """Every document the current catalog produces."""
        return list(self._documents)

    def document(self, doc_id: str) -> IndexDocument:
        """A document by its stable ID."""
        return self._by_id[doc_id]

    def _get_collection(self) -> Any | None:
        try:
            return self.client.get_collection(self.collection_name, embedding_function=None)
        except Exception:
            return None

    def status(self) -> IndexStatus:
        """Describe the stored index compared with the current catalog."""
        col = self._get_collection()
        meta: dict[str, Any] = (col.metadata or {}) if col is not None else {}
        count = int(col.count()) if col is not None else 0
        return IndexStatus(
            location=self.location,
            collection=self.collection_name,
            exists=col is not None,
            up_to_date=self._is_current(col),
            documents=count,
            expected_documents=len(self._documents),
            catalog_version=self.catalog.version,
            catalog_hash=self.catalog.content_hash,
            stored_hash=meta.get("catalog_hash"),
            embeddings=self.embeddings_name,
        )

    def _is_current(self, col: Any | None) -> bool:
        if col is None:
            return False
        meta = col.metadata or {}
        return (
            meta.get("catalog_hash") == self.catalog.content_hash
            and meta.get("embeddings") == self.embeddings_name
            and int(col.count()) == len(self._documents)
        )

    def build(self, *, force: bool = False, progress: Callable[[int, int], None] | None = None, batch: int = 64) -> BuildResult:
        """Build the index if the catalog or the embedding model changed (or ``force``)."""
        start = time.perf_counter()
        col = self._get_collection()
        if not force and col is not None and self._is_current(col):
            self._collection = col
            return BuildResult(rebuilt=False, documents=int(col.count()), seconds=time.perf_counter() - start)
        if col is not None:
            self.client.delete_collection(self.collection_name)
        col = self.client.create_collection(
            self.collection_name,
            embedding_function=None,
            metadata={
                "hnsw:space": "cosine",
                "catalog_hash": self.catalog.content_hash,
                "catalog_version": self.catalog.version,
                "embeddings": self.embeddings_name,
            },
        )
        docs = self._documents
        total = len(docs)
        if progress:
            progress(0, total)
        vectors = self._embed_docs([d.text for d in docs], progress=progress, batch=batch)
        for s in range(0, total, 500):
            part = docs[s : s + 500]
            col.upsert(
                ids=[d.id for d in part],
                documents=[d.text for d in part],
                embeddings=vectors[s : s + 500],
                metadatas=[
                    {"practice": d.practice, "level": d.level, "kind": d.kind, "catalog_version": self.catalog.version}
                    for d in part
                ],
            )
        self._collection = col
        self._matrix = np.asarray(vectors, dtype=np.float32)
        return BuildResult(rebuilt=True, documents=total, seconds=time.perf_counter() - start)

    def _embed_docs(self, texts: list[str], *, progress: Callable[[int, int], None] | None, batch: int) -> list[list[float]]:
        # Length-sorted chunks keep padding (and so time) small; results go back to input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[list[float]] = [[] for _ in texts]
        for s in range(0, len(order), batch):
            chunk = order[s : s + batch]
            for i, vec in zip(chunk, self.embeddings.embed_documents([texts[i] for i in chunk]), strict=True):
                out[i] = vec
            if progress:
                progress(min(s + batch, len(texts)), len(texts))
        return out

    def ensure(self) -> Any:
        """The collection, building it first when it is missing or stale."""
        if self._collection is None:
            self.build()
        return self._collection

    def embed_query(self, text: str) -> list[float]:
        """Embed a query with the index's embeddings (recent texts are cached: engines embed a quote more than once)."""
        cached = self._query_cache.get(text)
        if cached is None:
            cached = self.embeddings.embed_query(text)
            if len(self._query_cache) >= 4096:
                self._query_cache.pop(next(iter(self._query_cache)))
            self._query_cache[text] = cached
        return cached

    def search(
        self,
        text: str,
        k: int = 5,
        practice: str | Sequence[str] | None = None,
        level: int | Sequence[int] | None = None,
        kind: str | Sequence[str] | None = None,
        *,
        vector: Sequence[float] | None = None,
    ) -> list[Hit]:
        """The ``k`` catalog texts closest to ``text``, optionally filtered by practice, level and kind."""
        col = self.ensure()
        clauses: list[dict[str, Any]] = []
        for key, value in (("practice", practice), ("level", level), ("kind", kind)):
            if value is None:
                continue
            if isinstance(value, str | int):
                clauses.append({key: value})
            else:
                clauses.append({key: {"$in": list(value)}})
        where: dict[str, Any] | None = None
        if len(clauses) == 1:
            where = clauses[0]
        elif clauses:
            where = {"$and": clauses}
        q = list(vector) if vector is not None else self.embed_query(text)
        res = col.query(query_embeddings=[q], n_results=max(1, k), where=where, include=["documents", "metadatas", "distances"])
        hits: list[Hit] = []
        for doc_id, doc, meta, dist in zip(
            res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
        ):
            hits.append(
                Hit(
                    id=doc_id,
                    practice=str(meta["practice"]),
                    level=int(meta["level"]),
                    kind=str(meta["kind"]),
                    text=doc,
                    score=1.0 - float(dist),
                )
            )
        return hits

    def vectors(self) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Every document's vector as stored in Chroma, in :attr:`documents` order (fetched once)."""
        if self._matrix is None:
            col = self.ensure()
            got = col.get(ids=[d.id for d in self._documents], include=["embeddings"])
            by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
            self._matrix = np.asarray([by_id[d.id] for d in self._documents], dtype=np.float32)
        return self._matrix

    def similarities(self, vector: Sequence[float]) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Cosine similarity of a query vector to every document, in :attr:`documents` order."""
        return self.vectors() @ np.asarray(vector, dtype=np.float32)

    def rank_practices(self, text: str, *, vector: Sequence[float] | None = None) -> list[PracticeScore]:
        """Practices ordered by how strongly ``text`` points at them.

        Score = mean similarity of the practice's ``DENSE_TOP`` closest documents, plus ``LEXICAL_WEIGHT``
        times the practice's BM25 score normalised by the best practice's. Both constants were chosen
        on the retrieval benchmark (see the README for the figures with and without the lexical part).
        """
        q = list(vector) if vector is not None else self.embed_query(text)
        sims = self.similarities(q)
        lexical = self._bm25().scores(text) if self.lexical_weight else [0.0] * len(self._practice_ids)
        top_lex = max(lexical) or 1.0
        ranked: list[PracticeScore] = []
        for j, pid in enumerate(self._practice_ids):
            rows = self._rows[pid]
            s = sims[rows]
            order = np.argsort(-s)
            dense = float(s[order[:DENSE_TOP]].mean())
            best = self._documents[int(rows[order[0]])]
            hit = Hit(id=best.id, practice=pid, level=best.level, kind=best.kind, text=best.text, score=float(s[order[0]]))
            ranked.append(PracticeScore(practice=pid, score=dense + self.lexical_weight * lexical[j] / top_lex, best=hit))
        ranked.sort(key=lambda r: -r.score)
        return ranked

    def _bm25(self) -> Bm25:
        if self._lexical is None:
            texts = {pid: [] for pid in self._practice_ids}  # type: dict[str, list[str]]
            for d in self._documents:
                texts[d.practice].append(d.text)
            self._lexical = Bm25([" ".join(texts[pid]) for pid in self._practice_ids])
        return self._lexical
