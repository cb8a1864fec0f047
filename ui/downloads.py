"""The report files offered for download: the same bytes ``smm report`` writes, rendered in memory.

Drawing the charts takes about a second per format, so results are kept per catalog, assessment
content and strategy (a small process-wide LRU cache, shared by every browser session); any change to
the assessment changes its JSON and so renders afresh.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import streamlit as st

from assistant.assessment import Assessment
from assistant.report import FORMATS, chart_heat_table, chart_target_vs_current, render_files
from assistant.scoring import score
from ui.services import get_services

MIME: dict[str, str] = {
    "md": "application/zip",
    "html": "text/html",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "json": "application/json",
}
LABELS: dict[str, str] = {
    "md": "Markdown report (zip with charts)",
    "html": "HTML report",
    "xlsx": "Excel workbook",
    "csv": "CSV table",
    "json": "Score report JSON",
}
# A fixed timestamp inside the zip, so the same report always gives the same archive.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Download:
    """One file to offer."""

    key: str
    """Format name, or ``assessment`` for the assessment JSON."""
    label: str
    """Button label."""
    file_name: str
    """Suggested file name."""
    mime: str
    """MIME type."""
    data: bytes
    """File content."""


def file_stem(system_name: str) -> str:
    """A safe file name stem from a system name: ``smm-bottling-line``."""
    slug = re.sub(r"[^a-z0-9]+", "-", system_name.lower()).strip("-")[:60]
    return f"smm-{slug or 'assessment'}"


def _zip(files: list[tuple[Path, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path, data in files:
            info = zipfile.ZipInfo(path.name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


# `catalog_hash` is part of the key only: the catalog itself comes from the services, which tests may swap.
@lru_cache(maxsize=16)
def _render(catalog_hash: str, assessment_json: str, strategy: str) -> list[tuple[str, str, str, str, bytes]]:
    cat = get_services().catalog
    a = Assessment.model_validate_json(assessment_json)
    report = score(a, cat, strategy)
    stem = file_stem(a.metadata.system_name)
    out: list[tuple[str, str, str, str, bytes]] = []
    for fmt in FORMATS:
        files = render_files(report, fmt, Path(f"{stem}.{fmt}"), a, cat)
        if fmt == "md":
            # The Markdown report links two chart images; a zip keeps the three files together.
            out.append((fmt, LABELS[fmt], f"{stem}-report-md.zip", MIME[fmt], _zip(files)))
        else:
            out.append((fmt, LABELS[fmt], files[-1][0].name, MIME[fmt], files[-1][1]))
    data = (a.model_dump_json(indent=2) + "\n").encode()
    out.append(("assessment", "Assessment JSON (to keep, share or compare)", f"{stem}-assessment.json", MIME["json"], data))
    return out


def report_downloads(assessment: Assessment, strategy: str) -> list[Download]:
    """Every report format the command line offers, plus the assessment itself as JSON."""
    key = (get_services().catalog.content_hash, assessment.model_dump_json(), strategy)
    with st.spinner("Preparing the report files…"):
        return [Download(*row) for row in _render(*key)]


@lru_cache(maxsize=16)
def _charts(catalog_hash: str, assessment_json: str, strategy: str) -> tuple[bytes, bytes]:
    cat = get_services().catalog
    report = score(Assessment.model_validate_json(assessment_json), cat, strategy)
    return chart_target_vs_current(report, cat), chart_heat_table(report, cat)


def charts(assessment: Assessment, strategy: str) -> tuple[bytes, bytes]:
    """The report's two charts as PNG bytes: target vs current per practice, and the heat table."""
    with st.spinner("Drawing the charts…"):
        return _charts(get_services().catalog.content_hash, assessment.model_dump_json(), strategy)
