"""Roles of the people a team assessment hears, and the practices each is suggested (``catalog/roles.yaml``).

Knowledge in data: which practices an engineer or a purchasing lead usually knows first-hand is written in the
YAML file, not here. A user catalog (``SMM_CATALOG``) may bring its own ``roles.yaml``; otherwise the shipped one
is used.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from assistant.assessment import PracticeId
from assistant.catalog import Catalog, default_catalog_dir
from assistant.errors import InputError
from assistant.yamlio import load_yaml_model

ROLES_FILE = "roles.yaml"


class Role(BaseModel):
    """A kind of participant and the practices they usually know."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z][a-z-]*$")]
    """Stable ID (``engineering``)."""
    name: str
    """Name shown to people."""
    description: str
    """Who this is, in a sentence."""
    owns_objectives: bool = False
    """Whether this role is asked the business objectives and targets by default."""
    words: list[str] = Field(default_factory=list)
    """Job-title words that suggest the role (``firmware``, ``purchasing``)."""
    practices: list[PracticeId]
    """Practices suggested for the role."""


class RoleBook(BaseModel):
    """All roles, in the order they are offered."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    roles: list[Role]
    """The roles."""

    def get(self, role_id: str) -> Role:
        """The role with this ID, or a clear error listing the IDs."""
        for r in self.roles:
            if r.id == role_id:
                return r
        raise InputError(f"unknown role {role_id!r}; roles: {', '.join(r.id for r in self.roles)}")

    def guess(self, title: str) -> Role | None:
        """The role whose job-title words best match ``title`` ("Head of OT engineering"), or None."""
        text = f" {re.sub(r'[^a-z0-9&]+', ' ', title.lower())} "
        best: tuple[int, int, Role] | None = None
        for i, r in enumerate(self.roles):
            # Longer matching words are more specific ("plant manager" over "manager").
            score = max((len(w) for w in r.words if f" {w} " in text), default=0)
            if score and (best is None or score > best[0]):
                best = (score, -i, r)
        return best[2] if best else None


def load_roles(catalog: Catalog, catalog_dir: Path | None = None) -> RoleBook:
    """The roles of ``catalog_dir`` (or the shipped ones), checked against the catalog's practices."""
    path = (catalog_dir or default_catalog_dir()) / ROLES_FILE
    if not path.is_file():
        path = default_catalog_dir() / ROLES_FILE
    book = _read(path)
    for r in book.roles:
        unknown = [p for p in r.practices if p not in catalog.practices]
        if unknown:
            raise InputError(f"{path}: role {r.id!r} names practice(s) {', '.join(unknown)}, which the catalog does not have")
    return book


@cache
def _read(path: Path) -> RoleBook:
    return load_yaml_model(path, RoleBook)
