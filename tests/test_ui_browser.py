"""The app in a real browser: ``smm ui`` on 127.0.0.1, driven by Playwright with Debian's Chromium.

Starts an assessment, describes the system, answers questions, accepts a proposal and opens the
dashboard, asserting on what the page shows; screenshots go to ``artifacts/ui/``. Without Chromium or
Playwright the browser test is skipped, unless ``SMM_REQUIRE_BROWSER=1`` (set by ``.ci/run``) makes that
a failure. A second server, with ``SMM_TRUSTED_USER_HEADER`` set, is opened by a browser that sends the
header as a sign-in proxy would (Playwright's ``extra_http_headers``, sent with every request, the
websocket's included) and by one that does not.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant.cli import app as cli_app
from assistant.commands.ui import app_path, streamlit_command

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "ui"
CHROMIUM = Path("/usr/bin/chromium")
# No GPU, sandbox or background traffic in a container; no QUIC or first-run pages either.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
DESCRIPTION = (
    "We run a bottling plant with PLCs on three production lines. A vendor maintains the PLCs. "
    "We apply the vendor patches once a year during the summer shutdown."
)
POLICY = (
    b"# Patch procedure\n\n"
    b"The vendor installs the security patches on every PLC each month.\n"
    b"Every patch is tested on a spare PLC before it is rolled out to the lines.\n"
)
ANSWERS = ["Our plant manager looks after it, on the side.", "No, nothing is written down.", "Not that I know of.", "No."]


def missing(reason: str) -> None:
    """Skip on a developer's machine; fail where the browser is required (CI)."""
    if os.environ.get("SMM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"SMM_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port nobody listens on right now, on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 180.0) -> None:
    """Wait until Streamlit answers its health check; fail with the server log if it dies or never answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"`smm ui` exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    pytest.fail(f"`smm ui` did not answer in {timeout:.0f} s:\n{log.read_text(errors='replace')}")


@contextmanager
def smm_ui(tmp_path: Path, built_index: Any, log_name: str, **settings: str) -> Iterator[tuple[str, Path]]:
    """`smm ui` on a free loopback port with its own data directory and extra ``SMM_*`` settings; its URL and data
    directory. Stopped (by its process ID) at the end."""
    data = tmp_path / "smm-data"
    # Reuse the session's index so the server starts in seconds rather than embedding the catalog again.
    shutil.copytree(built_index.location, data / "chroma")
    env = {**os.environ, "SMM_DATA_DIR": str(data), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", **settings}
    port = free_port()
    smm = Path(sys.executable).with_name("smm")
    cmd = [str(smm)] if smm.exists() else [sys.executable, "-m", "assistant.cli"]
    log = tmp_path / "smm-ui.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([*cmd, "ui", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log)
        yield url, data
    finally:
        # `smm ui` replaced itself with the Streamlit server, so this process ID is the server's.
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, ARTIFACTS / log_name)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, built_index: Any) -> Iterator[str]:
    """`smm ui` shared by this module's browser tests (each starts its own assessment in its own browser session)."""
    with smm_ui(tmp_path_factory.mktemp("ui-server"), built_index, "server.log") as (url, _):
        yield url


def test_smm_ui_starts_streamlit_headless_on_loopback_without_usage_statistics() -> None:
    cmd = streamlit_command(8599, "127.0.0.1")
    assert cmd[:4] == [sys.executable, "-m", "streamlit", "run"]
    assert Path(cmd[4]) == app_path() and app_path().is_file()
    flags = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    assert flags["--server.headless"] == "true"
    assert flags["--browser.gatherUsageStats"] == "false"
    assert flags["--server.address"] == "127.0.0.1"
    assert flags["--server.port"] == "8599"
    assert flags["--global.developmentMode"] == "false"
    result = CliRunner().invoke(cli_app, ["ui", "--help"])
    assert result.exit_code == 0 and "--port" in result.output


def test_the_checkout_config_turns_usage_statistics_off() -> None:
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False


def settle(page: Any) -> None:
    """Wait until the script run triggered by the last action has finished."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => document.querySelector('.stApp')?.getAttribute('data-test-script-state') === 'notRunning'", timeout=60_000
    )


def shot(page: Any, name: str) -> None:
    """A full-page screenshot in ``artifacts/ui/``."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@contextmanager
