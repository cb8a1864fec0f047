"""Running for a team (``deploy/``): the compose recipe checked statically, the recipe without Docker run for real.

No Docker engine runs where the tests run, so ``deploy/compose.yaml`` is never started here: it is parsed and held
to what the assistant reads (every ``SMM_*`` variable it sets is a setting, the Chroma image is the chromadb
version installed, the image is built from this checkout, only the proxy is reachable, the trusted header exists
only with the sign-in profile). ``deploy/Caddyfile`` is also adapted by Caddy when it is installed.

``deploy/team-local.sh`` is run: on a throw-away PostgreSQL server (``tests/helpers/postgres.py``; skipped without
PostgreSQL unless ``SMM_REQUIRE_POSTGRES=1``) it starts a Chroma server and two app processes, which must answer
Streamlit's health check; a session started in this process is listed by another process with an app's settings;
Ctrl-C stops everything it started.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.errors import ConfigError
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
SCRIPT = DEPLOY / "team-local.sh"
APP_SERVICES = ("app1", "app2")
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose["services"]
    return result


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment, in either of compose's two spellings."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def interpolate(value: str, shell: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}`` as compose evaluates them."""

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group("name"), m.group("op"), m.group("arg") or ""
        have = shell.get(name)
        if op in (":?", "?") and not have:
            raise AssertionError(f"compose would stop: {arg}")
        if op == ":-" and not have:
            return arg
        return have or ""

    return INTERPOLATION.sub(one, value)


def env_file(path: Path) -> dict[str, str]:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


class Recorder(dict[str, str]):
    """An environment that remembers which variables were read."""

    def __init__(self) -> None:
        super().__init__()
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)


# ------------------------------------------------------------------------------------------ compose.yaml


