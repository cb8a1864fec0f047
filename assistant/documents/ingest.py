"""Reading a file into a :class:`~assistant.documents.model.Document`: checked, parsed, split into passages.

Pure: nothing is stored here. The caller stores the whole document in one transaction, so a file
that fails half-way leaves nothing behind.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from assistant.documents.model import Document, DocumentLimits, Passage
from assistant.documents.parsers import PARSERS
from assistant.documents.sniff import DocumentError, check_package, sniff


def read_document(path: Path, limits: DocumentLimits | None = None, *, name: str | None = None) -> Document:
    """Read ``path`` (``name`` is what citations call it; default the file name)."""
    limits = limits or DocumentLimits.from_env()
    path = Path(path)
    label = name or path.name
    if not path.exists():
        raise DocumentError(f"{label}: no such file")
    if not path.is_file():
        raise DocumentError(f"{label}: not a file")
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise DocumentError(
            f"{label}: {_size(size)} is more than the {_size(limits.max_bytes)} limit; split it or raise SMM_DOC_MAX_MB"
        )
    if size == 0:
        raise DocumentError(f"{label}: the file is empty")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{label}: cannot be read ({exc.strerror or exc})") from None
    named = path.with_name(Path(label).name or path.name) if name else path  # a name may carry folders
    kind = sniff(named, data[:2048])
    warnings: list[str] = []
    if kind in ("docx", "xlsx"):
        warnings += check_package(path, kind, limits, label)
    parsed = PARSERS[kind](named, data, limits)
    warnings += parsed.warnings or []
    passages = [
        Passage(number=n, text=b.text, location=b.location, page=b.page, heading=b.heading)
        for n, b in enumerate(b for b in parsed.blocks if b.text.strip())
    ]
    if len(passages) > limits.max_passages:
        raise DocumentError(
            f"{label}: {len(passages):,} passages (limit {limits.max_passages:,}); split it or raise SMM_DOC_MAX_PASSAGES"
        )
    if not passages:
        if kind == "pdf" and parsed.pages:
            raise DocumentError(
                f"{label}: no text found in its {parsed.pages} page(s); the pages are probably scanned images, "
                "which need OCR (run it through an OCR tool and add the result)"
            )
        raise DocumentError(f"{label}: no text found; the document is empty")
    if parsed.empty_pages and kind == "pdf":
        warnings.append(f"{parsed.empty_pages} of {parsed.pages} pages had no text (scanned images need OCR) and were skipped")
    digest = hashlib.sha256(data).hexdigest()
    return Document(
        id=digest[:12],
        name=label,
        kind=kind,
        sha256=digest,
        size=size,
        pages=parsed.pages,
        passages=passages,
        warnings=warnings,
    )


def _size(n: int) -> str:
    """A size for a message: bytes under 1 MB (a small limit must not read "0 MB"), else MB."""
    if n < 2**20:
        return f"{n:,} bytes"
    mb = n / 2**20
    return f"{mb:,.0f} MB" if mb == int(mb) else f"{mb:,.1f} MB"