def browser_page(server: str, headers: dict[str, str] | None = None) -> Iterator[Any]:
    """A Chromium page on the app, sending ``headers`` with every request; fails afterwards if the page loaded
    anything from outside this machine."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the Python package playwright is not installed (pip install playwright; no browser download needed)")
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2000}, extra_http_headers=headers or {})
            page.on("request", lambda r: None if r.url.startswith((server, "data:", "blob:")) else outside.append(r.url))
            page.goto(server)
            yield page
        finally:
            browser.close()
    assert not outside, f"the page loaded resources from outside this machine: {outside}"


def begin(page: Any, name: str, description: str, *, objectives: bool, first_shot: str | None = None) -> None:
    """Start an assessment with or without the objectives and send the description (screenshot of the start page)."""
    from playwright.sync_api import expect

    expect(page.get_by_label("Name of the system")).to_be_visible(timeout=60_000)
    settle(page)
    if first_shot:
        shot(page, first_shot)
    page.get_by_label("Name of the system").fill(name)
    if not objectives:
        page.get_by_text("Ask about business objectives").click()
    page.get_by_role("button", name="Start the assessment").click()
    box = page.get_by_label("Describe the system in your own words")
    expect(box).to_be_visible(timeout=30_000)
    box.fill(description)
    page.get_by_role("button", name="Send the description").click()
    expect(page.get_by_role("button", name="Yes, that's right")).to_be_visible(timeout=30_000)
    settle(page)


def start_assessment(page: Any) -> None:
    """Start an assessment of the whole model (business objectives skipped), describe the system, confirm the industry."""
    from playwright.sync_api import expect

    begin(page, "Bottling line 3", DESCRIPTION, objectives=False, first_shot="01-start")
    page.get_by_role("button", name="Yes, that's right").click()
    expect(page.locator("#stMain").get_by_text("G1.1 Security Program Management").first).to_be_visible(timeout=30_000)
    settle(page)


@pytest.mark.slow
@pytest.mark.server
def test_interview_to_dashboard_in_a_real_browser(server: str) -> None:
    with browser_page(server) as page:
        from playwright.sync_api import expect

        start_assessment(page)
        main = page.locator("#stMain")
        # Answer until the first practice has a proposal card with its buttons.
        chat = page.get_by_test_id("stChatInputTextArea")
        accept = page.get_by_role("button", name="Accept", exact=True)
        for answer in ANSWERS:
            if accept.count():
                break
            chat.fill(answer)
            chat.press("Enter")
            expect(main.get_by_text(answer).last).to_be_visible(timeout=30_000)
            settle(page)
        expect(accept).to_be_visible(timeout=30_000)
        card = page.locator("[class*='st-key-card-']").last
        expect(card).to_contain_text("G1.1 Security Program Management")
        expect(card).to_contain_text("What the catalog says")
        expect(card).to_contain_text("Your words")
        heading = re.search(r"Proposal: level (\d) – (\S+)", card.inner_text())
        assert heading, card.inner_text()
        level = int(heading.group(1))
        shot(page, "02-proposal")

        accept.click()
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar).to_contain_text("Confirmed 1 of 18 practices", timeout=30_000)
        expect(main.get_by_text("Accepted: G1.1.")).to_be_visible()
        settle(page)
        shot(page, "03-accepted")

        # The dashboard shows the accepted rating for the practice.
        page.get_by_role("link", name="Dashboard").click()
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible(timeout=30_000)
        governance = page.locator(".st-key-db-practices-G")
        expect(governance).to_be_attached(timeout=60_000)
        settle(page)
        cells = governance.locator("td").all_text_contents()
        row = cells[cells.index("G1.1") : cells.index("G1.1") + 8]
        assert row[1] == "Security Program Management" and row[4] == f"{level} (general)" and row[5] == "confirmed", row
        expect(page.get_by_test_id("stMetric").first).to_contain_text("Lowest current level")
        expect(page.get_by_test_id("stMetric").first).to_contain_text(str(level))
        expect(page.get_by_role("button", name="Excel workbook")).to_be_visible()
        expect(sidebar).to_contain_text("Confirmed 1 of 18 practices")
        shot(page, "04-dashboard")

        page.get_by_role("link", name="Catalog").click()
        page.get_by_label("Ask what a level of a practice requires").fill("What does level 3 of patch management require?")
        page.keyboard.press("Enter")
        expect(main.get_by_text("H1.2-L3-01").first).to_be_visible(timeout=30_000)
        settle(page)
        shot(page, "05-catalog")


@pytest.mark.slow
@pytest.mark.server
def test_a_document_is_added_and_removed_in_a_real_browser(server: str) -> None:
    with browser_page(server) as page:
        from playwright.sync_api import expect

        start_assessment(page)
        main = page.locator("#stMain")
        docs = page.locator(".st-key-iv-documents")
        docs.get_by_text("Documents", exact=True).click()
        expect(docs).to_contain_text("read on this machine", timeout=30_000)
        files = docs.locator("input[type=file]")

        # A PNG renamed .pdf: refused with a message naming the file; nothing is added.
        files.set_input_files(
            files=[{"name": "logo.pdf", "mimeType": "application/pdf", "buffer": b"\x89PNG\r\n\x1a\n" + bytes(64)}]
        )
        expect(docs.get_by_text("logo.pdf")).to_be_visible(timeout=30_000)  # the uploader lists the chosen file
        settle(page)
        docs.get_by_role("button", name="Add", exact=True).click()
        expect(main.get_by_text("logo.pdf: this is not a PDF")).to_be_visible(timeout=30_000)
        settle(page)
        expect(docs).to_contain_text("No documents yet.")

        # A Markdown patch procedure: read, and what it told the assistant is in the conversation and the list.
        files.set_input_files(files=[{"name": "patch-policy.md", "mimeType": "text/markdown", "buffer": POLICY}])
        expect(docs.get_by_text("patch-policy.md")).to_be_visible(timeout=30_000)
        settle(page)
        docs.get_by_role("button", name="Add", exact=True).click()
        expect(main.get_by_text("I read patch-policy.md")).to_be_visible(timeout=60_000)
        settle(page)
        expect(main.get_by_text("Added patch-policy.md. It speaks about")).to_be_visible()
        entry = page.locator("[class*='st-key-doc-']").first
        expect(entry).to_contain_text("Evidence for")
        expect(entry).to_contain_text("H1.2 Patch Management")
        shot(page, "06-document")

        entry.get_by_role("button", name="Remove").click()
        expect(main.get_by_text("Removed patch-policy.md: everything read from it is forgotten.")).to_be_visible(timeout=30_000)
        settle(page)
        expect(main.get_by_text("I removed patch-policy.md")).to_be_visible()
        expect(docs).to_contain_text("No documents yet.")
        shot(page, "07-document-removed")


CHARGER = (
    "I'm Sabine, COO of Voltnest. We're twelve people and we make home wall chargers for electric cars, sold in "
    "the EU through electricians. Owners control the charger from a phone app over Bluetooth. What keeps us up at "
    "night is a charger catching fire in someone's garage."
)
HOSPITAL = (
    "We are a 400-bed hospital. Building management, nurse call and the infusion pumps are all on one network, "
    "and the vendor runs it for us. We buy the pumps from a manufacturer; our biomedical team looks after them."
)
CHARGER_OBJECTIVES = {
    "worst": "a charger catching fire in someone's garage, and our reputation",
    "appetite": "medium I guess, we're a startup and need to move fast but we can't have chargers burning houses",
    "rules": "the EU radio equipment rules",
}


def say(page: Any, text: str) -> None:
    """Type an answer in the chat box and wait until the app has replied."""
    from playwright.sync_api import expect

    chat = page.get_by_test_id("stChatInputTextArea")
    chat.fill(text)
    chat.press("Enter")
    expect(page.locator("#stMain").get_by_text(text).last).to_be_visible(timeout=30_000)
    settle(page)


@pytest.mark.slow
@pytest.mark.server
def test_walk_through_the_charger_startup_persona(server: str) -> None:
    """Issue 14's first persona, as she would use the app: objectives read right, targets, a first proposal."""
    with browser_page(server) as page:
        from playwright.sync_api import expect

        main = page.locator("#stMain")
        begin(page, "Voltnest wall charger", CHARGER, objectives=True)
        expect(main).to_contain_text("you make devices or software for others")
        expect(main).not_to_contain_text("automotive-ota-gateway' (")  # no automotive profile suggested
        shot(page, "persona-charger-01-industry")
        say(page, "consumer, no profile")
        for key in ("worst", "appetite", "rules"):
            if not page.get_by_role("button", name="Accept these targets").count():
                say(page, CHARGER_OBJECTIVES[key])
        expect(main).to_contain_text("I understood: medium risk appetite", timeout=30_000)
        expect(main).to_contain_text("people getting hurt")
        expect(main).to_contain_text("EU radio equipment rules")
        shot(page, "persona-charger-02-understood")
        page.get_by_role("button", name="Accept these targets").click()
        expect(main.get_by_text("G1.1 Security Program Management").first).to_be_visible(timeout=30_000)
        settle(page)
        accept = page.get_by_role("button", name="Accept", exact=True)
        for answer in (
            "Our CTO looks after security on top of running the hardware team.",
            "It happens when a distributor sends a questionnaire or someone reports a problem.",
            "Not that I know of.",
        ):
            if accept.count():
                break
            say(page, answer)
        expect(accept).to_be_visible(timeout=30_000)
        card = page.locator("[class*='st-key-card-']").last
        expect(card).to_contain_text("Your words")
        heading = re.search(r"Proposal: level (\d)", card.inner_text())
        assert heading and int(heading.group(1)) <= 2, card.inner_text()
        assert "smm " not in main.inner_text(), "web users are never told to run commands"
        shot(page, "persona-charger-03-proposal")


