"""Drive one interview to its end against a data directory, logging every completed step; made to be SIGKILLed.

    python -m tests.helpers.interview_driver DATA_DIR STEP_LOG SESSION_FILE [CATALOG_JSON]

``DATA_DIR`` holds a built index; the session store is ``DATA_DIR/sessions.sqlite3``, or the database at
``SMM_DATABASE_URL`` when that is set. On the first run the driver picks a session ID, writes it to
``SESSION_FILE`` (fsync'd, before the session exists) and starts the interview; on later runs it resumes that
session. Each step is appended to ``STEP_LOG`` as one tab-separated line and fsync'd *after* the interview call
returned, so a logged step is one the interview reported done:

    ready <sid> <turns>         the session is open (started or resumed)
    said <marker> <turn id>     the stakeholder's answer carrying <marker> was processed
    reviewed <practice> <label> the reviewer's decision was recorded (label as in Rating.label())
    rejected <practice>         the reviewer rejected the proposal (every third practice, once)
    finished <turns>            the interview is over

``CATALOG_JSON`` (optional) is the catalog as JSON, which loads faster than the YAML tree.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

ANSWERS = (
    "We do this by hand when someone remembers; nothing about it is written down.",
    "Only for our main product line, and only when a customer asks.",
    "No, not that I know of.",
)


def _log(path: Path, *fields: str) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\t".join(fields) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _write_durably(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    data_dir, step_log, session_file = Path(argv[0]), Path(argv[1]), Path(argv[2])
    catalog_json = Path(argv[3]) if len(argv) > 3 else None

    from assistant.catalog import Catalog, load_catalog
    from assistant.engines.guided import GuidedEngine
    from assistant.index import CatalogIndex
    from assistant.interview import Interview
    from assistant.settings import Settings
    from assistant.store import SessionNotFound
    from tests.helpers.support import open_store

    settings = Settings.from_env({"SMM_DATA_DIR": str(data_dir)})
    catalog = Catalog.model_validate_json(catalog_json.read_text(encoding="utf-8")) if catalog_json else load_catalog()
    index = CatalogIndex.open(catalog, settings)
    index.build()
    engine = GuidedEngine(catalog, index)
    store = open_store(data_dir)

    if session_file.exists():
        sid = session_file.read_text(encoding="utf-8").strip()
    else:
        sid = uuid.uuid4().hex[:16]
        _write_durably(session_file, sid)
    try:
        iv = Interview.resume(sid, catalog, index, engine, store)
    except SessionNotFound:
        iv = Interview.start(
            catalog,
            index,
            engine,
            store,
            system_name="Crash test",
            profile="residential-cameras",
            ask_objectives=False,
            reviewer="driver",
            session_id=sid,
        )
    _log(step_log, "ready", sid, str(len(iv.transcript)))

    for _ in range(1000):
        if iv.finished:
            break
        q = iv.pending
        assert q is not None, "an unfinished interview always has a pending question"
        if q.kind == "review":
            pid = q.practice or ""
            p = iv.state.practices[pid].proposal
            assert p is not None
            position = iv.state.order.index(pid)
            if position % 3 == 0 and not iv.state.practices[pid].rejected:
                iv.review("reject")  # ask again: a longer interview, and a path through the state machine more
                _log(step_log, "rejected", pid)
                continue
            if p.insufficient or position % 2:
                level = max(0, (p.level or 1) - 1) if not p.insufficient else 1
                iv.review("modify", level=level, reason=f"driver check {uuid.uuid4().hex[:6]}")
            else:
                iv.review("accept")
            _log(step_log, "reviewed", pid, iv.state.assessment.current[pid].value.label())
            continue
        marker = uuid.uuid4().hex[:12]
        pid = q.practice or ""
        n = iv.state.practices[pid].answers if pid else 0
        text = "We make Wi-Fi cameras for homes." if q.kind == "context" else ANSWERS[n % len(ANSWERS)]
        iv.say(f"{text} [m:{marker}]")
        turn = next(t for t in reversed(iv.transcript) if t.role == "stakeholder")
        _log(step_log, "said", marker, turn.id)
    _log(step_log, "finished", str(len(iv.transcript)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
