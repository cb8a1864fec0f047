"""One worker process of the concurrency test: several interview sessions at once, in threads, on one session store.

    python -m tests.helpers.concurrency_worker DATA_DIR CATALOG_JSON WORKER SESSIONS INPUTS GO_FILE RESULT_FILE

Loads the catalog (JSON) and the built index of ``DATA_DIR`` once, then waits for ``GO_FILE`` to exist so that
every worker starts together. Each of ``SESSIONS`` threads opens its own ``SessionStore`` (on
``DATA_DIR/sessions.sqlite3``, or on ``SMM_DATABASE_URL`` when set) and its own :class:`Interview`, and says
``INPUTS`` answers, each carrying a unique marker ``[w<worker>s<session>#<n>]``; proposals are reviewed as they
come. ``RESULT_FILE`` gets JSON: per session its ID and the markers said, in order, plus the start and end times
of the parallel phase.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

ANSWERS = (
    "We do it by hand when someone remembers; nothing is written down.",
    "Only for the main product line.",
    "No, not that I know of.",
)


def main(argv: list[str]) -> int:
    data_dir, catalog_json = Path(argv[0]), Path(argv[1])
    worker, sessions, inputs = int(argv[2]), int(argv[3]), int(argv[4])
    go_file, result_file = Path(argv[5]), Path(argv[6])

    from assistant.catalog import Catalog
    from assistant.engines.guided import GuidedEngine
    from assistant.index import CatalogIndex
    from assistant.interview import Interview
    from assistant.settings import Settings
    from tests.helpers.support import open_store

    catalog = Catalog.model_validate_json(catalog_json.read_text(encoding="utf-8"))
    index = CatalogIndex.open(catalog, Settings.from_env({"SMM_DATA_DIR": str(data_dir)}))
    index.build()
    index.rank_practices("warm-up: load the embeddings and the lexical index")
    engine = GuidedEngine(catalog, index)
    results: list[dict[str, Any]] = [{} for _ in range(sessions)]
    errors: list[str] = []

    def run(s: int) -> None:
        try:
            store = open_store(data_dir)
            iv = Interview.start(
                catalog,
                index,
                engine,
                store,
                system_name=f"worker {worker} session {s}",
                profile="residential-cameras",
                ask_objectives=False,
                reviewer=f"w{worker}s{s}",
            )
            said: list[str] = []
            reviews = 0
            while len(said) < inputs and not iv.finished:
                q = iv.pending
                assert q is not None
                if q.kind == "review":
                    p = iv.state.practices[q.practice or ""].proposal
                    assert p is not None
                    if p.insufficient:
                        iv.review("modify", level=1, reason=f"w{worker}s{s} review {reviews}")
                    else:
                        iv.review("accept")
                    reviews += 1
                    continue
                marker = f"[w{worker}s{s}#{len(said)}]"
                answer = "We make Wi-Fi cameras for homes." if q.kind == "context" else ANSWERS[len(said) % len(ANSWERS)]
                iv.say(f"{answer} {marker}")
                said.append(marker)
            results[s] = {"session": iv.session_id, "markers": said, "reviews": reviews}
            store.close()
        except BaseException as exc:  # reported to the test, which fails on it
            errors.append(f"session {s}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=run, args=(s,), name=f"session-{s}") for s in range(sessions)]
    deadline = time.monotonic() + 300
    while not go_file.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.005)
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ended = time.time()
    result_file.write_text(
        json.dumps({"sessions": results, "errors": errors, "started": started, "ended": ended}), encoding="utf-8"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
