"""Prompt templates as files: load, check declared variables, render, hash.

Each LLM step has one Markdown file in ``prompts/`` (shipped in the wheel as ``assistant/_data/prompts``).
A file starts with YAML front matter that names the step and declares its variables::

    ---
    name: interpret
    description: Read a stakeholder's answer against one practice.
    variables: [practice_id, practice_name, catalog_text, answer]
    ---
    ...template text with {practice_id} and {answer} placeholders...

At load time the placeholders in the body must equal the declared set exactly, so a renamed variable
or a forgotten one fails loudly, naming the file, before any model is called. Literal braces in a
template are written ``{{`` and ``}}`` (``str.format`` rules). Values are substituted once and never
re-parsed, so braces in stakeholder text are harmless. The SHA-256 of each file's bytes (first 16 hex
digits) is recorded in every proposal's provenance and in evaluation logs.

Stakeholder text is data, not instructions: :func:`fence` wraps it in a delimited block that the
prompts tell the model to read but never obey, and it defuses any copy of the delimiters inside the
text so an answer cannot close the block early.
"""

from __future__ import annotations

import hashlib
import re
import string
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import ConfigError
from assistant.resources import data_path

PROMPT_NAMES: tuple[str, ...] = ("interviewer", "phrase", "interpret", "propose", "explain", "reask")
"""The prompt files every LLM engine needs."""

_FRONT_MATTER = re.compile(r"\A---\r?\n(.*?)\r?\n---\r?\n", re.DOTALL)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class PromptError(ConfigError):
    """A prompt file is missing or malformed; the message names the file and what is wrong."""


class _FrontMatter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    variables: list[str] = Field(default_factory=list)


class Prompt(BaseModel):
    """One loaded, checked prompt template."""

    model_config = ConfigDict(frozen=True)

    name: str
    """Step name, equal to the file's stem (``interpret`` for ``prompts/interpret.md``)."""
    description: str
    """What the prompt is for."""
    variables: frozenset[str]
    """Declared variables; exactly the placeholders of :attr:`template`."""
    template: str
    """The body after the front matter, in ``str.format`` syntax."""
    sha256: str
    """First 16 hex digits of the SHA-256 of the whole file (front matter included)."""
    path: str
    """Where it was loaded from (for error messages)."""

    def render(self, **values: Any) -> str:
        """The template with every declared variable substituted.

        Missing or undeclared variables are an error (a bug in the caller, not in the model's output).
        Values are converted with ``str()``; they are inserted verbatim and not parsed again.
        """
        given = set(values)
        missing = sorted(self.variables - given)
        extra = sorted(given - self.variables)
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(missing)}")
            if extra:
                parts.append(f"undeclared {', '.join(extra)}")
            raise PromptError(f"prompt {self.name!r} ({self.path}): {'; '.join(parts)}")
        return self.template.format_map({k: str(v) for k, v in values.items()})


def placeholders(template: str, where: str = "template") -> set[str]:
    """The ``{name}`` placeholders of a ``str.format`` template; only plain names are allowed."""
    found: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise PromptError(f"{where}: {exc} (write literal braces as '{{{{' and '}}}}')") from None
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not _NAME.match(field) or spec or conversion:
            raise PromptError(
                f"{where}: placeholder {{{field}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}} "
                "must be a plain lower-case name such as {answer}"
            )
        found.add(field)
    return found


def parse_prompt(text: str, path: str, expected_name: str | None = None) -> Prompt:
    """Parse and check one prompt file's text."""
    m = _FRONT_MATTER.match(text)
    if m is None:
        raise PromptError(f"{path}: a prompt file starts with YAML front matter between '---' lines (name, variables)")
    try:
        raw = yaml.safe_load(m.group(1))
        meta = _FrontMatter.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        raise PromptError(f"{path}: bad front matter: {str(exc).splitlines()[0]}") from None
    if expected_name is not None and meta.name != expected_name:
        raise PromptError(f"{path}: front matter names the prompt {meta.name!r}; the file name says {expected_name!r}")
    body = text[m.end() :]
    used = placeholders(body, path)
    declared = set(meta.variables)
    if len(declared) != len(meta.variables):
        raise PromptError(f"{path}: a variable is declared twice")
    if used != declared:
        parts = []
        if used - declared:
            parts.append(f"used but not declared: {', '.join(sorted(used - declared))}")
        if declared - used:
            parts.append(f"declared but not used: {', '.join(sorted(declared - used))}")
        raise PromptError(f"{path}: variables do not match the front matter ({'; '.join(parts)})")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return Prompt(
        name=meta.name,
        description=meta.description,
        variables=frozenset(declared),
        template=body,
        sha256=digest,
        path=path,
    )


def prompts_dir() -> Path:
    """The shipped ``prompts/`` folder."""
    return data_path("prompts")


def load_prompt(name: str, directory: Path | None = None) -> Prompt:
    """Load and check ``<directory>/<name>.md`` (default: the shipped prompts)."""
    folder = directory or prompts_dir()
    path = folder / f"{name}.md"
    try:
        # newline="" keeps the bytes as written, so the hash matches `sha256sum` of the file.
        with path.open(encoding="utf-8", newline="") as fh:
            text = fh.read()
    except OSError as exc:
        raise PromptError(f"prompt file {path} cannot be read: {exc.strerror or exc}") from None
    return parse_prompt(text, str(path), expected_name=name)


def load_prompts(names: tuple[str, ...] = PROMPT_NAMES, directory: Path | None = None) -> dict[str, Prompt]:
    """Load several prompts; every problem is reported, one per line."""
    out: dict[str, Prompt] = {}
    problems: list[str] = []
    for name in names:
        try:
            out[name] = load_prompt(name, directory)
        except PromptError as exc:
            problems.append(str(exc))
    if problems:
        raise PromptError("\n".join(problems))
    return out


@lru_cache(maxsize=1)
def shipped_prompts() -> dict[str, Prompt]:
    """The shipped prompts, loaded once per process."""
    return load_prompts()


def prompt_hashes(prompts: dict[str, Prompt] | None = None) -> dict[str, str]:
    """``{name: sha256[:16]}`` for the given prompts (default: the shipped ones)."""
    return {name: p.sha256 for name, p in sorted((prompts or shipped_prompts()).items())}


# ------------------------------------------------------------------------------------ data blocks

FENCE_OPEN = "<<<STAKEHOLDER_TEXT"
FENCE_CLOSE = "STAKEHOLDER_TEXT>>>"


def defuse(text: str) -> str:
    """``text`` with any copy of the data-block delimiters broken up, so it cannot end its block early."""
    return re.sub(r"STAKEHOLDER_TEXT", "STAKEHOLDER-TEXT", re.sub(r"(<<<|>>>)", lambda m: " ".join(m.group(1)), text))


def fence(text: str, label: str = "") -> str:
    """Stakeholder text in a delimited block that the prompts declare to be data, never instructions."""
    head = f"{FENCE_OPEN} {label}".rstrip()
    return f"{head}\n{defuse(text)}\n{FENCE_CLOSE}"
