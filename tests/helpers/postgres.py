"""A real PostgreSQL server for the tests, started and stopped by them (no server needs to be running).

``postgres_server`` (session scope) finds ``initdb`` and ``pg_ctl`` (on PATH, then ``/usr/lib/postgresql/*/bin``),
creates a cluster in a temporary folder, starts it on a free port of 127.0.0.1 with its unix socket inside that
folder, and stops it at the end. ``initdb`` refuses to run as root: as root, both run as Debian's ``postgres``
user (``runuser``), which owns the folder. ``postgres_url`` gives each test a database of its own.

Without PostgreSQL the tests that need it are skipped, unless ``SMM_REQUIRE_POSTGRES=1`` (set by ``.ci/run``)
makes that a failure. The superuser ``smm`` logs in over TCP with a password (SCRAM), so a wrong password is
refused as it would be on a real server; ``PostgresServer`` is also used by ``tests/bench_postgres.py``.
"""

from __future__ import annotations

import itertools
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest

REQUIRE = "SMM_REQUIRE_POSTGRES"
USER = "smm"


def find_pg_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: PATH first, then the newest ``/usr/lib/postgresql/*/bin``."""
    initdb = shutil.which("initdb")
    if initdb and (Path(initdb).parent / "pg_ctl").exists():
        return Path(initdb).parent
    versions = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists() and (p / "pg_ctl").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return versions[-1] if versions else None


def unavailable_reason() -> str | None:
    """Why a server cannot be started here, or None if it can."""
    if find_pg_bin() is None:
        return (
            "PostgreSQL is not installed (no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin; apt-get install postgresql)"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run initdb as (initdb refuses root)"
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing (needed to run initdb as the 'postgres' user)"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """A throw-away PostgreSQL cluster on 127.0.0.1 (``with PostgresServer() as pg:``)."""

    def __init__(self, *, durable: bool = True) -> None:
        """``durable=False`` turns fsync off: faster, and no test here depends on the server surviving a power cut."""
        pg_bin = find_pg_bin()
        if pg_bin is None:
            raise RuntimeError(unavailable_reason() or "PostgreSQL is not installed")
        self.bin = pg_bin
        self.durable = durable
        self.password = secrets.token_hex(12)
        self.port = 0
        # Not under pytest's tmp_path: its parents are private to root, and the server runs as 'postgres'.
        # Short, too: the unix socket path must fit in 107 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="smm-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sock"
        self.log = self.root / "server.log"
        self._names = itertools.count(1)
        self._running = False

    # -- lifecycle

    def _run(self, *args: str) -> None:
        """Run a PostgreSQL program (as 'postgres' when we are root); output goes to a file, never to a pipe the
        daemonised server could keep open."""
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        out = self.root / "commands.log"
        with out.open("ab") as fh:
            proc = subprocess.run([*prefix, str(self.bin / args[0]), *args[1:]], stdin=subprocess.DEVNULL, stdout=fh, stderr=fh)
        if proc.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed ({proc.returncode}):\n{out.read_text(errors='replace')[-3000:]}\n"
                f"{self.log.read_text(errors='replace')[-3000:] if self.log.exists() else ''}"
            )

    def start(self) -> PostgresServer:
        """initdb, then pg_ctl start on a free port (a few tries: another program may take the port first)."""
        self.sockets.mkdir()
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n", encoding="utf-8")
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            for p in (self.root, self.sockets, pwfile):
                os.chown(p, pg.pw_uid, pg.pw_gid)
        self._run(
            "initdb", "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}", "--auth-host=scram-sha-256",
            "--auth-local=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
        )  # fmt: skip
        pwfile.unlink()
        options = f"-c listen_addresses=127.0.0.1 -k {self.sockets} -c max_connections=300 -c shared_buffers=64MB"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        for attempt in range(3):
            self.port = _free_port()
            try:
                self._run(
                    "pg_ctl",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    f"-p {self.port} {options}",
                    "start",
                )
            except RuntimeError:
                if attempt == 2:
                    raise
                continue
            self._running = True
            return self
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        try:
            if self._running:
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")
                self._running = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    # -- databases

    def url(self, database: str = "postgres", *, password: str | None = None) -> str:
        """``postgresql://smm:<password>@127.0.0.1:<port>/<database>`` (the real password unless one is given)."""
        return f"postgresql://{USER}:{password or self.password}@127.0.0.1:{self.port}/{database}"

    def server_version(self) -> str:
        """The running server's version, e.g. ``15.14``."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]).split()[0] if row else "?"

    def create_database(self, prefix: str = "t") -> str:
        """A new, empty database; its URL."""
        import psycopg
        from psycopg import sql

        name = f"{prefix}{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop the database of ``url``, ending its sessions: the pooled connections a test's stores still hold
        would otherwise add up over a run towards ``max_connections``."""
        import psycopg
        from psycopg import sql

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def require_postgres() -> None:
    """Skip the test when no server can be started, or fail if ``SMM_REQUIRE_POSTGRES=1``."""
    reason = unavailable_reason()
    if reason is None:
        return
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{REQUIRE}=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole test session (fsync off: the tests kill clients, never the server)."""
    require_postgres()
    with PostgresServer(durable=False) as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh database on the session's server, for this test alone (dropped afterwards)."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)
