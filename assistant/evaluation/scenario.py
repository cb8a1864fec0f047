"""Evaluation scenarios: a system, what its stakeholder knows per practice, and gold labels.

A scenario is YAML with a ``# yaml-language-server: $schema=scenario.schema.json`` header. Each
practice it covers has either an ``expected`` rating or a ``not_applicable`` reason; practices it
leaves out are not scored. The same format scripts the stakeholder of ``smm demo``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.catalog import EMPTY_FILE, Catalog, ScopeId, Sector, validation_hint
from assistant.errors import InputError
from assistant.resources import data_path
from assistant.yamlio import YamlLoadError, load_yaml_file


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expected(_Strict):
    """A gold rating."""

    level: Annotated[int, Field(ge=0, le=4)]
    """Comprehensiveness level 0-4."""
    scope: ScopeId = "general"
    """Scope: general, industry or system."""


class ScenarioPractice(_Strict):
    """What the stakeholder knows about one practice, and the gold label."""

    facts: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    """What the stakeholder knows, one fact per item, in plain words."""
    expected: Expected | None = None
    """Gold rating; exclusive with ``not_applicable``."""
    not_applicable: str | None = None
    """Gold "does not apply", with the reason."""
    note: str | None = None
    """Why the gold label is what it is (for reviewers of the data set)."""

    @model_validator(mode="after")
    def _one_gold(self) -> ScenarioPractice:
        if (self.expected is None) == (self.not_applicable is None):
            raise ValueError("give exactly one of expected or not_applicable")
        if self.expected is not None and not self.facts:
            raise ValueError("a practice with an expected rating needs at least one fact")
        return self


class Scenario(_Strict):
    """A system to assess, its stakeholder's knowledge, and the gold labels."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    """Stable ID, equal to the file name."""
    title: Annotated[str, Field(min_length=1)]
    """Human title."""
    industry: Sector
    """Industry sector."""
    profile: str | None = None
    """A catalog profile to use, if one fits."""
    tags: list[Literal["aspiration", "vague", "contradiction", "jargon-free", "manipulation", "terse", "verbose"]] = Field(
        default_factory=list
    )
    """Hard-case tags, for separate reporting."""
    opening: Annotated[str, Field(min_length=1)]
    """What the stakeholder says first, in their own words."""
    documents: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    """The organisation's papers, handed over at the start when the evaluation runs with documents: file names
    under ``documents/<scenario id>/`` beside the scenario folders (``eval/documents/<id>/``) or paths relative
    to the scenario file; resolved to full paths when loaded."""
    practices: dict[str, ScenarioPractice]
    """Per practice ID (or slug): facts and gold label."""
    targets: dict[str, Expected] = Field(default_factory=dict)
    """Optional gold targets."""


class ScenarioError(InputError):
    """A scenario file cannot be used."""


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format."""
    s = Scenario.model_json_schema()
    s["title"] = "IoT SMM evaluation scenario"
    s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return s


def load_scenario(path: Path, catalog: Catalog) -> Scenario:
    """Load one scenario, resolving practice slugs to IDs and checking them against the catalog."""
    try:
        raw = load_yaml_file(path)
    except YamlLoadError as exc:
        raise ScenarioError(str(exc)) from None
    if raw is None:
        raise ScenarioError(f"{path}: {EMPTY_FILE}")
    try:
        sc = Scenario.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise ScenarioError(f"{path}: field {loc}: {err['msg']}{validation_hint(err)}{more}") from None
    if sc.id != path.stem:
        raise ScenarioError(f"{path}: field id: {sc.id!r} should equal the file name {path.stem!r}")
    resolved: dict[str, ScenarioPractice] = {}
    for key, sp in sc.practices.items():
        try:
            pid = catalog.practice(key).id
        except KeyError:
            raise ScenarioError(
                f"{path}: field practices.{key}: unknown practice; use an ID (H1.2) or slug (patch-management)"
            ) from None
        if pid in resolved:
            raise ScenarioError(f"{path}: field practices.{key}: practice {pid} is given twice")
        resolved[pid] = sp
    targets: dict[str, Expected] = {}
    for key, t in sc.targets.items():
        try:
            targets[catalog.practice(key).id] = t
        except KeyError:
            raise ScenarioError(f"{path}: field targets.{key}: unknown practice") from None
    documents: list[str] = []
    for k, name in enumerate(sc.documents):
        candidates = [path.parent / name, path.parent.parent.parent / "documents" / sc.id / name]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise ScenarioError(
                f"{path}: field documents.{k}: {name!r} not found (looked in {candidates[1].parent} and {path.parent})"
            )
        documents.append(str(found.resolve()))
    if sc.profile is not None and sc.profile not in catalog.profiles:
        raise ScenarioError(
            f"{path}: field profile: unknown profile {sc.profile!r}; known: {', '.join(sorted(catalog.profiles))}"
        )
    return sc.model_copy(update={"practices": resolved, "targets": targets, "documents": documents})


Split = Literal["dev", "test"]
SPLITS: tuple[Split, ...] = ("dev", "test")
"""``dev``: tune on these. ``test``: frozen, written before any tuning, never tuned on; the README headline."""


def scenario_root() -> Path:
    """The folder holding the shipped splits and ``scenario.schema.json``."""
    return data_path("eval") / "scenarios"


def default_scenario_dir(split: Split = "dev") -> Path:
    """The shipped scenarios of one split."""
    return scenario_root() / split


def find_scenario(scenario_id: str) -> Path | None:
    """The shipped scenario file with this ID, in either split."""
    for split in SPLITS:
        path = default_scenario_dir(split) / f"{scenario_id}.yaml"
        if path.is_file():
            return path
    return None


def load_scenarios(directory: Path | None, catalog: Catalog) -> list[Scenario]:
    """Load every ``*.yaml`` scenario of a folder, sorted by ID."""
    d = directory or default_scenario_dir()
    if not d.is_dir():
        raise ScenarioError(f"{d}: not a folder of scenario YAML files")
    files = sorted(d.glob("*.yaml"))
    if not files:
        raise ScenarioError(f"{d}: holds no *.yaml scenario")
    return [load_scenario(f, catalog) for f in files]
