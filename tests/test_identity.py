"""The reviewer's identity: from a trusted sign-in proxy's header when ``SMM_TRUSTED_USER_HEADER`` is set, and never
from the browser otherwise (``ui/identity.py``).

The pure function :func:`ui.identity.identify` is tested directly. The app is driven with Streamlit's ``AppTest``,
which cannot send request headers: ``st.context.headers`` come from the browser session's client, and AppTest has
none (Streamlit's ``AppTest.context`` seeds only the other ``st.context`` fields). So these tests replace
:func:`ui.identity.request_headers`, the one function through which the app reads headers, with one returning the
headers a proxy (or a spoofing browser) would send. The test without any replacement shows what the real function
gives AppTest: no headers, as a request that bypassed the proxy has none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError
from streamlit.testing.v1 import AppTest

from assistant.errors import ConfigError
from assistant.interview import Interview
from assistant.settings import Settings
from tests.test_ui_apptest import (
    APP,
    DESCRIPTION,
    TIMEOUT,
    answer_until_card,
    button,
    current_interview,
    errors,
    no_exception,
    open_page,
    submit,
)
from ui import identity
from ui import services as ui_services
from ui.identity import Identity, IdentityError, identify

HEADER = "X-Auth-Request-User"
# Names a browser could send to pass itself off as someone; none may count unless it is the configured header.
SPOOFED = {
    "X-Forwarded-User": "mallory",
    "X-Auth-Request-User": "mallory",
    "X-Auth-Request-Email": "mallory@example.org",
    "Remote-User": "mallory",
    "X-Remote-User": "mallory",
    "X-Forwarded-Email": "mallory@example.org",
}
MISSING = (
    f"This app takes your name from the sign-in proxy (header {HEADER}), and this request has none: "
    "open the app through the proxy"
)


def settings_with(header: str | None) -> Settings:
    return Settings.from_env({"SMM_DATA_DIR": "/nonexistent", **({"SMM_TRUSTED_USER_HEADER": header} if header else {})})


# ------------------------------------------------------------------------------------------ settings


def test_the_setting_is_read_and_stripped() -> None:
    assert settings_with(None).trusted_user_header is None
    assert Settings.from_env({"SMM_TRUSTED_USER_HEADER": "  "}).trusted_user_header is None
    assert Settings.from_env({"SMM_TRUSTED_USER_HEADER": " X-Forwarded-User "}).trusted_user_header == "X-Forwarded-User"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("X Auth User", "is not an HTTP header name"),
        ("X-Auth-Request-User:", "is not an HTTP header name"),
        ("X-User\r\nX-Admin", "is not an HTTP header name"),
        ("Prénom", "is not an HTTP header name"),
        ("Cookie", "the browser itself sends"),
        ("user-agent", "the browser itself sends"),
        ("Sec-Fetch-User", "the browser itself sends"),
    ],
)
def test_a_bad_header_name_is_one_message_naming_the_variable(value: str, problem: str) -> None:
    with pytest.raises(ConfigError) as exc:
        Settings.from_env({"SMM_TRUSTED_USER_HEADER": value})
    message = str(exc.value)
    assert message.startswith("SMM_TRUSTED_USER_HEADER=") and problem in message
    assert "X-Auth-Request-User (oauth2-proxy)" in message and "unset it" in message
    with pytest.raises(ValidationError):
        Settings(
            data_dir="/x", embeddings="minilm", chroma_url=None, llm=None, llm_base_url=None, catalog_dir=None,
            trusted_user_header=value,
        )  # fmt: skip


def test_a_bad_setting_stops_the_app_with_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMM_TRUSTED_USER_HEADER", "X Auth User")
    ui_services.use_services(None)  # the app builds its services from the environment, as `smm ui` does
    ui_services._build.clear()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    no_exception(at)
    assert any(e.startswith("The assistant cannot start: SMM_TRUSTED_USER_HEADER='X Auth User' is not") for e in errors(at))


# ------------------------------------------------------------------------------------------ identify()


def test_configured_and_present_the_header_is_the_identity() -> None:
    who = identify(settings_with(HEADER), {HEADER: " ana@example.org ", "X-Forwarded-User": "mallory"}, typed="Dana")
    assert who == Identity(name="ana@example.org", source="proxy", locked=True)
    assert who.signed_in_text() == "Signed in as **ana@example.org** (from your organisation's sign-in)"
    assert Identity(name="*ana*", source="proxy", locked=True).signed_in_text().startswith("Signed in as **\\*ana\\***")


@pytest.mark.parametrize("sent", ["x-auth-request-user", "X-AUTH-REQUEST-USER", "X-Auth-Request-User"])
@pytest.mark.parametrize("configured", ["x-auth-request-user", "X-Auth-Request-User"])
def test_the_header_is_looked_up_whatever_its_case(sent: str, configured: str) -> None:
    assert identify(settings_with(configured), {sent: "ana"}, typed=None).name == "ana"
    # Streamlit gives every value of a repeated header; the same name twice is one name.
    assert identify(settings_with(configured), {sent: ["ana", "ana"]}, typed=None).name == "ana"


@pytest.mark.parametrize("headers", [{}, {"X-Forwarded-User": "ana"}, {"X-Auth-Request-Email": "ana@example.org"}])
def test_configured_and_missing_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(IdentityError) as exc:
        identify(settings_with(HEADER), headers, typed="Dana")
    assert str(exc.value) == MISSING


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("a" * 201, "is longer than 200 characters"),
        ("ana\nAdmin: yes", "line breaks or other control characters"),
        ("ana\x00", "line breaks or other control characters"),
        (["ana", "mallory"], "names two different people"),
    ],
)
def test_configured_and_invalid_is_refused_without_repeating_the_value(value: str | list[str], problem: str) -> None:
    with pytest.raises(IdentityError) as exc:
        identify(settings_with(HEADER), {HEADER: value}, typed=None)
    message = str(exc.value)
    assert message.startswith(f"This app takes your name from the sign-in proxy (header {HEADER}), and ")
    assert problem in message
    assert "mallory" not in message and "Admin" not in message and "a" * 50 not in message


def test_a_name_of_200_characters_and_accents_is_kept() -> None:
    assert identify(settings_with(HEADER), {HEADER: "a" * 200}, typed=None).name == "a" * 200
    assert identify(settings_with(HEADER), {HEADER: "Zoë Núñez"}, typed=None).name == "Zoë Núñez"
    # A server decodes header bytes as Latin-1: the UTF-8 bytes of "Zoë" arrive as "ZoÃ«" and are read back.
    assert identify(settings_with(HEADER), {HEADER: "Zoë".encode().decode("latin-1")}, typed=None).name == "Zoë"


def test_not_configured_every_identity_header_is_ignored() -> None:
    s = settings_with(None)
    assert identify(s, SPOOFED, typed=" Dana ") == Identity(name="Dana", source="typed", locked=False)
    assert identify(s, SPOOFED, typed=None).name == "assessor"
    assert identify(s, SPOOFED, typed="   ").name == "assessor"
    with pytest.raises(IdentityError, match=r"^Your name is longer than 200 characters: type a name"):
        identify(s, {}, typed="d" * 201)


# ------------------------------------------------------------------------------------------ the app


class Browser:
    """The headers the next request sends, and how often the app read them."""

    def __init__(self) -> None:
        self.headers: dict[str, str | list[str]] = {}
        self.reads = 0

    def __call__(self) -> dict[str, str | list[str]]:
        self.reads += 1
        return dict(self.headers)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Browser:
    """Replace the app's only reader of request headers (AppTest cannot send any)."""
    fake = Browser()
    monkeypatch.setattr(identity, "request_headers", fake)
    return fake


