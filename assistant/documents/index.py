"""A session's document passages in Chroma (one collection per session), for searching what the papers say.

The store (SQLite or the session store) holds the text and is the source of truth; the collection is
derived from it and can always be rebuilt: :meth:`SessionDocumentIndex.sync` makes it hold exactly the
stored documents, so a crash between the two never leaves a passage searchable that the store forgot,
nor the reverse for long.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.embeddings import Embeddings
from pydantic import BaseModel

from assistant.documents.model import Document, passage_ref

COLLECTION_PREFIX = "smm-docs"


class PassageHit(BaseModel):
    """A passage found by a search."""

    ref: str
    """Passage reference ``doc:<id>:<n>``."""
    document: str
    """File name."""
    location: str
    """Where in the document."""
    text: str
    """The passage."""
    score: float
    """Cosine similarity to the query."""


class SessionDocumentIndex:
    """The Chroma collection of one session's passages."""

    def __init__(self, client: Any, embeddings: Embeddings, session_id: str) -> None:
        self.client = client
        self.embeddings = embeddings
        self.name = f"{COLLECTION_PREFIX}-{re.sub(r'[^a-zA-Z0-9_-]', '-', session_id)[:40]}"

    def _collection(self) -> Any:
        return self.client.get_or_create_collection(self.name, embedding_function=None, metadata={"hnsw:space": "cosine"})

    def sync(self, documents: list[Document]) -> None:
        """Make the collection hold exactly the passages of ``documents``."""
        col = self._collection()
        wanted = {d.id: d for d in documents}
        got = col.get(include=["metadatas"])
        present: dict[str, int] = {}
        for meta in got["metadatas"] or []:
            doc_id = str((meta or {}).get("doc", ""))
            present[doc_id] = present.get(doc_id, 0) + 1
        for doc_id, count in present.items():
            if doc_id not in wanted or count != len(wanted[doc_id].passages):
                col.delete(where={"doc": doc_id})
                present[doc_id] = 0
        for doc_id, d in wanted.items():
            if present.get(doc_id):
                continue
            texts = [p.text for p in d.passages]
            for start in range(0, len(texts), 256):
                chunk = d.passages[start : start + 256]
                col.add(
                    ids=[passage_ref(d.id, p.number) for p in chunk],
                    documents=[p.text for p in chunk],
                    embeddings=self.embeddings.embed_documents([p.text for p in chunk]),
                    metadatas=[{"doc": d.id, "name": d.name, "location": p.location} for p in chunk],
                )

    def search(self, query: str, k: int = 5) -> list[PassageHit]:
        """The ``k`` passages closest to ``query``."""
        col = self._collection()
        if col.count() == 0:
            return []
        res = col.query(
            query_embeddings=[self.embeddings.embed_query(query)],
            n_results=min(k, col.count()),
            include=["documents", "metadatas", "distances"],
        )
        return [
            PassageHit(
                ref=ref,
                document=str(meta["name"]),
                location=str(meta["location"]),
                text=text,
                score=round(1.0 - float(dist), 4),
            )
            for ref, text, meta, dist in zip(
                res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
            )
        ]
