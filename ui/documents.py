"""Documents on the Interview page: uploaded files read on this machine and added to the interview as evidence.

The page hands the uploaded bytes to :func:`add_uploads`, which writes each to a temporary file (under
its own name, so the format check and every message name the user's file), reads it with
:func:`~assistant.documents.read_document` and adds it through :func:`ui.session.act`, so a file that
cannot be read becomes a message and changes nothing. :func:`remove` is the Remove button's callback.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import streamlit as st

from assistant.catalog import Catalog
from assistant.documents import Document, DocumentLimits, read_document
from assistant.errors import InputError
from assistant.interview import Interview
from assistant.interview.state import DocumentInfo
from ui import session

ACCEPTED_TYPES = ["pdf", "docx", "xlsx", "csv", "md", "txt"]
"""Extensions the upload widget offers (``read_document`` checks the bytes whatever the name says)."""

Progress = Callable[[str, int, int], None]
"""``progress(file name, statements read, statements in all)`` while a document is read."""


def upload_limit_mb(limits: DocumentLimits) -> int:
    """Largest upload in MB: the document limit, never above Streamlit's own (``server.maxUploadSize``)."""
    server = int(st.get_option("server.maxUploadSize") or 200)
    return max(1, min(server, math.ceil(limits.max_bytes / 2**20)))


def size_text(n: int) -> str:
    """A file size for people: ``812 bytes``, ``14 KB``, ``2.5 MB``."""
    if n < 1024:
        return f"{n} bytes"
    if n < 2**20:
        return f"{n / 1024:.0f} KB"
    return f"{n / 2**20:.1f} MB"


def read_upload(name: str, data: bytes, limits: DocumentLimits | None = None) -> Document:
    """Read uploaded bytes as a document named ``name``; the temporary copy is deleted straight after.

    Raises :class:`~assistant.documents.DocumentError` (an :class:`InputError` naming the file) when it cannot be read.
    """
    label = Path(name.replace("\\", "/")).name.replace("\x00", "") or "document"
    with tempfile.TemporaryDirectory(prefix="smm-upload-") as tmp:
        # Under the user's own name (its extension says which reader to use, its name is in every message);
        # a name the file system refuses (too long, say) falls back to a plain one with the same extension.
        path = Path(tmp) / label
        try:
            path.write_bytes(data)
        except (OSError, ValueError):
            path = Path(tmp) / f"upload{Path(label).suffix.lower()[:16]}"
            path.write_bytes(data)
        return read_document(path, limits, name=label)


def add_uploads(
    files: Sequence[tuple[str, bytes]], *, limits: DocumentLimits | None = None, progress: Progress | None = None
) -> list[str]:
    """Read each uploaded file and add it to the current interview; returns the names of the documents added.

    Each file stands alone: one that cannot be read, or that the session already has, is reported
    (:func:`ui.session.flash_error`) and nothing of it is kept; the others are added.
    """
    added: list[str] = []
    for name, data in files:
        try:
            doc = read_upload(name, data, limits)
        except InputError as exc:
            session.flash_error(str(exc))
            continue
        notes: list[str] = []

        # Adding takes no reviewer= (the Interview API records documents as the stakeholder's); ``session.act`` still
        # refuses it when a sign-in proxy is configured and this request did not come through it.
        def add(iv: Interview, who: str, doc: Document = doc, notes: list[str] = notes) -> None:
            step = None if progress is None else (lambda done, total: progress(doc.name, done, total))
            iv.add_document(doc, progress=step)
            notes.extend(added_note(iv.catalog, d) for d in iv.state.documents if d.id == doc.id)

        if session.act(add):
            added.append(doc.name)
            for note in notes:
                session.flash_note(note)
    return added


def added_note(catalog: Catalog, info: DocumentInfo) -> str:
    """The message after adding a document: which practices it speaks about."""
    if not info.statements:
        return f"Added {info.name}, but it says nothing about the practices of this assessment."
    practices = ", ".join(f"{pid} {catalog.practices[pid].name}" if pid in catalog.practices else pid for pid in info.statements)
    return f"Added {info.name}. It speaks about {practices}; the assistant will check what it says with you."


def remove(doc_id: str, name: str) -> None:
    """Forget a document everywhere (the Remove button's callback)."""
    session.act(
        lambda iv, who: iv.remove_document(doc_id, reviewer=who), success=f"Removed {name}: everything read from it is forgotten."
    )


def plain(text: str) -> str:
    """``text`` shown as typed in Markdown (a file name such as ``*draft*_v2.md`` is not formatting)."""
    return re.sub(r"([\\`*_\[\]<>#|~$])", r"\\\1", text)


def evidence_text(catalog: Catalog, info: DocumentInfo) -> str:
    """Which practices a document gave evidence for, in words."""
    if not info.statements:
        return "Nothing in it is about the practices of this assessment."
    parts = []
    for pid, n in info.statements.items():
        name = catalog.practices[pid].name if pid in catalog.practices else ""
        parts.append(f"**{pid}** {name} ({n} statement{'s' if n != 1 else ''})")
    return "Evidence for " + ", ".join(parts)


def facts_text(info: DocumentInfo, doc: Document | None) -> str:
    """Kind, size and length of a document: ``PDF · 240 KB · 12 pages``."""
    kind = {"markdown": "Markdown", "text": "Text"}.get(info.kind, info.kind.upper())
    bits = [kind]
    if doc is not None:
        bits.append(size_text(doc.size))
    count, unit = (info.pages, "page") if info.pages else (info.passages, "passage")
    bits.append(f"{count} {unit}{'s' if count != 1 else ''}")
    return " · ".join(bits)
