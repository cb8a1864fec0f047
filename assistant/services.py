"""One place that builds the assistant's parts from the settings: catalog, index, engine, session store.

The CLI, the Streamlit app and the evaluation harness all get their parts here, so they behave alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.catalog import Catalog, load_catalog
from assistant.engines.base import Engine
from assistant.index import CatalogIndex
from assistant.settings import Settings
from assistant.store import SessionStore


@dataclass
class Services:
    """The assistant's parts, built once per process."""

    settings: Settings
    catalog: Catalog
    index: CatalogIndex
    engine: Engine
    store: SessionStore


def make_engine(settings: Settings, catalog: Catalog, index: CatalogIndex, name: str | None = None) -> Engine:
    """The engine named (``guided`` or ``llm``), or the one the settings imply (``llm`` when ``SMM_LLM`` is set)."""
    from assistant.engines.guided import GuidedEngine, shared_reader

    chosen = name or ("llm" if settings.llm else "guided")
    if chosen == "guided":
        return GuidedEngine(catalog, index, shared_reader(catalog, settings.data_dir / "reader"))
    if chosen == "llm":
        from assistant.engines.llm import LlmEngine

        engine: Engine = LlmEngine.from_settings(settings, catalog, index)
        return engine
    from assistant.errors import InputError

    raise InputError(f"unknown engine {chosen!r}; use guided or llm")


def build_services(settings: Settings | None = None, *, engine: str | None = None, catalog: Catalog | None = None) -> Services:
    """Build every part; the index is built on first use if missing or stale."""
    s = settings or Settings.from_env()
    cat = catalog or load_catalog(s.catalog_dir)
    index = CatalogIndex.open(cat, s)
    index.build()
    return Services(
        settings=s,
        catalog=cat,
        index=index,
        engine=make_engine(s, cat, index, engine),
        store=SessionStore.from_settings(s),
    )
