"""Test isolation: no network beyond loopback, a fresh HOME and data directory per test; a PostgreSQL server on demand."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.postgres import postgres_server, postgres_url  # noqa: F401 - fixtures, registered by the import

os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.pop("SMM_LLM", None)
os.environ.pop("SMM_CHROMA_URL", None)
os.environ.pop("SMM_DATABASE_URL", None)

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class NetworkBlocked(RuntimeError):
    """A test tried to reach a host that is not on this machine."""


def _is_local(host: Any) -> bool:
    if not isinstance(host, str):
        return False
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(address: Any) -> None:
    if isinstance(address, str | bytes):  # AF_UNIX path
        return
    if isinstance(address, tuple) and _is_local(address[0]):
        return
    raise NetworkBlocked(f"tests may not reach the network: connect to {address!r} refused")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check(address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host is not None and not _is_local(host if isinstance(host, str) else host.decode()):
        raise NetworkBlocked(f"tests may not resolve {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
socket.getaddrinfo = _guarded_getaddrinfo


@pytest.fixture(scope="session")
def session_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A HOME that no test run shares with the user's."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, session_home: Path) -> Iterator[Path]:
    """Point HOME and SMM_DATA_DIR at temporary folders; clear model and database settings."""
    data = tmp_path / "smm-data"
    monkeypatch.setenv("HOME", str(session_home))
    monkeypatch.setenv("XDG_DATA_HOME", str(session_home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(session_home / ".cache"))
    monkeypatch.setenv("SMM_DATA_DIR", str(data))
    for var in ("SMM_LLM", "SMM_LLM_BASE_URL", "SMM_CHROMA_URL", "SMM_EMBEDDINGS", "SMM_CATALOG", "SMM_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    yield data


@pytest.fixture(scope="session")
def catalog() -> Any:
    """The shipped catalog, loaded once."""
    from assistant.catalog import load_catalog

    return load_catalog()


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory, catalog: Any) -> Any:
    """The real catalog index (MiniLM + Chroma), built once per test session in a temporary folder."""
    from assistant.index import CatalogIndex
    from assistant.settings import Settings

    data = tmp_path_factory.mktemp("index-data")
    index = CatalogIndex.open(catalog, Settings.from_env({"SMM_DATA_DIR": str(data)}))
    index.build()
    return index


@pytest.fixture
def app(services: Any) -> Iterator[Any]:
    """The Streamlit app (``AppTest``) with this test's services injected (shared index, fresh session store)."""
    from streamlit.testing.v1 import AppTest

    from tests.test_ui_apptest import APP, TIMEOUT
    from ui import services as ui_services

    ui_services.use_services(services)
    try:
        yield AppTest.from_file(APP, default_timeout=TIMEOUT)
    finally:
        ui_services.use_services(None)


@pytest.fixture
def services(catalog: Any, built_index: Any, isolated_env: Path) -> Any:
    """Services with the shared index, the guided engine and a fresh session store for this test."""
    from assistant.engines.guided import GuidedEngine
    from assistant.services import Services
    from assistant.settings import Settings
    from assistant.store import SessionStore

    settings = Settings.from_env()
    return Services(
        settings=settings,
        catalog=catalog,
        index=built_index,
        engine=GuidedEngine(catalog, built_index),
        store=SessionStore.in_data_dir(settings.data_dir),
    )
