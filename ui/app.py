"""Entry point of the Streamlit app (``smm ui``): the frame around every page, and the page router.

The frame loads the current interview once per run, shows its progress, the privacy notice and (behind a
sign-in proxy) who is signed in in the sidebar on every page, then runs the page chosen in the navigation.
Pages live in ``app_pages/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run` puts this folder on sys.path, not its parent; the pages import `ui.*`, which must
# resolve both in a checkout and in an installed wheel (where this folder is assistant/_data/ui).
_PARENT = str(Path(__file__).resolve().parent.parent)
if _PARENT not in sys.path:
    sys.path.insert(0, _PARENT)

import streamlit as st  # noqa: E402

from assistant.errors import InputError  # noqa: E402
from ui import identity, session, views  # noqa: E402
from ui.services import get_services, privacy_notices  # noqa: E402

_PAGES = Path(__file__).resolve().parent / "app_pages"

st.set_page_config(page_title="IoT SMM Assessment Assistant", page_icon="🛡️", layout="wide")

try:
    services = get_services()
except InputError as exc:
    # A bad setting (unknown embeddings provider, missing optional package) is the user's to fix.
    st.error(f"The assistant cannot start: {exc}", icon=":material/error:")
    st.stop()

page = st.navigation(
    [
        st.Page(_PAGES / "interview.py", title="Interview", icon=":material/forum:", default=True),
        st.Page(_PAGES / "targets.py", title="Targets", icon=":material/flag:"),
        st.Page(_PAGES / "dashboard.py", title="Dashboard", icon=":material/dashboard:"),
        st.Page(_PAGES / "team.py", title="Team", icon=":material/groups:"),
        st.Page(_PAGES / "catalog.py", title="Catalog", icon=":material/menu_book:"),
        st.Page(_PAGES / "settings.py", title="Settings", icon=":material/settings:"),
    ]
)

iv = session.load()
with st.sidebar:
    st.markdown("### IoT SMM Assessment Assistant")
    identity.show_signed_in()
    if iv is not None:
        views.progress_panel(iv)
    else:
        st.caption("No assessment open. Start or resume one on the Interview page.")
    for notice in privacy_notices(services.settings):
        st.warning(notice, icon=":material/public:")

page.run()
