"""Helpers shared by the command modules: settings, catalog and console."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from rich.console import Console

from assistant.catalog import Catalog, load_catalog
from assistant.settings import Settings

console = Console(highlight=False, soft_wrap=False)
err_console = Console(stderr=True, highlight=False)


def settings() -> Settings:
    """Settings from the environment."""
    return Settings.from_env()


@lru_cache(maxsize=4)
def _catalog(path: Path | None) -> Catalog:
    return load_catalog(path)


def catalog(path: Path | None = None) -> Catalog:
    """The catalog at ``path``, or ``SMM_CATALOG``, or the shipped one."""
    return _catalog(path or settings().catalog_dir)