@pytest.fixture
def proxied(services: Any) -> Iterator[Any]:
    """The test's services with ``SMM_TRUSTED_USER_HEADER=X-Auth-Request-User``."""
    behind = dataclasses.replace(services, settings=services.settings.model_copy(update={"trusted_user_header": HEADER}))
    ui_services.use_services(behind)
    try:
        yield behind
    finally:
        ui_services.use_services(None)


@pytest.fixture
def open_app(services: Any) -> Iterator[Any]:
    """The test's services without the setting (each person types a name)."""
    ui_services.use_services(services)
    try:
        yield services
    finally:
        ui_services.use_services(None)


def new_app() -> AppTest:
    """A browser session of its own."""
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def start(at: AppTest, practices: list[str], *, typed: str | None = None) -> None:
    """Start an assessment (typing a name when the form asks for one), describe the system, confirm the industry."""
    open_page(at, "interview")
    at.text_input(key="new-name").set_value("Bottling line 3")
    if typed is not None:
        at.text_input(key="new-reviewer").set_value(typed)
    at.checkbox(key="new-objectives").set_value(False)
    at.multiselect(key="new-practices").set_value(practices)
    submit(at, "Start the assessment").click().run()
    no_exception(at)
    assert not errors(at), errors(at)
    at.text_area(key="iv-description").set_value(DESCRIPTION)
    submit(at, "Send the description").click().run()
    button(at, "Yes, that's right").click().run()
    no_exception(at)


def texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown] + [c.value for c in at.sidebar.caption]


def test_behind_the_proxy_the_name_comes_from_the_header_and_decisions_record_it(proxied: Any, browser: Browser) -> None:
    browser.headers = {HEADER: ["ana@example.org"], "X-Forwarded-User": ["mallory"]}
    ana = new_app()
    open_page(ana, "interview")
    no_exception(ana)
    assert not [t for t in ana.text_input if t.key == "new-reviewer"], "nobody can type another name"
    signed_in = "Signed in as **ana@example.org** (from your organisation's sign-in)"
    assert any(t.startswith(signed_in) for t in texts(ana)), texts(ana)
    assert signed_in in [c.value for c in ana.sidebar.caption], "every page says who is signed in"

    start(ana, ["G1.1", "H1.2"])
    iv = current_interview(proxied, ana)
    assert iv.state.reviewer == "ana@example.org"
    assert [e.actor for e in iv.assessment().events if e.kind == "interview.started"] == ["ana@example.org"]
    answer_until_card(ana, proxied, "G1.1")
    button(ana, "Accept").click().run()
    no_exception(ana)
    assert current_interview(proxied, ana).assessment().current["G1.1"].provenance.reviewer == "ana@example.org"

    # Ben opens the same assessment in his own browser session: his decisions carry his name, not Ana's, also
    # when he types the decision in the chat and when he sets a target.
    browser.headers = {"x-auth-request-user": ["ben"]}
    ben = new_app()
    ben.session_state["smm_session_id"] = iv.session_id
    open_page(ben, "interview")
    answer_until_card(ben, proxied, "H1.2")
    ben.chat_input[0].set_value("modify 1 because only the main line is patched").run()
    no_exception(ben)
    assert not errors(ben), errors(ben)
    a = current_interview(proxied, ben).assessment()
    assert (a.current["H1.2"].value.level, a.current["H1.2"].provenance.reviewer) == (1, "ben")
    assert a.current["G1.1"].provenance.reviewer == "ana@example.org"
    ben.switch_page("app_pages/targets.py").run()
    ben.selectbox(key="tg-target").set_value("H1.2")
    ben.select_slider(key="tg-level").set_value(3)
    submit(ben, "Save the target").click().run()
    no_exception(ben)
    assert current_interview(proxied, ben).assessment().targets.practices["H1.2"].set_by == "ben"
    assert any("Signed in as **ben**" in c.value for c in ben.sidebar.caption)


