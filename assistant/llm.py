"""The one module that knows about model providers: embeddings and chat models by name.

Everything else receives an ``Embeddings`` or a chat model as an argument. Provider packages are
optional extras; a missing one gives a message naming the package to install. API keys are read by
the provider packages from the environment and never pass through this project's storage or logs.
"""

from __future__ import annotations

import importlib
import ipaddress
import os
import re
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from assistant.errors import ConfigError
from assistant.settings import Settings

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


# ------------------------------------------------------------------------------------ chat models

LOCAL_PROVIDERS = ("local", "openai-compatible")
"""Providers that speak the OpenAI protocol to a server at ``SMM_LLM_BASE_URL``."""
DEFAULT_LOCAL_BASE_URL = "http://127.0.0.1:8000/v1"
"""Where ``python -m llama_cpp.server`` listens by default."""
DEFAULT_OLLAMA_BASE_URL = "http://127.0.0.1:11434"
"""Where Ollama listens by default."""
NO_KEY = "not-needed"
"""The placeholder key sent to a local OpenAI-compatible server (the client refuses an empty one)."""


class ChatProvider(NamedTuple):
    """How one ``SMM_LLM`` provider is loaded."""

    init_name: str
    """Provider name for ``init_chat_model``."""
    module: str
    """Module that must be importable."""
    package: str
    """Pip package that provides it."""
    extra: str
    """This project's optional extra that installs it."""
    key_env: str | None
    """Environment variable holding the API key, when the provider needs one."""
    structured_method: str
    """``with_structured_output`` method that works with this provider."""


CHAT_PROVIDERS: dict[str, ChatProvider] = {
    "openai": ChatProvider("openai", "langchain_openai", "langchain-openai", "openai", "OPENAI_API_KEY", "function_calling"),
    "anthropic": ChatProvider(
        "anthropic", "langchain_anthropic", "langchain-anthropic", "anthropic", "ANTHROPIC_API_KEY", "function_calling"
    ),
    "ollama": ChatProvider("ollama", "langchain_ollama", "langchain-ollama", "ollama", None, "json_schema"),
    # llama.cpp's server (llama-cpp-python), vLLM, LM Studio ...: the OpenAI protocol at SMM_LLM_BASE_URL.
    # A forced tool call is what llama-cpp-python 0.3.36 constrains with a grammar built from the schema
    # (its server rejects the newer "json_schema" response format), and small local models need that.
    "openai-compatible": ChatProvider("openai", "langchain_openai", "langchain-openai", "openai", None, "function_calling"),
    "local": ChatProvider("openai", "langchain_openai", "langchain-openai", "llama", None, "function_calling"),
}
_ALIASES = {
    "llamacpp": "local",
    "llama-cpp": "local",
    "llama.cpp": "local",
    "vllm": "openai-compatible",
    "lmstudio": "openai-compatible",
}


class LlmSpec(NamedTuple):
    """A parsed ``SMM_LLM`` value."""

    provider: str
    """Canonical provider name (a key of :data:`CHAT_PROVIDERS`)."""
    model: str
    """Model name as the provider knows it."""

    @property
    def label(self) -> str:
        """``provider:model``, as recorded in provenance."""
        return f"{self.provider}:{self.model}"


def parse_llm_spec(spec: str) -> LlmSpec:
    """Split ``provider:model``; a bare ``local`` means whatever model the local server serves."""
    provider, _sep, model = spec.strip().partition(":")
    provider = _ALIASES.get(provider.strip().lower(), provider.strip().lower())
    model = model.strip()
    if provider not in CHAT_PROVIDERS:
        known = ", ".join(CHAT_PROVIDERS)
        raise ConfigError(f"SMM_LLM={spec!r}: unknown provider {provider!r}; use provider:model with a provider from {known}")
    if not model:
        if provider in LOCAL_PROVIDERS:
            model = "local"
        else:
            raise ConfigError(f"SMM_LLM={spec!r} names no model; write {provider}:<model>, for example {_example(provider)}")
    return LlmSpec(provider, model)


def _example(provider: str) -> str:
    return {"openai": "openai:gpt-4o-mini", "anthropic": "anthropic:claude-3-5-haiku-latest", "ollama": "ollama:qwen2.5:3b"}.get(
        provider, f"{provider}:<model>"
    )


def install_hint(provider: str) -> str:
    """The command that installs what ``provider`` needs."""
    return f"pip install 'iot-smm-assistant[{CHAT_PROVIDERS[provider].extra}]'"


def effective_base_url(spec: LlmSpec, base_url: str | None) -> str | None:
    """The URL the chat model will talk to (``None``: the provider's own hosted API)."""
    if base_url:
        return base_url
    if spec.provider == "local":
        return DEFAULT_LOCAL_BASE_URL
    if spec.provider == "ollama":
        return os.environ.get("OLLAMA_HOST") or DEFAULT_OLLAMA_BASE_URL
    return None


