"""The ``smm`` command line. Each command group lives in ``assistant.commands``; errors a user can fix
print one clear message and exit with code 2, never a traceback."""

from __future__ import annotations

import sys

import click
import typer
from typer._click.exceptions import UsageError as TyperUsageError  # typer >= 0.26 vendors its own click

from assistant import __version__
from assistant.commands import catalog as catalog_cmds
from assistant.commands import evaluate as evaluate_cmds
from assistant.commands import evidence as evidence_cmds
from assistant.commands import index as index_cmds
from assistant.commands import interview as interview_cmds
from assistant.commands import report as report_cmds
from assistant.commands import team as team_cmds
from assistant.commands import ui as ui_cmds
from assistant.errors import InputError

app = typer.Typer(
    name="smm",
    help="Assess the security maturity of an IoT system against the IIC IoT Security Maturity Model (SMM), offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"smm {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """Assess the security maturity of an IoT system against the IIC IoT Security Maturity Model (SMM), offline."""


catalog_cmds.register(app)
index_cmds.register(app)
report_cmds.register(app)
interview_cmds.register(app)
evidence_cmds.register(app)
team_cmds.register(app)
evaluate_cmds.register(app)
ui_cmds.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``smm`` console script."""
    try:
        rc = app(args=argv, prog_name="smm", standalone_mode=False)
        # typer's own click turns Ctrl-C into a returned exit code rather than an exception.
        if isinstance(rc, int) and rc:
            if rc == 130:
                typer.echo("smm: interrupted", err=True)
            sys.exit(rc)
    except InputError as exc:
        typer.echo(f"smm: error: {exc}", err=True)
        sys.exit(2)
    except (click.exceptions.UsageError, TyperUsageError) as exc:
        exc.show()
        sys.exit(2)
    except (click.exceptions.Abort, typer.Abort):
        typer.echo("smm: aborted", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("smm: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)


if __name__ == "__main__":
    main()
