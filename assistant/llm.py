"""The one module that knows about model providers: embeddings and chat models by name.

Everything else receives an ``Embeddings`` or a chat model as an argument. Provider packages are
optional extras; a missing one gives a message naming the package to install. API keys are read by
the provider packages from the environment and never pass through this project's storage or logs.
"""

from __future__ import annotations

import importlib
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.errors import ConfigError

EMBEDDING_PROVIDERS: dict[str, tuple[str, str]] = {
    # name: (module to import, pip package that provides it)
    "sentence-transformers": ("sentence_transformers", "sentence-transformers"),
    "openai": ("langchain_openai", "langchain-openai"),
    "ollama": ("langchain_ollama", "langchain-ollama"),
}


def _require(module: str, package: str, what: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(f"{what} needs the package {package!r}, which is not installed; run: pip install {package}") from None


def load_embeddings(spec: str) -> Embeddings:
    """Embeddings by ``SMM_EMBEDDINGS`` name: ``minilm`` (default, bundled, offline) or ``provider:model``.

    Providers: ``sentence-transformers:<model or path>``, ``openai:<model>``, ``ollama:<model>``.
    """
    name, _, model = spec.partition(":")
    name = name.strip().lower()
    if name in ("", "minilm", "default"):
        from assistant.embeddings import default_embeddings

        return default_embeddings()
    if name not in EMBEDDING_PROVIDERS:
        known = ", ".join(["minilm", *EMBEDDING_PROVIDERS])
        raise ConfigError(f"SMM_EMBEDDINGS={spec!r}: unknown provider {name!r}; use one of {known}")
    if not model:
        raise ConfigError(f"SMM_EMBEDDINGS={spec!r} names no model; write {name}:<model>")
    module, package = EMBEDDING_PROVIDERS[name]
    mod = _require(module, package, f"SMM_EMBEDDINGS={spec}")
    if name == "sentence-transformers":
        return _SentenceTransformerEmbeddings(mod.SentenceTransformer(model))
    if name == "openai":
        return mod.OpenAIEmbeddings(model=model)  # type: ignore[no-any-return]
    return mod.OllamaEmbeddings(model=model)  # type: ignore[no-any-return]


def embeddings_name(embeddings: Embeddings, spec: str) -> str:
    """A stable name for an embeddings object, recorded with the index."""
    name = getattr(embeddings, "name", None)
    return name if isinstance(name, str) else spec


class _SentenceTransformerEmbeddings(Embeddings):
    """A local sentence-transformers model as LangChain ``Embeddings``."""

    def __init__(self, model: Any) -> None:
        self._model = model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._model.encode(texts, normalize_embeddings=True).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]
