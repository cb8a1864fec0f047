"""What a file really is, and whether an Office file is safe to open, decided from its bytes before any parser runs.

The extension says what the user thinks the file is; the first bytes say what it is. A PNG renamed
``policy.pdf`` or an executable renamed ``notes.txt`` is refused by name. DOCX and XLSX are zip files:
their members are checked for size, compression ratio (zip bombs), XML entity declarations (which Office
never writes; they are how XML bombs and external-entity attacks start) and external references (which are
never followed, and reported).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from assistant.documents.model import DocumentKind, DocumentLimits
from assistant.errors import InputError


class DocumentError(InputError):
    """A document cannot be read; the message names the file and what to do."""


EXTENSIONS: dict[str, DocumentKind] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".csv": "csv",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
}
SUPPORTED = "PDF, DOCX, XLSX, CSV, Markdown (.md) or plain text (.txt)"

_MAGIC: list[tuple[bytes, str]] = [
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
    (b"\xd0\xcf\x11\xe0", "an old Office .doc or .xls file"),
    (b"Rar!", "a RAR archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"{\\rtf", "an RTF file"),
]
_ENTITY = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)
_EXTERNAL_REL = re.compile(rb"""<(?:[\w.-]+:)?Relationship\b(?:[^>"']|"[^"]*"|'[^']*')*>""", re.I)
_REL_ATTR = re.compile(rb"""\b(Type|Target|TargetMode)\s*=\s*(["'])(.*?)\2""", re.S)


def sniff(path: Path, head: bytes) -> DocumentKind:
    """The kind of ``path`` from its extension, checked against its first bytes."""
    ext = path.suffix.lower()
    kind = EXTENSIONS.get(ext)
    if kind is None:
        raise DocumentError(f"{path.name}: files of type {ext or '(no extension)'} cannot be read; use {SUPPORTED}")
    what = next((name for magic, name in _MAGIC if head.startswith(magic)), None)
    is_zip = head.startswith(b"PK\x03\x04")
    is_pdf = b"%PDF-" in head[:1024]
    if kind == "pdf" and not is_pdf:
        raise DocumentError(
            f"{path.name}: this is not a PDF ({what or 'its first bytes are not a PDF header'}); export it as PDF again"
        )
    if kind in ("docx", "xlsx") and not is_zip:
        label = "Word" if kind == "docx" else "Excel"
        raise DocumentError(
            f"{path.name}: this is not {'a' if kind == 'docx' else 'an'} {label} file ({what or 'it is not a zip package'}); "
            f"save it again from {label} as .{kind}"
        )
    if kind in ("csv", "markdown", "text"):
        if what is not None or is_zip or is_pdf:
            really = what or ("a PDF" if is_pdf else "a zip package (perhaps a .docx or .xlsx)")
            raise DocumentError(f"{path.name}: this is {really}, not text; give it its real extension")
        if b"\x00" in head:
            raise DocumentError(f"{path.name}: this is a binary file, not text; give it its real extension or export it as text")
    return kind


def check_package(path: Path, kind: DocumentKind, limits: DocumentLimits, label: str | None = None) -> list[str]:
    """Refuse an unsafe DOCX or XLSX before it is opened; return warnings about external references."""
    name = label or path.name
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DocumentError(f"{name}: the file is damaged ({exc}); save it again and retry") from None
    warnings: list[str] = []
    with zf:
        infos = zf.infolist()
        if len(infos) > 10_000:
            raise DocumentError(f"{name}: the package holds {len(infos):,} files, which no real document does; refused")
        total = sum(i.file_size for i in infos)
        if total > limits.max_unpacked_bytes:
            raise DocumentError(
                f"{name}: it would unpack to {total / 2**20:,.0f} MB (limit {limits.max_unpacked_bytes / 2**20:,.0f} MB); "
                "refused as a possible zip bomb"
            )
        for i in infos:
            if i.file_size > 2**20 and i.compress_size and i.file_size / i.compress_size > limits.max_ratio:
                raise DocumentError(
                    f"{name}: member {i.filename} is compressed {i.file_size // max(1, i.compress_size):,} to 1; "
                    "refused as a possible zip bomb"
                )
        names = {i.filename for i in infos}
        needed = "word/document.xml" if kind == "docx" else "xl/workbook.xml"
        if needed not in names:
            label = "a Word document" if kind == "docx" else "an Excel workbook"
            raise DocumentError(f"{name}: this zip package is not {label} (no {needed}); save it again as .{kind}")
        if any(n.lower().endswith(("vbaproject.bin",)) for n in names):
            warnings.append("it contains macros, which were not run")
        external: list[str] = []
        for i in infos:
            if not i.filename.endswith((".xml", ".rels")):
                continue
            try:
                with zf.open(i) as fh:
                    data = fh.read(limits.max_unpacked_bytes + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
                raise DocumentError(f"{name}: member {i.filename} cannot be read ({exc}); save the file again") from None
            # Anywhere in the member (a prolog can be padded), and in UTF-16/32 too (NULs dropped; UTF-8 XML has none).
            if _ENTITY.search(data.replace(b"\x00", b"")):
                raise DocumentError(
                    f"{name}: member {i.filename} declares XML entities, which Office never writes; refused as unsafe"
                )
            if i.filename.endswith(".rels"):
                for rel in _EXTERNAL_REL.findall(data):
                    attrs = {m.group(1): m.group(3) for m in _REL_ATTR.finditer(rel)}
                    outside = attrs.get(b"TargetMode", b"").lower() == b"external"
                    if outside and not attrs.get(b"Type", b"").endswith(b"/hyperlink"):  # a hyperlink is only text
                        external.append(attrs.get(b"Target", b"?").decode("utf-8", "replace")[:80])
        if external:
            warnings.append(
                f"it refers to {len(external)} external file(s) or link(s) ({', '.join(external[:3])}), which were not opened"
            )
    return warnings
