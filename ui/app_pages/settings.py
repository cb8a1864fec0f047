"""Settings page, read-only: which engine and model run, where data lives, whether interview text leaves the machine."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assistant import __version__
from ui.services import get_services, privacy_notices

sv = get_services()
s = sv.settings
notices = privacy_notices(s)

st.title("Settings")
st.caption("Read-only. They come from `SMM_*` environment variables when the app starts; see the README.")

if notices:
    for n in notices:
        st.warning(n, icon=":material/public:")
else:
    st.success(
        "Interview text stays on this machine: no part of the interview is sent to an online service.", icon=":material/lock:"
    )

rows = [
    ("Interview engine", sv.engine.name, "SMM_LLM (unset: guided, no model)"),
    ("Language model", sv.engine.model or "none (guided engine)", "SMM_LLM"),
    ("Model server", (s.llm_base_url or "provider default") if s.llm else "—", "SMM_LLM_BASE_URL"),
    ("Interview text leaves this machine", "yes" if notices else "no", ""),
    ("Data directory", str(s.data_dir), "SMM_DATA_DIR"),
    ("Session store", str(sv.store.path or sv.store.url), "SMM_DATABASE_URL (unset: SQLite in the data directory)"),
    ("Vector index", s.chroma_url or "embedded (in the data directory)", "SMM_CHROMA_URL"),
    (
        "Reviewer's name",
        f"from the sign-in proxy (header {s.trusted_user_header})" if s.trusted_user_header else "typed by each person",
        "SMM_TRUSTED_USER_HEADER",
    ),
    ("Embeddings", s.embeddings, "SMM_EMBEDDINGS"),
    ("Catalog", f"version {sv.catalog.version}" + (f" from {s.catalog_dir}" if s.catalog_dir else " (shipped)"), "SMM_CATALOG"),
    ("Assistant version", __version__, ""),
    ("Usage statistics", "on" if st.get_option("browser.gatherUsageStats") else "off (nothing is reported to Streamlit)", ""),
]
st.table(pd.DataFrame(rows, columns=["Setting", "Value", "Set by"]), hide_index=True)
