"""Benchmark: a 50-page PDF ingested and read (routed, read into indicator states, stored, indexed) on this machine.

Run: .venv/bin/python tests/bench_documents.py  (prints figures; not collected by pytest). Target: < 20 s on 2 cores.
The PDF is made here from the shipped evaluation documents (policies, procedures, minutes), about 40 lines a
page, so its text reads like an organisation's papers rather than filler.
"""

from __future__ import annotations

import tempfile
import textwrap
import time
from pathlib import Path

from assistant.documents import read_document
from assistant.interview import Interview
from assistant.services import build_services
from assistant.settings import Settings
from tests.docfiles import make_pdf

PAGES = 50
LINES = 40


def pages_of_text(root: Path) -> list[list[str]]:
    """``PAGES`` pages of ``LINES`` wrapped lines from the shipped evaluation documents (repeated as needed)."""
    lines: list[str] = []
    for f in sorted(root.glob("*/*.md")) + sorted(root.glob("*/*.txt")):
        for para in f.read_text(encoding="utf-8").replace("\f", "\n").split("\n"):
            lines += textwrap.wrap(para.replace("#", "").replace("|", " ").strip(), 95) or [""]
    while len(lines) < PAGES * LINES:
        lines += lines
    return [lines[p * LINES : (p + 1) * LINES] for p in range(PAGES)]


def main() -> None:
    root = Path(__file__).resolve().parent.parent / "eval" / "documents"
    with tempfile.TemporaryDirectory() as tmp:
        pdf = make_pdf(Path(tmp) / "policy-binder.pdf", pages_of_text(root))
        sv = build_services(Settings.from_env({"SMM_DATA_DIR": tmp}))
        iv = Interview.start(sv.catalog, sv.index, sv.engine, sv.store, system_name="bench", ask_objectives=False)
        iv.say("Warm-up: we make connected pumps.")  # loads the reader's model, as a session would have
        t0 = time.perf_counter()
        doc = read_document(pdf)
        t1 = time.perf_counter()
        ticks: list[int] = []
        iv.add_document(doc, progress=lambda done, total: ticks.append(done))
        t2 = time.perf_counter()
        statements = sum(iv.state.documents[-1].statements.values())
        print(f"{pdf.stat().st_size / 1024:.0f} KB, {doc.pages} pages, {len(doc.passages)} passages")
        print(f"extract {t1 - t0:.2f} s; route + read + store + index {t2 - t1:.2f} s; total {t2 - t0:.2f} s (target < 20 s)")
        print(
            f"{len(ticks)} progress updates; {statements} statements kept as evidence for {len(iv.state.documents[-1].statements)} practices"
        )


if __name__ == "__main__":
    main()
