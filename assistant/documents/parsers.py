"""Text out of each format, as blocks that keep their place: a page, a heading, a table row.

Each parser gets a file already checked by :mod:`assistant.documents.sniff` and returns blocks in
reading order. Parsers never follow links, run macros or load anything the file points to.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.documents.model import DocumentLimits
from assistant.documents.sniff import DocumentError

MAX_BLOCK_CHARS = 4000
"""A paragraph longer than this is cut at sentence ends into several blocks (citations stay short)."""


@dataclass
class Block:
    """A piece of text and where it sits."""

    text: str
    location: str
    page: int | None = None
    heading: str | None = None


@dataclass
class Parsed:
    """What a parser found."""

    blocks: list[Block]
    pages: int | None = None
    warnings: list[str] | None = None
    empty_pages: int = 0


def decode_text(path: Path, data: bytes) -> str:
    """Text of a text file: UTF-8 (with or without BOM), else Windows-1252, which every byte decodes in."""
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise DocumentError(f"{path.name}: the text is in an unknown encoding; save it as UTF-8")  # pragma: no cover


def _paragraphs(text: str) -> list[tuple[int, str]]:
    """Paragraphs (split at blank lines and list items) with their 1-based starting line."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for n, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        item = re.match(r"^\s*(?:[-*+\u2022]|\d+[.)])\s+", line) is not None
        if not stripped or item:
            if buf:
                out.append((start, "\n".join(buf)))
                buf = []
            if not stripped:
                continue
        if not buf:
            start = n
        buf.append(line.rstrip())
    if buf:
        out.append((start, "\n".join(buf)))
    return out


def _cut(text: str) -> list[str]:
    """A long paragraph in pieces of at most :data:`MAX_BLOCK_CHARS`, cut after a sentence end where possible."""
    if len(text) <= MAX_BLOCK_CHARS:
        return [text]
    out: list[str] = []
    while len(text) > MAX_BLOCK_CHARS:
        window = text[:MAX_BLOCK_CHARS]
        cut = max(window.rfind(". "), window.rfind("\n"))
        cut = cut + 1 if cut > MAX_BLOCK_CHARS // 4 else MAX_BLOCK_CHARS
        out.append(text[:cut])
        text = text[cut:]
    if text.strip():
        out.append(text)
    return out


def parse_text(path: Path, data: bytes, limits: DocumentLimits) -> Parsed:
    """Plain text: pages at form feeds, paragraphs at blank lines."""
    text = decode_text(path, data)
    pages = text.split("\f")
    if len(pages) > limits.max_pages:
        raise DocumentError(
            f"{path.name}: {len(pages):,} pages (limit {limits.max_pages:,}); split it or raise SMM_DOC_MAX_PAGES"
        )
    paged = len(pages) > 1
    blocks: list[Block] = []
    empty = 0
    for p, page in enumerate(pages, start=1):
        paras = _paragraphs(page)
        empty += not paras
        for line, para in paras:
            for piece in _cut(para):
                blocks.append(Block(piece, f"page {p}" if paged else f"line {line}", p if paged else None))
    return Parsed(blocks, pages=len(pages) if paged else None, empty_pages=empty if paged else 0)


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def parse_markdown(path: Path, data: bytes, limits: DocumentLimits) -> Parsed:
    """Markdown: headings give the location; table rows and list items are blocks of their own."""
    text = decode_text(path, data)
    blocks: list[Block] = []
    trail: list[tuple[int, str]] = []
    section: list[str] = []

    def flush() -> None:
        body = "\n".join(section)
        section.clear()
        where = " > ".join(t for _, t in trail) or "start"
        for _, para in _paragraphs(body):
            if re.fullmatch(r"[\s|:\-]+", para):
                continue  # a table's separator row
            rows = para.splitlines() if para.lstrip().startswith("|") else [para]
            for row in rows:
                if re.fullmatch(r"[\s|:\-]+", row):
                    continue
                for piece in _cut(row):
                    blocks.append(Block(piece, where, None, trail[-1][1] if trail else None))

    for line in text.splitlines():
        m = _HEADING.match(line)
        if m:
            flush()
            depth = len(m.group(1))
            trail[:] = [t for t in trail if t[0] < depth]
            trail.append((depth, m.group(2)))
            continue
        section.append(line)
    flush()
    return Parsed(blocks)


def _row_text(header: list[str], row: list[str]) -> str:
    """A table row as ``Header: value; Header: value`` (empty cells left out)."""
    parts = []
    for k, v in enumerate(row):
        v = v.strip()
        if not v:
            continue
        name = header[k].strip() if k < len(header) and header[k].strip() else f"column {k + 1}"
        parts.append(f"{name}: {v}")
    return "; ".join(parts)


def parse_csv(path: Path, data: bytes, limits: DocumentLimits) -> Parsed:
    """CSV: the first row names the columns; every other row is a block ``row N``."""
    text = decode_text(path, data)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:
        raise DocumentError(f"{path.name}: not a readable CSV file ({exc}); check its quoting") from None
    numbered = [(n, r) for n, r in enumerate(rows, start=1) if any(c.strip() for c in r)]  # row N as in a spreadsheet
    if len(numbered) > limits.max_passages + 1:
        raise DocumentError(
            f"{path.name}: {len(numbered) - 1:,} rows below the header (limit {limits.max_passages:,}); "
            "split it or raise SMM_DOC_MAX_PASSAGES"
        )
    if not numbered:
        return Parsed([])
    header = numbered[0][1]
    blocks = [Block(_row_text(header, r), f"row {n}") for n, r in numbered[1:]]
    return Parsed([b for b in blocks if b.text])