def test_the_compose_file_has_every_service(compose: dict[str, Any]) -> None:
    assert set(services(compose)) == {"postgres", "chroma", "index", *APP_SERVICES, "proxy", "oauth2-proxy"}
    s = services(compose)
    assert s["postgres"]["image"].startswith("postgres:") and s["postgres"]["healthcheck"]["test"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in s["postgres"]["volumes"])
    assert any(v.endswith(":/data") for v in s["chroma"]["volumes"])
    assert s["proxy"]["image"].startswith("caddy:")
    for name in APP_SERVICES:
        deps = s[name]["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy"
        assert deps["index"]["condition"] == "service_completed_successfully", "the index is built once, before the apps"
        assert "/_stcore/health" in " ".join(s[name]["healthcheck"]["test"])
        assert any(v.endswith(":/data") for v in s[name]["volumes"]), "SMM_DATA_DIR on a volume"
    assert len({s[name]["volumes"][0].split(":")[0] for name in APP_SERVICES}) == len(APP_SERVICES), "one volume each"
    assert "smm index build" in " ".join(s["index"]["command"])


def test_every_smm_variable_the_compose_file_sets_is_a_setting(compose: dict[str, Any]) -> None:
    reader = Recorder()
    Settings.from_env(reader)
    assert "SMM_TRUSTED_USER_HEADER" in reader.read
    for name, service in services(compose).items():
        for key in environment(service):
            if key.startswith("SMM_"):
                assert key in reader.read, f"{name} sets {key}, which the assistant never reads"


@pytest.mark.parametrize("signin", [False, True])
def test_the_apps_settings_as_compose_makes_them(compose: dict[str, Any], signin: bool) -> None:
    shell = {"POSTGRES_PASSWORD": "0123abcd", **(env_file(DEPLOY / "signin.env") if signin else {})}
    s = services(compose)
    pg = environment(s["postgres"])
    for name in APP_SERVICES:
        env = {k: interpolate(v, shell) for k, v in environment(s[name]).items()}
        settings = Settings.from_env(env)
        assert settings.database_url is not None
        url = settings.database_url.get_secret_value()
        assert url == f"postgresql://{pg['POSTGRES_USER']}:0123abcd@postgres:5432/{pg['POSTGRES_DB']}"
        assert settings.chroma_url == "http://chroma:8000"
        assert str(settings.data_dir) == "/data"
        assert settings.trusted_user_header == ("X-Auth-Request-User" if signin else None)
    with pytest.raises(AssertionError, match="set POSTGRES_PASSWORD"):
        interpolate(environment(s["app1"])["SMM_DATABASE_URL"], {})


def test_the_chroma_image_is_the_installed_chromadb_version(compose: dict[str, Any]) -> None:
    image, _, tag = services(compose)["chroma"]["image"].partition(":")
    installed = importlib.metadata.version("chromadb")
    pinned = next(
        d for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"] if d.startswith("chromadb==")
    )
    assert image == "chromadb/chroma"
    assert tag == installed == pinned.split("==")[1]


def test_the_app_image_is_built_from_this_checkout(compose: dict[str, Any]) -> None:
    for name in (*APP_SERVICES, "index"):
        build = services(compose)[name]["build"]
        assert (COMPOSE.parent / build["context"]).resolve() == ROOT
        assert (ROOT / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    assert re.search(r"^RUN pip install -c constraints\.txt \. ", dockerfile, re.M), "installs the project's own files"
    assert re.search(r'^CMD \["smm", "ui", "--address", "0\.0\.0\.0", "--port", "8501"\]$', dockerfile, re.M)
    copied = set(re.findall(r"^COPY (\S+) \./\S+$", dockerfile, re.M))
    copied |= set(re.search(r"^COPY (.+) \./$", dockerfile, re.M).group(1).split())  # type: ignore[union-attr]
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    needed = {*wheel["packages"], *wheel["force-include"], "pyproject.toml", "README.md", "constraints.txt"}
    assert needed <= copied, f"the Dockerfile misses {needed - copied}"
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert "*" in ignore, "the context excludes everything not named"
    assert {f"!{path}" for path in needed} <= set(ignore), "the build context sends what the Dockerfile copies"


def test_only_the_proxy_is_reachable(compose: dict[str, Any]) -> None:
    published = {name for name, service in services(compose).items() if service.get("ports")}
    assert published == {"proxy"}, "a trusted header means nothing if the apps can be reached around the proxy"


def test_the_trusted_header_exists_only_with_the_sign_in_profile(compose: dict[str, Any]) -> None:
    s = services(compose)
    assert {name for name, service in s.items() if service.get("profiles")} == {"oauth2-proxy"}
    assert s["oauth2-proxy"]["profiles"] == ["signin"]
    assert environment(s["oauth2-proxy"])["OAUTH2_PROXY_SET_XAUTHREQUEST"] == "true"
    for name in (*APP_SERVICES, "proxy"):
        assert environment(s[name])["SMM_TRUSTED_USER_HEADER"] == "${SMM_TRUSTED_USER_HEADER:-}", name
    assert environment(s["proxy"])["PROXY_MODE"] == "${PROXY_MODE:-open}"
    signin = env_file(DEPLOY / "signin.env")
    assert signin["COMPOSE_PROFILES"] == "signin" and signin["PROXY_MODE"] == "signin"
    header = Settings.from_env({"SMM_TRUSTED_USER_HEADER": signin["SMM_TRUSTED_USER_HEADER"]}).trusted_user_header
    assert header is not None and header.startswith("X-Auth-Request-"), "a header oauth2-proxy's --set-xauthrequest sets"
    assert not [k for k in signin if "SECRET" in k], "no secret in the committed file"


def snippet(caddyfile: str, name: str) -> str:
    m = re.search(rf"^\({name}\) \{{\n(.*?)^\}}", caddyfile, re.M | re.S)
    assert m, name
    return m.group(1)


def test_the_caddyfile_drops_browser_identities_and_sticks_each_browser_to_one_app() -> None:
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    replicas = snippet(caddyfile, "replicas")
    assert "reverse_proxy app1:8501 app2:8501" in replicas and "lb_policy cookie" in replicas
    assert "health_uri /_stcore/health" in replicas
    opened = snippet(caddyfile, "open")
    for header in ("X-Auth-Request-User", "X-Forwarded-User", "Remote-User", "{$SMM_TRUSTED_USER_HEADER"):
        assert f"request_header -{header}" in opened
    signin = snippet(caddyfile, "signin")
    drop = signin.index("request_header -{$SMM_TRUSTED_USER_HEADER}")
    assert drop < signin.index("forward_auth oauth2-proxy:4180") < signin.index("import replicas")
    assert "route {" in signin[:drop], "route keeps the order: the header is dropped before forward_auth sets it"
    assert "copy_headers {$SMM_TRUSTED_USER_HEADER}" in signin and "uri /oauth2/auth" in signin
    assert "import {$PROXY_MODE:open}" in caddyfile


@pytest.mark.skipif(shutil.which("caddy") is None, reason="Caddy is not installed (apt-get install caddy)")
@pytest.mark.parametrize(
    ("mode", "header", "ok"),
    [
        ("open", "", True),
        ("open", "X-Custom-User", True),
        ("signin", "X-Auth-Request-User", True),
        ("signin", "", False),
        ("typo", "", False),
    ],
)
def test_caddy_reads_the_caddyfile(mode: str, header: str, ok: bool, tmp_path: Path) -> None:
    env = {**os.environ, "PROXY_MODE": mode, "SMM_TRUSTED_USER_HEADER": header, "HOME": str(tmp_path)}
    run = subprocess.run(
        ["caddy", "adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (run.returncode == 0) is ok, run.stderr[-2000:]
    if ok and header:
        # Dropped in either mode: set without the sign-in proxy, the header still never comes from the browser.
        assert f'"delete":["{header}"]' in run.stdout.replace(" ", "")


# ------------------------------------------------------------------------------------------ team-local.sh


def free_port(avoid: Collection[int] = ()) -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in avoid:
            return port


def two_free_ports() -> int:
    """A port whose next one is free too (the script gives its apps consecutive ports)."""
    for _ in range(50):
        port = free_port()
        if port < 65535:
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
            return port
    raise AssertionError("no two consecutive free ports")


def script_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMM_")}
    return {**env, **extra}


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], {}, "set SMM_DATABASE_URL to the PostgreSQL database the apps share"),
        ([], {"SMM_DATABASE_URL": "sqlite:////tmp/x.sqlite3"}, "SMM_DATABASE_URL must be a postgresql:// URL"),
        (["--apps", "0"], {"SMM_DATABASE_URL": "postgresql://u:p@h/d"}, "--apps must be a number from 1 to 99"),
        (["--port", "65535", "--apps", "2"], {"SMM_DATABASE_URL": "postgresql://u:p@h/d"}, "--port must leave room"),
        (["--chroma-port", "8502"], {"SMM_DATABASE_URL": "postgresql://u:p@h/d"}, "is one of the apps' ports"),
        (["--bogus"], {}, "unknown option --bogus"),
    ],
)
def test_the_script_refuses_bad_input_with_one_message(
    args: list[str], env: dict[str, str], message: str, tmp_path: Path
) -> None:
    run = subprocess.run(
        ["bash", str(SCRIPT), "--dir", str(tmp_path / "team"), *args],
        env=script_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2, run.stderr
    assert message in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "team" / "pids").exists()