def test_behind_the_proxy_a_request_without_the_header_records_nothing(proxied: Any) -> None:
    """No replacement here: the real ``request_headers`` gives AppTest no headers, like a request around the proxy."""
    at = new_app()
    open_page(at, "interview")
    no_exception(at)
    assert MISSING in errors(at), "the start form says why"
    assert MISSING in [e.value for e in at.sidebar.error], "every page says why"
    at.text_input(key="new-name").set_value("Bottling line 3")
    submit(at, "Start the assessment").click().run()
    no_exception(at)
    assert MISSING in errors(at)
    assert proxied.store.sessions() == [], "no assessment was started"

    # An assessment started elsewhere, awaiting review: every recorded action on it is refused.
    iv = Interview.start(
        proxied.catalog, proxied.index, proxied.engine, proxied.store, system_name="Line 4", practices=["G1.1"],
        ask_objectives=False, reviewer="ana",
    )  # fmt: skip
    iv.say(DESCRIPTION)
    iv.say("yes")
    for answer in ["Nobody looks after it.", "No.", "Not that I know of."]:
        if iv.pending is not None and iv.pending.kind == "review":
            break
        iv.say(answer)
    assert iv.pending is not None and iv.pending.kind == "review"
    at.session_state["smm_session_id"] = iv.session_id
    before = len(current_interview(proxied, at).transcript)

    open_page(at, "interview")
    refused: list[str] = []

    def check(step: str) -> None:
        no_exception(at)
        shown = [e.value for e in at.main.error]  # the refusal itself, not the sidebar's standing notice
        assert MISSING in shown, (step, shown)
        refused.append(step)

    button(at, "Accept").click().run()
    check("accept")
    at.chat_input[0].set_value("accept").run()
    check("chat")
    at.file_uploader[0].set_value(
        [("policy.md", b"# Patch procedure\n\nThe vendor patches every PLC monthly.\n", "text/markdown")]
    ).run()
    button(at, "Add").click().run()
    check("document")
    at.switch_page("app_pages/targets.py").run()
    submit(at, "Save the target").click().run()
    check("target")
    button(at, "Use as the template").click().run()
    check("profile")
    after = current_interview(proxied, at)
    assert len(after.transcript) == before and after.state.documents == [] and not after.assessment().targets.practices
    assert after.pending is not None and after.pending.kind == "review", "the proposal still awaits review"
    assert refused == ["accept", "chat", "document", "target", "profile"]


def test_without_the_setting_a_spoofed_header_is_ignored(open_app: Any, browser: Browser) -> None:
    browser.headers = {k: [v] for k, v in SPOOFED.items()}
    at = new_app()
    open_page(at, "interview")
    assert at.text_input(key="new-reviewer").value == "assessor", "each person types a name"
    start(at, ["G1.1"], typed="Dana")
    answer_until_card(at, open_app, "G1.1")
    button(at, "Accept").click().run()
    no_exception(at)
    a = current_interview(open_app, at).assessment()
    assert a.current["G1.1"].provenance.reviewer == "Dana"
    assert "mallory" not in a.model_dump_json()
    assert not [t for t in texts(at) if "Signed in as" in t]
    assert browser.reads == 0, "without the setting the app never reads the request's headers"
    at.switch_page("app_pages/settings.py").run()
    values = dict(zip(at.table[0].value["Setting"], at.table[0].value["Value"], strict=True))
    assert values["Reviewer's name"] == "typed by each person"


def test_the_settings_page_names_the_header(proxied: Any, browser: Browser) -> None:
    browser.headers = {HEADER: "ana"}
    at = open_page(new_app(), "settings")
    values = dict(zip(at.table[0].value["Setting"], at.table[0].value["Value"], strict=True))
    assert values["Reviewer's name"] == f"from the sign-in proxy (header {HEADER})"