def load_chat_model(
    spec: str,
    base_url: str | None = None,
    timeout: float = 60.0,
    max_retries: int = 0,
    *,
    temperature: float = 0.0,
    max_tokens: int | None = None,
) -> BaseChatModel:
    """A LangChain chat model for ``SMM_LLM=provider:model`` through ``init_chat_model``.

    Providers: ``openai``, ``anthropic``, ``ollama``, and ``openai-compatible`` / ``local`` (the OpenAI
    protocol at ``base_url``, for llama.cpp's server, vLLM or LM Studio). API keys come from the
    provider's usual environment variable and are never stored, logged or put in messages; a local
    server gets a placeholder key unless ``SMM_LLM_API_KEY`` is set. ``max_retries`` is the provider
    client's own retry count; the LLM engine retries transport errors itself, so it passes 0.
    """
    from langchain.chat_models import init_chat_model

    parsed = parse_llm_spec(spec)
    prov = CHAT_PROVIDERS[parsed.provider]
    try:
        importlib.import_module(prov.module)
    except ImportError:
        raise ConfigError(
            f"SMM_LLM={spec} needs the package {prov.package}, which is not installed; run: {install_hint(parsed.provider)}"
        ) from None
    if prov.key_env and not os.environ.get(prov.key_env) and not base_url:
        raise ConfigError(f"SMM_LLM={spec} needs the API key in the environment variable {prov.key_env}")
    if parsed.provider == "openai-compatible" and not base_url:
        raise ConfigError(
            f"SMM_LLM={spec} needs SMM_LLM_BASE_URL, the server's OpenAI-compatible URL (such as http://127.0.0.1:8000/v1)"
        )
    kwargs: dict[str, Any] = {"temperature": temperature}
    url = effective_base_url(parsed, base_url)
    if parsed.provider == "ollama":
        # ChatOllama has no timeout field; its httpx client takes one. Retries are the engine's.
        kwargs["base_url"] = url
        kwargs["client_kwargs"] = {"timeout": timeout}
        if max_tokens is not None:
            kwargs["num_predict"] = max_tokens
    else:
        kwargs["timeout"] = timeout
        kwargs["max_retries"] = max_retries
        if max_tokens is not None:
            kwargs["max_tokens"] = max_tokens
        if url is not None:
            kwargs["base_url"] = url
        if parsed.provider in LOCAL_PROVIDERS:
            # Never send the user's OpenAI key to some other server.
            kwargs["api_key"] = os.environ.get("SMM_LLM_API_KEY") or NO_KEY
            if max_tokens is not None:
                # ChatOpenAI sends the cap as max_completion_tokens, which llama.cpp's server ignores.
                kwargs["extra_body"] = {"max_tokens": max_tokens}
    try:
        model: BaseChatModel = init_chat_model(parsed.model, model_provider=prov.init_name, **kwargs)
    except ImportError:
        raise ConfigError(
            f"SMM_LLM={spec} needs the package {prov.package}, which is not installed; run: {install_hint(parsed.provider)}"
        ) from None
    except Exception as exc:  # a provider's own validation error; its text may echo configuration
        raise ConfigError(f"SMM_LLM={spec}: the chat model could not be created: {redact(str(exc))}") from None
    return model


def structured_method(spec: str) -> str:
    """The ``with_structured_output`` method to use with ``SMM_LLM=spec``."""
    return CHAT_PROVIDERS[parse_llm_spec(spec).provider].structured_method


def _is_loopback(url: str) -> bool:
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sends_text_off_machine(settings: Settings) -> bool:
    """Whether the configured model receives interview text on another machine.

    False only when the model is served on this machine (a loopback URL: a local llama.cpp server,
    Ollama on localhost); every hosted API and every non-loopback URL counts as off the machine.
    """
    if not settings.llm:
        return False
    spec = parse_llm_spec(settings.llm)
    url = effective_base_url(spec, settings.llm_base_url)
    return url is None or not _is_loopback(url)


def privacy_notice(settings: Settings) -> str | None:
    """A plain warning for the user when interview text leaves the machine; ``None`` when it does not."""
    if not sends_text_off_machine(settings):
        return None
    assert settings.llm is not None
    spec = parse_llm_spec(settings.llm)
    url = effective_base_url(spec, settings.llm_base_url)
    where = urlsplit(url).hostname if url else f"{spec.provider}'s hosted service"
    return (
        f"Your answers are sent off this machine to {where} ({spec.label}) for the model to read. "
        "Do not type anything you may not share with that service. Unset SMM_LLM to stay offline with the guided engine."
    )


_SECRET = re.compile(
    r"(?:sk|pk|rk|ak)-[A-Za-z0-9_\-]{8,}|(?:api[_-]?key|authorization|bearer|x-api-key)[\"']?\s*[:=]?\s*[\"']?[A-Za-z0-9_\-\.]{8,}",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with anything that looks like an API key or bearer token replaced by ``[redacted]``."""
    out = _SECRET.sub("[redacted]", text)
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "SMM_LLM_API_KEY"):
        value = os.environ.get(var)
        if value and len(value) >= 6:
            out = out.replace(value, "[redacted]")
    return out
