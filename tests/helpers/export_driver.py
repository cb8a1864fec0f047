"""Write large exports in a loop, to be SIGKILLed mid-write.

    python -m tests.helpers.export_driver OUT_DIR STEP_LOG ASSESSMENT_JSON [CATALOG_JSON] [--once] [--inflate N]

Loads the assessment (``--inflate N`` adds N one-kilobyte events in memory, so the JSON written is large and
takes a while to write), then writes ``OUT_DIR/assessment.json`` (``save_assessment``), ``OUT_DIR/report.html``
and ``OUT_DIR/report.xlsx`` (``write_report``) over and over, each round with different content. Logged
(fsync'd): ``ready``, ``writing <file>`` before and ``wrote <file> <seconds>`` after each write, ``round <n>``.
With ``--once`` it writes one round and exits: the run after the kills, whose writes clean up the temp files
the killed runs left.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _log(path: Path, *fields: str) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\t".join(fields) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def main(argv: list[str]) -> int:
    once = "--once" in argv
    inflate = int(argv[argv.index("--inflate") + 1]) if "--inflate" in argv else 0
    args = [a for i, a in enumerate(argv) if a != "--once" and a != "--inflate" and (i == 0 or argv[i - 1] != "--inflate")]
    out, step_log, source = Path(args[0]), Path(args[1]), Path(args[2])
    catalog_json = Path(args[3]) if len(args) > 3 else None

    import time

    from assistant.assessment import Event, load_assessment, save_assessment, utcnow
    from assistant.catalog import Catalog, load_catalog
    from assistant.report import write_report
    from assistant.scoring import score

    catalog = Catalog.model_validate_json(catalog_json.read_text(encoding="utf-8")) if catalog_json else load_catalog()
    assessment = load_assessment(source, catalog)
    assessment.events += [
        Event(at=utcnow(), kind="note", actor="driver", data={"pad": "x" * 1000, "n": i}) for i in range(inflate)
    ]

    def write(name: str, action: object) -> None:
        _log(step_log, "writing", name)
        t = time.monotonic()
        action()  # type: ignore[operator]
        _log(step_log, "wrote", name, f"{time.monotonic() - t:.3f}")

    _log(step_log, "ready", str(os.getpid()))
    for n in range(1, 100_000):
        assessment.metadata.system_name = f"Export crash test, round {n}"
        write("assessment.json", lambda: save_assessment(assessment, out / "assessment.json"))
        report = score(assessment, catalog)
        write("report.html", lambda: write_report(report, "html", out / "report.html", assessment, catalog))  # noqa: B023
        write("report.xlsx", lambda: write_report(report, "xlsx", out / "report.xlsx", assessment, catalog))  # noqa: B023
        _log(step_log, "round", str(n))
        if once:
            break
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
