"""The session store on both backends: embedded SQLite and a real PostgreSQL server (``tests/helpers/postgres.py``).

Every store test runs twice, through ``SessionStore.from_url``: on a SQLite file and on a fresh PostgreSQL
database. Both must keep the same promises: an input is committed before its reply, a document with the turn that
adds it, sequence numbers never collide (threads appending to one session at once), text is stored verbatim (NUL
too, which PostgreSQL's text type refuses), the schema is versioned and upgraded in place (a database written
before versioning, from the old schema SQL below, keeps all its data), a newer schema is refused, and a bad
``SMM_DATABASE_URL`` gives one clear message without the password.
"""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine, inspect, text

from assistant.assessment import utcnow
from assistant.documents.model import Document, Passage
from assistant.errors import ConfigError, InputError
from assistant.interview import Interview
from assistant.proposals import Turn
from assistant.settings import Settings
from assistant.store import SCHEMA_VERSION, DatabaseTarget, SchemaTooNew, SessionNotFound, SessionStore
from assistant.store.schema import MIGRATIONS, NulSafeText, metadata
from tests.helpers.support import copy_index, run_cli

# The schema of the store before versioning (assistant/store.py until issue 16), verbatim: databases written
# by that code have these tables and no schema_version table.
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    system_name TEXT NOT NULL DEFAULT '',
    phase TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    processed_seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    turn_id TEXT NOT NULL,
    role TEXT NOT NULL,
    kind TEXT NOT NULL,
    practice TEXT,
    text TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (session_id, seq),
    UNIQUE (session_id, turn_id)
);
CREATE TABLE IF NOT EXISTS documents (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    doc_id TEXT NOT NULL,
    document TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (session_id, doc_id)
);
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for this test alone: a SQLite file, or a fresh database on the test PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'sessions.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(url: str) -> Iterator[SessionStore]:
    s = SessionStore.from_url(url)
    yield s
    s.close()


def turn(n: int, role: str = "stakeholder", text: str | None = None, kind: str = "answer") -> Turn:
    return Turn(id=f"t{n}", role=role, kind=kind, text=text if text is not None else f"turn {n}", at=utcnow())  # type: ignore[arg-type]


def document(name: str, *passages: str) -> Document:
    digest = hashlib.sha256("\n".join(passages).encode()).hexdigest()
    return Document(
        id=digest[:12],
        name=name,
        kind="markdown",
        sha256=digest,
        size=sum(len(p) for p in passages),
        passages=[Passage(number=i, text=p, location=f"paragraph {i + 1}") for i, p in enumerate(passages)],
    )


def raw_engine(url: str) -> Any:
    """A plain SQLAlchemy engine on the same database (no store, no schema handling), to write as old code did."""
    target = DatabaseTarget.parse(url)
    if target.path is not None:
        target.path.parent.mkdir(parents=True, exist_ok=True)
    return create_engine(target.url)


# ------------------------------------------------------------------------------------------------ sessions


def test_create_load_and_list(store: SessionStore) -> None:
    store.create("s-one", {"system_name": "Cams", "n": 1}, system_name="Cams", phase="context", turns=[turn(1, "assistant")])
    store.create("s-two", {"system_name": "Pumps"}, system_name="Pumps", phase="context", turns=[turn(1, "assistant"), turn(2)])
    state, processed, turns = store.load("s-one")
    assert state == {"system_name": "Cams", "n": 1} and processed == 0
    assert [(seq, t.id, t.role, t.text) for seq, t in turns] == [(1, "t1", "assistant", "turn 1")]
    assert turns[0][1].at.tzinfo is not None
    listed = store.sessions()
    assert [(s.id, s.system_name, s.phase, s.turns) for s in listed] == [
        ("s-two", "Pumps", "context", 2),
        ("s-one", "Cams", "context", 1),
    ], "most recently changed first"
    store.append_input("s-one", turn(2))
    assert [s.id for s in store.sessions()] == ["s-one", "s-two"]


