"""Where the data folders shipped with the package live.

In a wheel, ``catalog/``, ``prompts/``, ``ui/`` and ``eval/`` are copied into ``assistant/_data/``;
in a checkout (editable install) they sit at the top level beside ``assistant/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    """Path of a shipped data folder or file, such as ``catalog`` or ``prompts``."""
    packaged = _PACKAGE / "_data" / name
    if packaged.exists():
        return packaged
    return _PACKAGE.parent / name
