"""Errors the user can act on. The CLI prints their message on one line (or a short list) and exits 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad input from a user: a file, a field, an argument or an answer. The message says what to do."""


class ConfigError(InputError):
    """Bad configuration: an environment variable or a missing optional package."""
