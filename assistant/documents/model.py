"""What a document becomes: passages that keep their place (file, page or heading, row), and the limits on reading it."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import ConfigError

DocumentKind = Literal["pdf", "docx", "xlsx", "csv", "markdown", "text"]

PASSAGE_PREFIX = "doc:"
"""Evidence from a document cites ``doc:<document id>:<passage number>`` where answers cite a turn ID."""


def passage_ref(document_id: str, number: int) -> str:
    """The reference a reading of passage ``number`` of a document cites in place of a turn ID."""
    return f"{PASSAGE_PREFIX}{document_id}:{number}"


def is_passage_ref(ref: str) -> bool:
    """Whether a citation's turn ID is a document passage."""
    return ref.startswith(PASSAGE_PREFIX)


def split_ref(ref: str) -> tuple[str, int]:
    """Document ID and passage number of a passage reference."""
    doc, _, number = ref[len(PASSAGE_PREFIX) :].rpartition(":")
    return doc, int(number)


class Passage(BaseModel):
    """A piece of a document, verbatim as extracted, with where it is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    number: int = Field(ge=0)
    """Position in the document (0-based)."""
    text: str
    """The passage text as extracted (quotes are substrings of it)."""
    location: str
    """Where it is, for people: ``page 3``, ``Patch procedure > Testing``, ``sheet Assets, row 12``."""
    page: int | None = None
    """1-based page for paginated documents (PDF, text with form feeds)."""
    heading: str | None = None
    """The heading the passage sits under, if any (context for routing; not part of quotes)."""


class Document(BaseModel):
    """A document read into passages; nothing of it is stored until it is read whole."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """First 12 hex digits of the file's SHA-256: the same file added twice is the same document."""
    name: str
    """File name as given (shown in citations)."""
    kind: DocumentKind
    """Format it was read as."""
    sha256: str
    """SHA-256 of the file's bytes."""
    size: int
    """Size in bytes."""
    pages: int | None = None
    """Page count for paginated documents."""
    passages: list[Passage]
    """Its text, in order."""
    warnings: list[str] = Field(default_factory=list)
    """What was noticed and neutralised (external references not followed, pages without text, ...)."""

    def passage(self, number: int) -> Passage:
        """Passage ``number``."""
        return self.passages[number]

    def where(self, number: int) -> str:
        """``name, location`` of a passage, for citations."""
        return f"{self.name}, {self.passages[number].location}"


class DocumentLimits(BaseModel):
    """How much of a document the assistant will read (``SMM_DOC_MAX_MB``, ``SMM_DOC_MAX_PAGES``, ``SMM_DOC_MAX_PASSAGES``)."""

    model_config = ConfigDict(frozen=True)

    max_bytes: int = 25 * 1024 * 1024
    """Largest file accepted."""
    max_pages: int = 500
    """Most pages of a PDF (or form-feed pages of a text file)."""
    max_passages: int = 20_000
    """Most passages (paragraphs, table rows) in one document."""
    max_unpacked_bytes: int = 200 * 1024 * 1024
    """Most bytes a DOCX or XLSX may unpack to (a zip bomb is refused before it is opened)."""
    max_ratio: int = 200
    """Highest compression ratio of one member of a DOCX or XLSX (larger than 1 MB unpacked)."""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> DocumentLimits:
        """Limits from the environment, defaults otherwise."""
        e = os.environ if env is None else env
        values: dict[str, int] = {}
        for var, field, scale in (
            ("SMM_DOC_MAX_MB", "max_bytes", 1024 * 1024),
            ("SMM_DOC_MAX_PAGES", "max_pages", 1),
            ("SMM_DOC_MAX_PASSAGES", "max_passages", 1),
        ):
            raw = e.get(var)
            if not raw:
                continue
            try:
                n = int(raw)
            except ValueError:
                raise ConfigError(f"{var}={raw!r} is not a whole number") from None
            if n < 1:
                raise ConfigError(f"{var} must be at least 1 (got {n})")
            values[field] = n * scale
        return cls(**values)