@pytest.mark.slow
@pytest.mark.server
def test_walk_through_the_hospital_persona(server: str) -> None:
    """Issue 14's second persona: an operator is recognised and never asked about 'your product'."""
    with browser_page(server) as page:
        from playwright.sync_api import expect

        main = page.locator("#stMain")
        begin(page, "Ward network", HOSPITAL, objectives=False)
        expect(main).to_contain_text("you run devices that others make")
        shot(page, "persona-hospital-01-industry")
        page.get_by_role("button", name="Yes, that's right").click()
        expect(main).to_contain_text("devices and systems you run", timeout=30_000)
        expect(main.get_by_text("G1.1 Security Program Management").first).to_be_visible(timeout=30_000)
        settle(page)
        asked: list[str] = []
        for answer in ("Not that I know of.", "No.", "I don't know."):
            if page.get_by_role("button", name="Accept", exact=True).count():
                break
            asked.append(main.inner_text())
            say(page, answer)
        text = " ".join(asked).lower()
        assert "your product" not in text and "customer" not in text, text[-2000:]
        shot(page, "persona-hospital-02-first-practice")


SIGN_IN_HEADER = "X-Auth-Request-User"


@pytest.mark.slow
@pytest.mark.server
def test_behind_a_sign_in_proxy_the_name_comes_from_its_header(tmp_path: Path, built_index: Any) -> None:
    """With SMM_TRUSTED_USER_HEADER set: a browser sending the header (as the proxy would) is signed in under that
    name, which its decision records; a browser without it (around the proxy) can start nothing."""
    import json

    from assistant.store import SessionStore

    with smm_ui(tmp_path, built_index, "server-signin.log", SMM_TRUSTED_USER_HEADER=SIGN_IN_HEADER) as (url, data):
        store = SessionStore.in_data_dir(data)
        with browser_page(url, headers={SIGN_IN_HEADER: "ana@example.org"}) as page:
            from playwright.sync_api import expect

            sidebar = page.get_by_test_id("stSidebar")
            expect(sidebar).to_contain_text("Signed in as ana@example.org (from your organisation's sign-in)", timeout=60_000)
            expect(page.get_by_label("Your name (recorded with each decision)")).to_have_count(0)
            start_assessment(page)
            accept = page.get_by_role("button", name="Accept", exact=True)
            for answer in ANSWERS:
                if accept.count():
                    break
                say(page, answer)
            expect(accept).to_be_visible(timeout=30_000)
            accept.click()
            expect(page.locator("#stMain").get_by_text("Accepted: G1.1.")).to_be_visible(timeout=30_000)
            settle(page)
            shot(page, "signin-01-accepted")
        [session] = store.sessions()
        state, _, turns = store.load(session.id)
        decisions = [json.loads(t.text) for _, t in turns if t.role == "reviewer" and t.kind == "review"]
        assert [(d["decision"], d["practice"], d["reviewer"]) for d in decisions] == [("accept", "G1.1", "ana@example.org")]
        assert state["reviewer"] == "ana@example.org"

        with browser_page(url) as page:
            from playwright.sync_api import expect

            refusal = f"This app takes your name from the sign-in proxy (header {SIGN_IN_HEADER}), and this request has none"
            expect(page.get_by_test_id("stSidebar")).to_contain_text(refusal, timeout=60_000)
            settle(page)
            page.get_by_label("Name of the system").fill("Around the proxy")
            page.get_by_role("button", name="Start the assessment").click()
            expect(page.locator("#stMain").get_by_text(refusal)).to_have_count(2, timeout=30_000)
            settle(page)
            shot(page, "signin-02-no-header")
        assert [s.id for s in store.sessions()] == [session.id], "nothing was started without the header"
        store.close()