def wait_healthy(urls: list[str], proc: subprocess.Popen[bytes], log: Path, timeout: float = 150.0) -> None:
    deadline = time.monotonic() + timeout
    pending = list(urls)
    while pending and time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"team-local.sh exited with {proc.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            with urllib.request.urlopen(f"{pending[0]}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    pending.pop(0)
                    continue
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    if pending:
        pytest.fail(f"{pending} did not answer in {timeout:.0f} s:\n{log.read_text(errors='replace')[-4000:]}")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.server
def test_the_recipe_without_docker_runs_two_apps_on_one_database_and_one_chroma(
    postgres_url: str, tmp_path: Path, catalog: Any, built_index: Any, services: Any
) -> None:
    from assistant.index import CatalogIndex
    from assistant.interview import Interview
    from assistant.store import SessionStore

    team = tmp_path / "team"
    port = two_free_ports()
    chroma_port = free_port({port, port + 1})
    log = tmp_path / "team-local.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["bash", str(SCRIPT), "--apps", "2", "--port", str(port), "--chroma-port", str(chroma_port), "--dir", str(team)],
            env=script_env(SMM_DATABASE_URL=postgres_url),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the finally block can stop whatever it started
            # A test run started in the background of a non-interactive shell (nohup ... &) inherits SIGINT ignored,
            # and bash cannot trap a signal ignored on entry: Ctrl-C from a terminal always arrives, so restore it.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    chroma_url = f"http://127.0.0.1:{chroma_port}"
    apps = [f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"]
    try:
        wait_healthy(apps, proc, log)
        recorded = [line.split() for line in (team / "pids").read_text().splitlines()]
        assert [(name, url) for _, name, url in recorded] == [("chroma", chroma_url), ("app1", apps[0]), ("app2", apps[1])]
        pids = [int(pid) for pid, _, _ in recorded]
        assert all(alive(pid) for pid in pids)
        assert postgres_url.split("@")[0] not in log.read_text(), "the database password is never printed"

        # One Chroma server holds the catalog's collection the apps search.
        server = Settings.from_env({"SMM_DATA_DIR": str(tmp_path / "probe"), "SMM_CHROMA_URL": chroma_url})
        status = CatalogIndex.open(catalog, server, built_index.embeddings).status()
        assert status.location == chroma_url and status.up_to_date

        # A session started here, through the Python API, on the same database...
        store = SessionStore.from_url(postgres_url)
        try:
            iv = Interview.start(catalog, built_index, services.engine, store, system_name="Packing line 7", ask_objectives=False)
            iv.say("We fill and cap bottles on two lines; a vendor maintains the PLCs.")
        finally:
            store.close()
        # ...is listed by another process with app 2's settings.
        listed = subprocess.run(
            [str(Path(sys.executable).with_name("smm")), "sessions"],
            env=script_env(
                SMM_DATABASE_URL=postgres_url, SMM_CHROMA_URL=chroma_url, SMM_DATA_DIR=str(team / "app2"), COLUMNS="200"
            ),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert listed.returncode == 0, listed.stderr
        assert "Packing line 7" in listed.stdout and iv.session_id[:8] in listed.stdout, listed.stdout

        # Ctrl-C stops everything it started and removes the PID file.
        proc.send_signal(signal.SIGINT)
        # The script gives its children 15 s, then kills them and gives up 5 s later.
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("team-local.sh did not stop within 60 s of Ctrl-C:\n" + log.read_text(errors="replace")[-3000:])
        assert code == 130, log.read_text(errors="replace")[-3000:]
        assert not (team / "pids").exists()
        assert not [pid for pid in pids if alive(pid)]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=20)


def test_a_bad_trusted_header_stops_the_recipe_with_its_message(tmp_path: Path) -> None:
    """The first thing the script runs reads the settings: a bad SMM_TRUSTED_USER_HEADER stops it in one line."""
    with pytest.raises(ConfigError):
        Settings.from_env({"SMM_TRUSTED_USER_HEADER": "X User"})
    run = subprocess.run(
        ["bash", str(SCRIPT), "--dir", str(tmp_path / "team")],
        env=script_env(SMM_DATABASE_URL="postgresql://u:p@127.0.0.1:1/d", SMM_TRUSTED_USER_HEADER="X User"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2, run.stdout + run.stderr
    assert "SMM_TRUSTED_USER_HEADER='X User' is not an HTTP header name" in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