def test_a_session_id_is_found_by_a_unique_prefix(store: SessionStore) -> None:
    for sid in ("abc123", "abd456", "ab_789", "ab%000"):
        store.create(sid, {}, system_name="x", phase="context")
    assert store.resolve("abc") == "abc123"
    assert store.resolve("ABD") == "abd456", "case does not matter, on both backends"
    assert store.resolve("ab_") == "ab_789", "_ is a character, not a wildcard"
    assert store.resolve("ab%") == "ab%000", "% is a character, not a wildcard"
    with pytest.raises(InputError, match="matches 4 sessions; give more characters"):
        store.resolve("ab")
    with pytest.raises(SessionNotFound, match=r"no interview session starts with 'zz'; list them with `smm sessions`"):
        store.resolve("zz")


def test_a_missing_session_is_named_with_where_it_was_looked_for(store: SessionStore, url: str) -> None:
    with pytest.raises(SessionNotFound, match=r"no interview session 'nope' in .*; list them with `smm sessions`") as exc:
        store.load("nope")
    with pytest.raises(SessionNotFound, match="'nope'"):
        store.append_input("nope", turn(1))
    password = DatabaseTarget.parse(url).url.password
    if password:
        assert password not in str(exc.value) and "***" in str(exc.value)
    assert store.sessions() == [], "nothing was written for a missing session"


# ------------------------------------------------------------------------------------------------- turns


def test_inputs_and_replies_get_consecutive_sequence_numbers(store: SessionStore) -> None:
    store.create("s", {"system_name": "A"}, system_name="A", phase="context", turns=[turn(1, "assistant")])
    assert store.append_input("s", turn(2)) == 2
    store.commit_reply("s", 2, [turn(3, "assistant"), turn(4, "assistant")], {"system_name": "B"}, phase="practice")
    assert store.append_input("s", turn(5, "reviewer", kind="review")) == 5
    state, processed, turns = store.load("s")
    assert [seq for seq, _t in turns] == [1, 2, 3, 4, 5] and [t.id for _s, t in turns] == ["t1", "t2", "t3", "t4", "t5"]
    assert processed == 2, "the reviewer's input (5) is saved but not yet processed"
    assert state == {"system_name": "B"}
    (summary,) = store.sessions()
    assert (summary.system_name, summary.phase, summary.turns) == ("B", "practice", 5)


TEXTS = [
    "We patch\x00 by hand\x07 sometimes.",
    "\x00",
    NulSafeText.MARKER + '"not json',
    NulSafeText.MARKER,
    "C:\\new\\table and \\u0000 and \\\\",
    "Ünïcödé ✅ 我们有书面流程 שלום 👩‍👩‍👧‍👦 e\u0301",
    "' OR 1=1; DROP TABLE turns; --",
    "x" * 100_000,
    "",
]


def test_text_is_stored_verbatim(store: SessionStore) -> None:
    store.create("s", {"system_name": "Sys\x00tem"}, system_name="Sys\x00tem", phase="context")
    for i, t in enumerate(TEXTS, start=1):
        store.append_input("s", turn(i, text=t))
    _state, _p, turns = store.load("s")
    assert [t.text for _seq, t in turns] == TEXTS
    assert store.sessions()[0].system_name == "Sys\x00tem"


def test_threads_appending_to_one_session_never_share_or_skip_a_sequence_number(url: str) -> None:
    """Each thread has its own store (its own connections), as separate processes would."""
    SessionStore.from_url(url).create("s", {}, system_name="x", phase="context", turns=[turn(0, "assistant")])
    threads, per_thread = 6, 8
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []
    got: list[int] = []

    def run(w: int) -> None:
        try:
            s = SessionStore.from_url(url)
            barrier.wait()
            for i in range(per_thread):
                got.append(
                    s.append_input("s", Turn(id=f"w{w}-{i}", role="stakeholder", kind="answer", text=f"{w}/{i}", at=utcnow()))
                )
            s.close()
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(w,)) for w in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert not errors, errors
    _state, _p, turns = SessionStore.from_url(url).load("s")
    n = threads * per_thread
    assert sorted(got) == list(range(2, n + 2)) and [seq for seq, _t in turns] == list(range(1, n + 2))
    assert sorted(t.text for _s, t in turns[1:]) == sorted(f"{w}/{i}" for w in range(threads) for i in range(per_thread))
    for w in range(threads):  # each thread's inputs in the order it said them
        mine = [int(t.text.split("/")[1]) for _s, t in turns if t.text.startswith(f"{w}/")]
        assert mine == list(range(per_thread))