def parse_xlsx(path: Path, data: bytes, limits: DocumentLimits) -> Parsed:
    """XLSX: each sheet's first non-empty row names the columns; rows are blocks ``sheet S, row N``.

    Opened read-only with cached values (formulas are not evaluated; external links are not followed)."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise DocumentError(
            f"{path.name}: the workbook cannot be read ({type(exc).__name__}: {exc}); save it again from Excel"
        ) from None
    blocks: list[Block] = []
    try:
        for ws in wb.worksheets:
            header: list[str] | None = None
            for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
                row = ["" if v is None else str(v) for v in values]
                if not any(c.strip() for c in row):
                    continue
                if header is None:
                    header = row
                    continue
                text = _row_text(header, row)
                if text:
                    blocks.append(Block(text, f"sheet {ws.title}, row {n}"))
                if len(blocks) > limits.max_passages:
                    raise DocumentError(
                        f"{path.name}: more than {limits.max_passages:,} rows; split it or raise SMM_DOC_MAX_PASSAGES"
                    )
    finally:
        wb.close()
    return Parsed(blocks)


def parse_docx(path: Path, data: bytes, limits: DocumentLimits) -> Parsed:
    """DOCX: paragraphs and table rows in body order; heading styles give the location."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        d = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors on damaged packages
        msg = str(exc)
        if "macroEnabled" in msg:
            raise DocumentError(f"{path.name}: a macro-enabled document; save it as a plain .docx") from None
        raise DocumentError(
            f"{path.name}: the Word document cannot be read ({type(exc).__name__}); save it again from Word"
        ) from None
    blocks: list[Block] = []
    trail: list[tuple[int, str]] = []
    tables = 0
    for item in d.iter_inner_content():
        where = " > ".join(t for _, t in trail) or "start"
        if isinstance(item, Paragraph):
            text = item.text.strip()
            if not text:
                continue
            style = (item.style.name if item.style is not None else "") or ""
            m = re.match(r"^(?:Heading\s*(\d)|Title)$", style)
            if m:
                depth = int(m.group(1) or 0)
                trail[:] = [t for t in trail if t[0] < depth]
                trail.append((depth, text))
                continue
            for piece in _cut(text):
                blocks.append(Block(piece, where, None, trail[-1][1] if trail else None))
        elif isinstance(item, Table):
            tables += 1
            cells = [[c.text for c in r.cells] for r in item.rows]
            rows = [(n, _dedupe_merged(r)) for n, r in enumerate(cells, start=1) if any(c.strip() for c in r)]
            if not rows:
                continue
            header = rows[0][1]
            for n, r in rows[1:]:
                text = _row_text(header, r)
                if text:
                    blocks.append(Block(text, f"{where}, table {tables} row {n}", None, trail[-1][1] if trail else None))
        if len(blocks) > limits.max_passages:
            raise DocumentError(
                f"{path.name}: more than {limits.max_passages:,} paragraphs; split it or raise SMM_DOC_MAX_PASSAGES"
            )
    return Parsed(blocks)


def _dedupe_merged(cells: list[str]) -> list[str]:
    """A merged cell repeats its text in every grid cell it spans: keep it once."""
    out: list[str] = []
    for c in cells:
        out.append("" if out and c == out[-1] and c else c)
    return out


def parse_pdf(path: Path, data: bytes, limits: DocumentLimits) -> Parsed:
    """PDF: one block per page (``page N``), text as pypdf extracts it."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    # pypdf logs every repaired cross-reference as a warning; a damaged file is reported once, by us.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                ok = bool(reader.decrypt(""))
            except Exception:  # pypdf raises DependencyError for AES without a crypto library, and others
                ok = False
            if not ok:
                raise DocumentError(f"{path.name}: the PDF is password-protected; save an unprotected copy and add that")
        n = len(reader.pages)
    except DocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as exc:
        raise DocumentError(
            f"{path.name}: the PDF is damaged and cannot be read ({type(exc).__name__}); export it again"
        ) from None
    if n > limits.max_pages:
        raise DocumentError(f"{path.name}: {n:,} pages (limit {limits.max_pages:,}); split it or raise SMM_DOC_MAX_PAGES")
    blocks: list[Block] = []
    empty = 0
    for p in range(n):
        try:
            text = reader.pages[p].extract_text() or ""
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError, ZeroDivisionError):
            text = ""
        text = text.replace("\x00", "").strip()
        if not re.search(r"\w{2}", text):
            empty += 1
            continue
        for piece in _cut(text):
            blocks.append(Block(piece, f"page {p + 1}", p + 1))
    return Parsed(blocks, pages=n, empty_pages=empty)


PARSERS = {
    "pdf": parse_pdf,
    "docx": parse_docx,
    "xlsx": parse_xlsx,
    "csv": parse_csv,
    "markdown": parse_markdown,
    "text": parse_text,
}
