"""``smm ui``: start the Streamlit app on this machine.

A ``.streamlit/config.toml`` is read only from the current directory, so the settings that matter
(no usage statistics, headless, loopback address) are passed on the command line and in the
environment; the app then behaves the same from any directory and from an installed wheel.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from assistant.commands._common import console, settings
from assistant.errors import InputError
from assistant.resources import data_path


def app_path() -> Path:
    """The app's entry script (``ui/app.py`` in a checkout, ``assistant/_data/ui/app.py`` in a wheel)."""
    return data_path("ui") / "app.py"


def streamlit_command(port: int, address: str) -> list[str]:
    """The ``python -m streamlit run ...`` command line that serves the app."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_path()),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--global.developmentMode",
        "false",
        # No "Deploy" button or developer menu: the people using this app are assessors, not app developers.
        "--client.toolbarMode",
        "minimal",
    ]


def ui(
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="Port to listen on.")] = 8501,
    address: Annotated[
        str, typer.Option("--address", help="Address to listen on; the default keeps the app on this machine.")
    ] = "127.0.0.1",
    prepare: Annotated[
        bool, typer.Option("--prepare/--no-prepare", help="Build the search index before starting (first start only).")
    ] = True,
) -> None:
    """Start the web app (interview, targets, dashboard, catalog) and print its address."""
    script = app_path()
    if not script.is_file():
        raise InputError(f"the app is missing at {script}; reinstall iot-smm-assistant")
    if prepare:
        # Building the index here (once per catalog version) makes the first page load quick.
        from assistant.services import build_services

        with console.status("Preparing the catalog and its search index…"):
            build_services(settings())
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    cmd = streamlit_command(port, address)
    console.print(f"IoT SMM Assessment Assistant: open http://{address}:{port} in your browser (Ctrl+C to stop).")
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        # Replace this process, so Ctrl+C and a kill by process ID reach the server directly.
        os.execve(sys.executable, cmd, env)  # noqa: S606 - a fixed argument list, no shell involved
    try:
        code = subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        code = 130
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add the ``ui`` command to the root app."""
    app.command("ui")(ui)