# ------------------------------------------------------------------------------------------------ documents


def test_documents_are_stored_and_removed_with_their_input_turn(store: SessionStore) -> None:
    store.create("s", {}, system_name="x", phase="context", turns=[turn(1, "assistant")])
    policy = document("policy.md", "Backups run nightly.", "Restores are tested quarterly.")
    plan = document("plan.md", "Incident response: call the on-duty engineer.")
    assert store.append_document("s", turn(2, kind="document"), policy) == 2
    assert store.append_document("s", turn(3, kind="document"), plan) == 3
    assert store.documents("s") == [policy, plan]
    assert store.append_document("s", turn(4, kind="document"), policy) == 4, "adding it again replaces it"
    assert store.documents("s") == [plan, policy]
    assert store.append_removal("s", turn(5, kind="document"), plan.id) == 5
    assert store.documents("s") == [policy]
    _state, _p, turns = store.load("s")
    assert [seq for seq, _t in turns] == [1, 2, 3, 4, 5]
    assert store.documents("other") == []


def test_a_document_and_its_turn_are_stored_together_or_not_at_all(store: SessionStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.create("s", {}, system_name="x", phase="context", turns=[turn(1, "assistant")])
    before = store.load("s")
    real_insert = SessionStore._insert

    def insert_then_die(db: Any, session_id: str, seq: int, t: Turn) -> None:
        real_insert(db, session_id, seq, t)
        raise KeyboardInterrupt("killed after the turn, before the document")

    monkeypatch.setattr(SessionStore, "_insert", staticmethod(insert_then_die))
    with pytest.raises(KeyboardInterrupt):
        store.append_document("s", turn(2, kind="document"), document("p.md", "text"))
    with pytest.raises(KeyboardInterrupt):
        store.create("t", {}, system_name="y", phase="context", turns=[turn(1, "assistant")])
    monkeypatch.undo()
    assert store.load("s") == before and store.documents("s") == []
    assert [s.id for s in store.sessions()] == ["s"], "a session is created with its first turn or not at all"
    assert store.append_input("s", turn(2)) == 2, "the store is usable after the interrupted transaction"


# ----------------------------------------------------------------------------------------- interviews


def test_an_input_saved_before_a_crash_is_replayed_once_on_resume(
    url: str, services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SessionStore.from_url(url)
    iv = Interview.start(services.catalog, services.index, services.engine, store, system_name="Plant", ask_objectives=False)
    iv.say("We run a bottling line with PLCs and an HMI; the vendor maintains it remotely.")

    def killed(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt("killed before the reply was saved")

    monkeypatch.setattr(SessionStore, "commit_reply", killed)
    with pytest.raises(KeyboardInterrupt):
        iv.say("We do it by hand when someone remembers; nothing is written down. [crash]")
    monkeypatch.undo()

    other = SessionStore.from_url(url)  # another process
    _raw, processed, turns = other.load(iv.session_id)
    assert turns[-1][1].text.endswith("[crash]") and turns[-1][0] > processed, "the input is saved, not yet processed"
    resumed = Interview.resume(iv.session_id, services.catalog, services.index, services.engine, other)
    said = [t for t in resumed.transcript if t.text.endswith("[crash]")]
    assert len(said) == 1 and resumed.transcript[-1].role == "assistant", "replayed once, and answered"
    _raw, processed, turns = other.load(iv.session_id)
    assert processed == max(seq for seq, t in turns if t.role == "stakeholder")
    again = Interview.resume(iv.session_id, services.catalog, services.index, services.engine, SessionStore.from_url(url))
    assert [t.id for t in again.transcript] == [t.id for t in resumed.transcript], "nothing is replayed twice"


def test_an_interview_through_services_with_smm_database_url(
    url: str, catalog: Any, built_index: Any, services: Any, isolated_env: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """``build_services`` picks the store from SMM_DATABASE_URL; a new store object resumes the same transcript."""
    import assistant.services

    copy_index(built_index, isolated_env)
    monkeypatch.setenv("SMM_DATABASE_URL", url)
    # The store is what is under test; the engine is the shared one (a second reader would only cost time).
    monkeypatch.setattr(assistant.services, "make_engine", lambda *a, **k: services.engine)
    sv = assistant.services.build_services(catalog=catalog)
    assert sv.store.url == DatabaseTarget.parse(url).shown and sv.store.backend == url.split(":")[0]
    iv = Interview.start(sv.catalog, sv.index, sv.engine, sv.store, system_name="Cams", profile="residential-cameras")
    iv.say("We make Wi-Fi cameras for homes; the app and a cloud service talk to them.")
    while len([t for t in iv.transcript if t.role in ("stakeholder", "reviewer")]) < 8 and not iv.finished:
        q = iv.pending
        assert q is not None
        if q.kind == "review":
            iv.review("accept")
        else:
            iv.say("Only for the main product line, and only when a customer asks.")
    resumed = Interview.resume(iv.session_id[:6], catalog, sv.index, sv.engine, SessionStore.from_url(url))
    assert [(t.id, t.role, t.text) for t in resumed.transcript] == [(t.id, t.role, t.text) for t in iv.transcript]
    assert resumed.state.model_dump() == iv.state.model_dump()
    result = run_cli(["sessions"], capsys)
    assert result.code == 0 and iv.session_id in result.out
    assert SessionStore.in_data_dir(isolated_env).sessions() == [], "nothing went to the embedded store"


# -------------------------------------------------------------------------------------------------- schema


def write_old_database(url: str) -> None:
    """A database as the store before versioning left it: the old tables, a session with turns and a document."""
    engine = raw_engine(url)
    with engine.begin() as db:
        for statement in OLD_SCHEMA.split(";"):
            if statement.strip():
                db.execute(text(statement))
        now = utcnow().isoformat()
        db.execute(
            text(
                "INSERT INTO sessions (id, created_at, updated_at, system_name, phase, state, processed_seq) VALUES (:i,:c,:u,:n,:p,:s,2)"
            ),
            {"i": "old-1", "c": now, "u": now, "n": "Old plant", "p": "practice", "s": '{"system_name": "Old plant"}'},
        )
        for seq, (role, kind, body) in enumerate(
            [("assistant", "question", "Tell me"), ("stakeholder", "answer", "Bottling"), ("assistant", "question", "Backups?")],
            1,
        ):
            db.execute(
                text("INSERT INTO turns (session_id, seq, turn_id, role, kind, practice, text, at) VALUES ('old-1', :q, :t, :r, :k, NULL, :x, :a)"),
                {"q": seq, "t": f"t{seq}", "r": role, "k": kind, "x": body, "a": now},
            )  # fmt: skip
        db.execute(
            text("INSERT INTO documents (session_id, doc_id, document, added_at) VALUES ('old-1', :d, :j, :a)"),
            {"d": OLD_DOC.id, "j": OLD_DOC.model_dump_json(), "a": now},
        )
    engine.dispose()


OLD_DOC = document("old-policy.md", "Backups are taken every night.")


@pytest.mark.parametrize("openers", [1, 6])
def test_a_database_written_before_versioning_is_upgraded_in_place(url: str, openers: int) -> None:
    """One opener, or several at once (each its own store and connections): the upgrade happens once, data intact."""
    write_old_database(url)
    barrier = threading.Barrier(openers)
    stores: list[SessionStore] = []
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            barrier.wait()
            stores.append(SessionStore.from_url(url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(openers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(s.schema_version_found for s in stores)[0] == 0, "one of them found the unversioned database"
    store = stores[0]
    state, processed, turns = store.load("old-1")
    assert state == {"system_name": "Old plant"} and processed == 2
    assert [(seq, t.id, t.role, t.text) for seq, t in turns] == [
        (1, "t1", "assistant", "Tell me"),
        (2, "t2", "stakeholder", "Bottling"),
        (3, "t3", "assistant", "Backups?"),
    ]
    assert store.documents("old-1") == [OLD_DOC]
    assert [(s.id, s.system_name, s.turns) for s in store.sessions()] == [("old-1", "Old plant", 3)]
    assert store.append_input("old-1", turn(4)) == 4
    engine = raw_engine(url)
    with engine.connect() as db:
        versions = db.execute(text("SELECT version, description FROM schema_version ORDER BY version")).all()
        indexes = {ix["name"] for ix in inspect(db).get_indexes("sessions")}
    engine.dispose()
    assert [v for v, _d in versions] == [m.version for m in MIGRATIONS] and versions[-1][0] == SCHEMA_VERSION
    assert "created before versioning" in versions[0][1], "recorded as adopted, not created"
    assert "sessions_updated_at" in indexes


def test_a_new_database_gets_every_migration_and_tables_matching_the_code(store: SessionStore, url: str) -> None:
    assert store.schema_version_found == 0
    assert SessionStore.from_url(url).schema_version_found == SCHEMA_VERSION, "the second open finds it current"
    engine = raw_engine(url)
    with engine.connect() as db:
        versions = [r[0] for r in db.execute(text("SELECT version FROM schema_version ORDER BY version"))]
        insp = inspect(db)
        for table in metadata.sorted_tables:
            # Nullability of key columns is reported differently by SQLite (a rowid alias); compare the others.
            pk = {c.name for c in table.primary_key}
            reflected = {c["name"]: bool(c["nullable"]) or c["name"] in pk for c in insp.get_columns(table.name)}
            assert reflected == {c.name: bool(c.nullable) or c.name in pk for c in table.columns}, table.name
            assert set(insp.get_pk_constraint(table.name)["constrained_columns"]) == {c.name for c in table.primary_key}
    engine.dispose()
    assert versions == list(range(1, SCHEMA_VERSION + 1))


def test_a_database_of_a_newer_version_is_refused_and_left_alone(store: SessionStore, url: str, capsys, monkeypatch) -> None:
    store.create("s", {}, system_name="x", phase="context")
    store.close()
    engine = raw_engine(url)
    with engine.begin() as db:
        db.execute(
            text("INSERT INTO schema_version (version, description, applied_at) VALUES (:v, 'from the future', 'later')"),
            {"v": SCHEMA_VERSION + 1},
        )
    with pytest.raises(
        SchemaTooNew,
        match=rf"schema version {SCHEMA_VERSION + 1}, but this assistant knows versions up to {SCHEMA_VERSION}.*Upgrade the assistant",
    ):
        SessionStore.from_url(url)
    monkeypatch.setenv("SMM_DATABASE_URL", url)
    result = run_cli(["sessions"], capsys)
    assert result.code == 2 and "Upgrade the assistant" in result.err and "Traceback" not in result.err
    with engine.connect() as db:
        assert db.execute(text("SELECT COUNT(*) FROM sessions")).scalar() == 1
        assert db.execute(text("SELECT MAX(version) FROM schema_version")).scalar() == SCHEMA_VERSION + 1
    engine.dispose()


def test_tables_of_the_same_name_that_are_not_the_assistants_are_refused(url: str) -> None:
    engine = raw_engine(url)
    with engine.begin() as db:
        db.execute(text("CREATE TABLE sessions (id TEXT PRIMARY KEY, owner TEXT)"))
    engine.dispose()
    with pytest.raises(ConfigError, match="has a table 'sessions' that the assistant did not create"):
        SessionStore.from_url(url)


# -------------------------------------------------------------------------------------- settings and errors


def test_the_settings_choose_the_store(tmp_path: Path) -> None:
    embedded = SessionStore.from_settings(Settings.from_env({"SMM_DATA_DIR": str(tmp_path)}))
    assert embedded.backend == "sqlite" and embedded.path == tmp_path / "sessions.sqlite3" and embedded.path.exists()
    assert embedded.url == f"sqlite:///{tmp_path / 'sessions.sqlite3'}"
    other = tmp_path / "elsewhere" / "s.db"
    chosen = SessionStore.from_settings(
        Settings.from_env({"SMM_DATA_DIR": str(tmp_path), "SMM_DATABASE_URL": f" sqlite:///{other} "})
    )
    assert chosen.path == other and other.exists()
    settings = Settings.from_env({"SMM_DATABASE_URL": "postgresql://smm:s3cret-pw@db.example:5432/smm"})
    assert isinstance(settings.database_url, SecretStr) and "s3cret-pw" not in repr(settings)
    assert Settings.from_env({"SMM_DATABASE_URL": "  "}).database_url is None


@pytest.mark.parametrize(
    ("raw", "driver"),
    [
        ("postgresql://smm:pw@db.example:5432/smm", "postgresql+psycopg"),
        ("postgres://smm:pw@db.example/smm", "postgresql+psycopg"),
        ("postgresql+psycopg://smm:pw@db.example/smm?sslmode=require", "postgresql+psycopg"),
        ("sqlite:////var/lib/smm/sessions.sqlite3", "sqlite"),
    ],
)
def test_accepted_urls_are_normalised_and_shown_without_the_password(raw: str, driver: str) -> None:
    target = DatabaseTarget.parse(raw)
    assert target.url.drivername == driver
    assert "pw@" not in target.shown and (":***@" in target.shown or target.backend == "sqlite")
    assert target.setting == "SMM_DATABASE_URL"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("localhost:5432", "SMM_DATABASE_URL is not a database URL"),
        ("postgresql://smm:topsecret@db:notaport/smm", "SMM_DATABASE_URL is not a database URL"),
        ("mysql://smm:topsecret@db/smm", "names a 'mysql' database, which the assistant does not support"),
        ("postgresql+psycopg2://smm:topsecret@db/smm", "the assistant uses psycopg 3"),
        ("sqlite://", "names no SQLite file"),
        ("sqlite:///:memory:", "names no SQLite file"),
    ],
)
def test_a_bad_url_is_refused_with_one_clear_message(raw: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as exc:
        SessionStore.from_url(raw)
    assert "topsecret" not in str(exc.value) and "\n" not in str(exc.value)
    assert "postgresql://USER:PASSWORD@HOST" in str(exc.value) or "sqlite:" in str(exc.value) or "psycopg 3" in str(exc.value)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_server_is_one_clear_message(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"postgresql://smm:topsecret@127.0.0.1:{_closed_port()}/smm"
    with pytest.raises(ConfigError, match=r"cannot open the session database postgresql\+psycopg://smm:\*\*\*@127.0.0.1") as exc:
        SessionStore.from_url(url)
    assert "check that the PostgreSQL server is running" in str(exc.value) and "SMM_DATABASE_URL" in str(exc.value)
    monkeypatch.setenv("SMM_DATABASE_URL", url)
    result = run_cli(["sessions"], capsys)
    assert result.code == 2 and result.err.startswith("smm: error: cannot open the session database")
    assert (
        len(result.err.strip().splitlines()) == 1 and "topsecret" not in result.err + result.out and "Traceback" not in result.err
    )


def test_a_wrong_password_or_database_is_one_clear_message(postgres_server: Any, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = postgres_server.url("postgres", password="not-the-password")
    with pytest.raises(
        ConfigError, match=r"password authentication failed.*check the user name and password in SMM_DATABASE_URL"
    ) as exc:
        SessionStore.from_url(wrong)
    assert "not-the-password" not in str(exc.value) and postgres_server.password not in str(exc.value)
    with pytest.raises(
        ConfigError, match=r"database \"nowhere\" does not exist; create the database \(e.g. `createdb nowhere`\)"
    ):
        SessionStore.from_url(postgres_server.url("nowhere"))
    monkeypatch.setenv("SMM_DATABASE_URL", wrong)
    result = run_cli(["sessions"], capsys)
    assert result.code == 2 and "SMM_DATABASE_URL" in result.err and len(result.err.strip().splitlines()) == 1
    assert "not-the-password" not in result.err + result.out and "Traceback" not in result.err


def test_a_user_who_may_not_create_tables_gets_one_clear_message(postgres_server: Any) -> None:
    """PostgreSQL 15 and later no longer let every user create tables in ``public``."""
    import psycopg

    url = postgres_server.create_database()
    with psycopg.connect(url, autocommit=True) as admin:  # roles are per server, the schema's rights per database
        admin.execute("CREATE ROLE visitor LOGIN PASSWORD 'visitor-pw'")
        admin.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")  # the default since 15; explicit for older servers
    visitor = url.replace(f"smm:{postgres_server.password}@", "visitor:visitor-pw@")
    with pytest.raises(
        ConfigError, match=r"cannot create or upgrade the session tables in .*permission denied.*may create tables"
    ) as exc:
        SessionStore.from_url(visitor)
    assert "visitor-pw" not in str(exc.value)
