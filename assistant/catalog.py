"""The SMM practice catalog: pydantic models for the YAML tree under ``catalog/`` and its loader.

The catalog is data. Domains, subdomains, practices, the comprehensiveness levels and the scopes are
declared in ``catalog/model.yaml``; each practice has a file ``catalog/practices/<id>-<slug>.yaml``;
profiles live in ``catalog/profiles/``. :func:`load_catalog` validates the whole tree and reports
every problem at once, each with its file and path inside the file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.errors import InputError
from assistant.yamlio import YamlLoadError, load_yaml_file

PRACTICE_ID = r"^[GEH][1-3]\.[12]$"
INDICATOR_ID = r"^[GEH][1-3]\.[12]-L[1-4]-[0-9]{2}$"
PROBE_ID = r"^[GEH][1-3]\.[12]-L[1-4]-Q[0-9]$"
SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"

ScopeId = Literal["general", "industry", "system"]
Sector = Literal[
    "manufacturing",
    "automotive",
    "consumer",
    "medical",
    "energy",
    "building-automation",
    "agriculture",
    "logistics",
    "retail",
    "smart-city",
    "other",
]
LEVELS: tuple[int, ...] = (1, 2, 3, 4)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


NonEmpty = Annotated[str, Field(min_length=1)]


# --------------------------------------------------------------------------------------- model.yaml


class SourceDocument(_Frozen):
    """The official document whose structure (names, numbers) the catalog follows."""

    title: NonEmpty
    """Title of the source document."""
    publisher: NonEmpty
    """Who publishes it."""
    version: NonEmpty
    """Version of the source document the structure was taken from."""
    date: NonEmpty
    """Publication date, ISO 8601."""


class CatalogMetadata(_Frozen):
    """Who wrote the catalog, from what, under which licence."""

    title: NonEmpty
    """Human title of this catalog."""
    catalog_version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
    """Semantic version of the catalog content; recorded in every assessment."""
    source: SourceDocument
    """The official document the structure follows."""
    originality: NonEmpty
    """Statement that every description, indicator and question is original wording."""
    licence: NonEmpty
    """Licence of the catalog text."""
    verification_note: str = ""
    """What has and has not been checked against the official documents."""


class PracticeRef(_Frozen):
    """A practice as listed in ``model.yaml``: official name, stable ID and slug."""

    id: Annotated[str, Field(pattern=PRACTICE_ID)]
    """Our stable ID, for example ``H1.2``."""
    slug: Annotated[str, Field(pattern=SLUG)]
    """Stable lowercase slug, for example ``patch-management``."""
    name: NonEmpty
    """The official SMM name."""


class Subdomain(_Frozen):
    """A subdomain: two practices under one heading."""

    id: Annotated[str, Field(pattern=r"^[GEH][1-3]$")]
    """Stable ID such as ``H1``."""
    name: NonEmpty
    """Official (or best-known) name."""
    description: NonEmpty
    """Plain-language description, our own words."""
    practices: list[PracticeRef]
    """The practices of this subdomain."""


class Domain(_Frozen):
    """One of the three SMM domains."""

    id: Literal["G", "E", "H"]
    """One-letter ID."""
    name: NonEmpty
    """Official name."""
    description: NonEmpty
    """Plain-language description, our own words."""
    subdomains: list[Subdomain]
    """The subdomains of this domain."""


class LevelDefinition(_Frozen):
    """A comprehensiveness level with its plain-language meaning."""

    level: Annotated[int, Field(ge=0, le=4)]
    """0 (none) to 4 (formalized)."""
    name: NonEmpty
    """Official name: None, Minimum, Ad hoc, Consistent, Formalized."""
    meaning: NonEmpty
    """What the level means for any practice, in everyday words."""


class ScopeDefinition(_Frozen):
    """One of the three scopes."""

    id: ScopeId
    """``general``, ``industry`` or ``system``."""
    name: NonEmpty
    """Official name."""
    meaning: NonEmpty
    """What the scope means, in everyday words."""


class ModelFile(_Frozen):
    """The content of ``catalog/model.yaml``."""

    metadata: CatalogMetadata
    """Version, source and licence."""
    domains: list[Domain]
    """The three domains with their subdomains and practices."""
    levels: list[LevelDefinition]
    """Comprehensiveness levels 0-4."""
    scopes: list[ScopeDefinition]
    """The three scopes."""


# ----------------------------------------------------------------------------------- practice files


class Explanation(_Frozen):
    """The practice explained for someone who is not a security expert."""

    what: NonEmpty
    """What the practice is."""
    why_iot: NonEmpty
    """Why it matters for connected devices and systems."""
    example: NonEmpty
    """A concrete example."""


class Indicator(_Frozen):
    """An observable statement that, when true of an organisation, supports a level."""

    id: Annotated[str, Field(pattern=INDICATOR_ID)]
    """Stable ID ``<practice>-L<level>-<nn>``."""
    text: NonEmpty
    """A statement a yes/no answer about a real organisation can support or refute."""


class Probe(_Frozen):
    """An interview question that separates a level from the one below."""

    id: Annotated[str, Field(pattern=PROBE_ID)]
    """Stable ID ``<practice>-L<level>-Q<n>``."""
    text: NonEmpty
    """The question, in everyday words, as put to an organisation that makes devices or software."""
    operator: NonEmpty | None = None
    """The same question for an organisation that only runs devices others make (a hospital, a plant), when
    ``text`` assumes a product of its own ("a device at a customer's site"); absent when ``text`` fits both."""
    indicators: list[Annotated[str, Field(pattern=INDICATOR_ID)]] = Field(min_length=1)
    """The indicators of this level that a yes answer supports."""

    def for_role(self, role: str | None) -> str:
        """The question for a maker (the default), an operator, or both."""
        return self.operator if role == "operator" and self.operator else self.text


class PracticeLevel(_Frozen):
    """What one comprehensiveness level (1-4) means for one practice."""

    level: Annotated[int, Field(ge=1, le=4)]
    """The level, 1 to 4."""
    summary: NonEmpty
    """One paragraph: what an organisation at this level does."""
    indicators: list[Indicator] = Field(min_length=3, max_length=6)
    """Indicators of accomplishment for this level (cumulative with the levels below)."""
    probes: list[Probe] = Field(min_length=2)
    """Questions that tell this level apart from the one below."""
    evidence: list[NonEmpty] = Field(min_length=1)
    """Examples of documents, records or tool outputs that show this level."""


class SectorExample(_Frozen):
    """A scope consideration illustrated for one sector."""

    sector: Sector
    """The sector of the example."""
    text: NonEmpty
    """What the consideration looks like there."""


class ScopeGuidance(_Frozen):
    """What a non-general scope looks like for one practice."""

    summary: NonEmpty
    """The general idea."""
    examples: list[SectorExample] = Field(min_length=3)
    """Examples; manufacturing, automotive and consumer are required."""

    @field_validator("examples")
    @classmethod
    def _required_sectors(cls, value: list[SectorExample]) -> list[SectorExample]:
        missing = {"manufacturing", "automotive", "consumer"} - {e.sector for e in value}
        if missing:
            raise ValueError(f"examples must cover {', '.join(sorted(missing))}")
        return value


class Scopes(_Frozen):
    """Scope guidance for the two non-general scopes."""

    industry: ScopeGuidance
    """Industry-specific considerations."""
    system: ScopeGuidance
    """System-specific considerations."""


class Mappings(_Frozen):
    """Indicative mappings to other frameworks. Never official."""

    status: Literal["indicative"] = "indicative"
    """Always ``indicative``: these are our reading, not an official crosswalk."""
    nist_csf_2: list[NonEmpty] = Field(default_factory=list)
    """NIST CSF 2.0 categories or subcategories."""
    iec_62443: list[NonEmpty] = Field(default_factory=list)
    """IEC 62443 parts and requirement areas."""
    iso_27001: list[NonEmpty] = Field(default_factory=list)
    """ISO/IEC 27001:2022 Annex A controls or clauses."""


class Practice(_Frozen):
    """One SMM practice: objective, explanation, levels 1-4, questions and guidance."""

    id: Annotated[str, Field(pattern=PRACTICE_ID)]
    """Our stable ID, for example ``H1.2``."""
    slug: Annotated[str, Field(pattern=SLUG)]
    """Stable slug; equals the one in ``model.yaml``."""
    name: NonEmpty
    """Official name; equals the one in ``model.yaml``."""
    objective: NonEmpty
    """The objective of the practice, one or two sentences."""
    explanation: Explanation
    """The practice explained for non-experts."""
    opening_question: NonEmpty
    """The first question of an interview about this practice, in everyday words."""
    opening_operator: NonEmpty | None = None
    """The first question for an organisation that only runs devices others make, when ``opening_question``
    assumes a product of its own."""
    levels: list[PracticeLevel] = Field(min_length=4, max_length=4)
    """Levels 1 to 4, in order."""
    scope: Scopes
    """What industry- and system-specific scope look like for this practice."""
    related: list[Annotated[str, Field(pattern=PRACTICE_ID)]] = Field(default_factory=list)
    """IDs of related practices."""
    mappings: Mappings
    """Indicative mappings to NIST CSF 2.0, IEC 62443 and ISO/IEC 27001."""

    def level(self, n: int) -> PracticeLevel:
        """Return level ``n`` (1-4)."""
        for lvl in self.levels:
            if lvl.level == n:
                return lvl
        raise KeyError(f"{self.id} has no level {n}")

    def indicators(self) -> Iterator[tuple[int, Indicator]]:
        """Yield ``(level, indicator)`` for every indicator of the practice."""
        for lvl in self.levels:
            for ind in lvl.indicators:
                yield lvl.level, ind


# ------------------------------------------------------------------------------------------ profiles


class ProfileConsideration(_Frozen):
    """An industry- or system-specific consideration a profile adds to a practice."""

    practice: Annotated[str, Field(pattern=PRACTICE_ID)]
    """The practice it applies to."""
    level: Annotated[int, Field(ge=1, le=4)] | None = None
    """The level it applies to; none means all levels."""
    scope: Literal["industry", "system"]
    """Which scope the consideration belongs to."""
    text: NonEmpty
    """The consideration."""


class TargetTemplate(_Frozen):
    """A profile's suggested target for one practice."""

    level: Annotated[int, Field(ge=0, le=4)]
    """Suggested comprehensiveness level."""
    scope: ScopeId
    """Suggested scope."""
    reason: NonEmpty
    """One line: why this target fits the system."""


class Profile(_Frozen):
    """A profile: our own example of industry/system considerations and a target template."""

    id: Annotated[str, Field(pattern=SLUG)]
    """Stable ID, equal to the file name without extension."""
    title: NonEmpty
    """Human title."""
    industry: Sector
    """The industry the profile belongs to."""
    label: NonEmpty
    """States that the profile is our own example, not an IIC publication."""
    description: NonEmpty
    """The system the profile describes."""
    keywords: list[NonEmpty] = Field(default_factory=list)
    """Words that suggest this profile when a stakeholder describes a system."""
    considerations: list[ProfileConsideration] = Field(default_factory=list)
    """Per practice (and optionally level) considerations."""
    targets: dict[Annotated[str, Field(pattern=PRACTICE_ID)], TargetTemplate]
    """The target template: one entry per practice."""


# ------------------------------------------------------------------------------------------- catalog


class Catalog(_Frozen):
    """The validated catalog: the model, all practices and all profiles."""

    model: ModelFile
    """Content of ``model.yaml``."""
    practices: dict[str, Practice]
    """Practices by ID, in catalog order."""
    profiles: dict[str, Profile]
    """Profiles by ID."""
    content_hash: str
    """SHA-256 over the normalised content; changes whenever any catalog text changes."""

    @property
    def version(self) -> str:
        """The catalog version from the metadata."""
        return self.model.metadata.catalog_version

    def practice(self, key: str) -> Practice:
        """Look up a practice by ID or slug (case-insensitive); raise ``KeyError`` otherwise."""
        k = key.strip()
        if k in self.practices:
            return self.practices[k]
        for p in self.practices.values():
            if p.id.lower() == k.lower() or p.slug == k.lower():
                return p
        raise KeyError(key)

    def indicator(self, indicator_id: str) -> Indicator:
        """Look up an indicator by its ID."""
        practice = self.practices[indicator_id.split("-", 1)[0]]
        for _, ind in practice.indicators():
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def level_name(self, level: int) -> str:
        """The official name of a comprehensiveness level."""
        for lvl in self.model.levels:
            if lvl.level == level:
                return lvl.name
        raise KeyError(level)

    def scope_name(self, scope: str) -> str:
        """The official name of a scope."""
        for s in self.model.scopes:
            if s.id == scope:
                return s.name
        raise KeyError(scope)

    def domain_of(self, practice_id: str) -> Domain:
        """The domain that holds a practice."""
        for d in self.model.domains:
            if practice_id.startswith(d.id):
                return d
        raise KeyError(practice_id)

    @cached_property
    def _subdomains_by_practice(self) -> dict[str, Subdomain]:
        return {p.id: s for d in self.model.domains for s in d.subdomains for p in s.practices}

    def subdomain_of(self, practice_id: str) -> Subdomain:
        """The subdomain that holds a practice."""
        return self._subdomains_by_practice[practice_id]


class CatalogProblem(BaseModel):
    """One problem found while validating a catalog tree."""

    file: str
    """The file, relative to the catalog directory."""
    path: str
    """Where in the file, as dotted keys and indexes; empty for the whole file."""
    message: str
    """What is wrong and what to do."""

    def __str__(self) -> str:
        where = f"{self.file}:{self.path}" if self.path else self.file
        return f"{where}: {self.message}"


class CatalogError(InputError):
    """The catalog tree is invalid; carries every problem found."""

    def __init__(self, root: Path, problems: list[CatalogProblem]):
        self.root = root
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"catalog {root} has {len(problems)} problem(s):\n{lines}")


EMPTY_FILE = "the file is empty; write its content or remove it"


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(x) for x in loc)


def validation_hint(err: Any) -> str:
    """What to do about one pydantic validation error, when its own message does not say (else empty)."""
    kind = err.get("type", "")
    if kind == "missing":
        return "; add it"
    if kind == "extra_forbidden":
        return "; remove it or check its spelling"
    if kind == "string_pattern_mismatch" and err.get("loc", ())[-1:] == ("[key]",):
        return "; not a known ID: use one from `smm catalog list`"
    return ""


def default_catalog_dir() -> Path:
    """The catalog shipped with the package (wheel) or the checkout (editable install)."""
    from assistant.resources import data_path

    return data_path("catalog")


def load_catalog(root: Path | None = None) -> Catalog:
    """Load and validate a catalog tree; raise :class:`CatalogError` listing every problem."""
    root = Path(root) if root is not None else default_catalog_dir()
    problems: list[CatalogProblem] = []
    if not root.is_dir():
        raise CatalogError(
            root, [CatalogProblem(file=str(root), path="", message="not a directory; pass the folder that holds model.yaml")]
        )

    def read(path: Path) -> object | None:
        try:
            data: object = load_yaml_file(path)
        except YamlLoadError as exc:
            problems.append(CatalogProblem(file=_rel(path, root), path=exc.path, message=exc.reason))
            return None
        if data is None:  # an empty document: never skip a file silently
            problems.append(CatalogProblem(file=_rel(path, root), path="", message=EMPTY_FILE))
        return data

    def validate(cls: type[BaseModel], data: object, path: Path) -> BaseModel | None:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                problems.append(CatalogProblem(file=_rel(path, root), path=_loc(err["loc"]), message=err["msg"]))
            return None

    model_path = root / "model.yaml"
    model: ModelFile | None = None
    if not model_path.exists():
        problems.append(CatalogProblem(file="model.yaml", path="", message="missing; every catalog needs model.yaml"))
    else:
        raw = read(model_path)
        if raw is not None:
            model = validate(ModelFile, raw, model_path)  # type: ignore[assignment]

    refs: dict[str, PracticeRef] = {}
    if model is not None:
        _check_model(model, problems)
        for d in model.domains:
            for s in d.subdomains:
                for p in s.practices:
                    refs[p.id] = p

    practices: dict[str, Practice] = {}
    practice_files: dict[str, str] = {}
    practice_dir = root / "practices"
    files = sorted(practice_dir.glob("*.yaml")) if practice_dir.is_dir() else []
    if not practice_dir.is_dir():
        problems.append(CatalogProblem(file="practices/", path="", message="missing folder of practice files"))
    invalid: set[str] = set()  # IDs of practice files that failed, from their names: not reported again as unknown
    for f in files:
        raw = read(f)
        pr = validate(Practice, raw, f) if raw is not None else None
        if pr is None:
            invalid.add(f.name.split("-", 1)[0])
            continue
        assert isinstance(pr, Practice)
        rel = _rel(f, root)
        if pr.id in practices:
            problems.append(CatalogProblem(file=rel, path="id", message=f"duplicate practice ID {pr.id}"))
            continue
        expected_name = f"{pr.id}-{pr.slug}.yaml"
        if f.name != expected_name:
            problems.append(CatalogProblem(file=rel, path="", message=f"file name should be {expected_name}"))
        ref = refs.get(pr.id)
        if model is not None and ref is None:
            problems.append(CatalogProblem(file=rel, path="id", message=f"practice {pr.id} is not listed in model.yaml"))
        elif ref is not None:
            if ref.slug != pr.slug:
                problems.append(
                    CatalogProblem(file=rel, path="slug", message=f"slug {pr.slug!r} differs from model.yaml ({ref.slug!r})")
                )
            if ref.name != pr.name:
                problems.append(
                    CatalogProblem(file=rel, path="name", message=f"name {pr.name!r} differs from model.yaml ({ref.name!r})")
                )
        _check_practice(pr, rel, problems)
        practices[pr.id] = pr
        practice_files[pr.id] = rel

    for pid in refs:
        if pid not in practices and not any(p.file.startswith("practices/") and pid in p.file for p in problems):
            problems.append(CatalogProblem(file="practices/", path="", message=f"no file for practice {pid} ({refs[pid].name})"))
    all_ids = set(refs) | set(practices) | invalid
    for pr in practices.values():
        rel = practice_files[pr.id]
        for i, rid in enumerate(pr.related):
            if rid not in all_ids or rid == pr.id:
                problems.append(CatalogProblem(file=rel, path=f"related.{i}", message=f"dangling related practice {rid}"))

    profiles: dict[str, Profile] = {}
    profile_dir = root / "profiles"
    for f in sorted(profile_dir.glob("*.yaml")) if profile_dir.is_dir() else []:
        raw = read(f)
        if raw is None:
            continue
        prof = validate(Profile, raw, f)
        if prof is None:
            continue
        assert isinstance(prof, Profile)
        rel = _rel(f, root)
        if prof.id != f.stem:
            problems.append(CatalogProblem(file=rel, path="id", message=f"id {prof.id!r} should equal the file name {f.stem!r}"))
        for i, c in enumerate(prof.considerations):
            if c.practice not in all_ids:
                problems.append(
                    CatalogProblem(file=rel, path=f"considerations.{i}.practice", message=f"unknown practice {c.practice}")
                )
        for pid in prof.targets:
            if pid not in all_ids:
                problems.append(CatalogProblem(file=rel, path=f"targets.{pid}", message=f"unknown practice {pid}"))
        missing = sorted(set(refs) - set(prof.targets))
        if missing:
            problems.append(CatalogProblem(file=rel, path="targets", message=f"target template misses {', '.join(missing)}"))
        profiles[prof.id] = prof

    if problems or model is None:
        raise CatalogError(root, problems)
    ordered = {pid: practices[pid] for pid in refs if pid in practices}
    return Catalog(model=model, practices=ordered, profiles=profiles, content_hash=_content_hash(model, ordered, profiles))


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _check_model(model: ModelFile, problems: list[CatalogProblem]) -> None:
    def add(path: str, msg: str) -> None:
        problems.append(CatalogProblem(file="model.yaml", path=path, message=msg))

    if [d.id for d in model.domains] != ["G", "E", "H"]:
        add("domains", "expected the domains G (Governance), E (Enablement), H (Hardening) in that order")
    seen: set[str] = set()
    slugs: set[str] = set()
    count = 0
    for di, d in enumerate(model.domains):
        if len(d.subdomains) != 3:
            add(f"domains.{di}.subdomains", f"domain {d.id} needs 3 subdomains, has {len(d.subdomains)}")
        for si, s in enumerate(d.subdomains):
            if not s.id.startswith(d.id):
                add(f"domains.{di}.subdomains.{si}.id", f"subdomain {s.id} is not in domain {d.id}")
            if len(s.practices) != 2:
                add(f"domains.{di}.subdomains.{si}.practices", f"subdomain {s.id} needs 2 practices, has {len(s.practices)}")
            for pi, p in enumerate(s.practices):
                count += 1
                where = f"domains.{di}.subdomains.{si}.practices.{pi}"
                if not p.id.startswith(s.id + "."):
                    add(f"{where}.id", f"practice {p.id} is not in subdomain {s.id}")
                if p.id in seen:
                    add(f"{where}.id", f"duplicate practice ID {p.id}")
                if p.slug in slugs:
                    add(f"{where}.slug", f"duplicate slug {p.slug}")
                seen.add(p.id)
                slugs.add(p.slug)
    if count != 18:
        add("domains", f"the SMM has 18 practices; model.yaml lists {count}")
    if [lv.level for lv in model.levels] != [0, 1, 2, 3, 4]:
        add("levels", "levels must be 0, 1, 2, 3, 4 in order")
    if sorted(s.id for s in model.scopes) != ["general", "industry", "system"]:
        add("scopes", "scopes must be general, industry and system")


def _check_practice(pr: Practice, rel: str, problems: list[CatalogProblem]) -> None:
    def add(path: str, msg: str) -> None:
        problems.append(CatalogProblem(file=rel, path=path, message=msg))

    if [lv.level for lv in pr.levels] != list(LEVELS):
        add("levels", "levels must be 1, 2, 3, 4 in order")
    ids: set[str] = set()
    for li, lv in enumerate(pr.levels):
        level_ids = set()
        for ii, ind in enumerate(lv.indicators):
            prefix = f"{pr.id}-L{lv.level}-"
            if not ind.id.startswith(prefix):
                add(f"levels.{li}.indicators.{ii}.id", f"{ind.id} should start with {prefix}")
            if ind.id in ids:
                add(f"levels.{li}.indicators.{ii}.id", f"duplicate indicator ID {ind.id}")
            ids.add(ind.id)
            level_ids.add(ind.id)
        probe_ids: set[str] = set()
        for qi, q in enumerate(lv.probes):
            if not q.id.startswith(f"{pr.id}-L{lv.level}-Q"):
                add(f"levels.{li}.probes.{qi}.id", f"{q.id} should start with {pr.id}-L{lv.level}-Q")
            if q.id in probe_ids:
                add(f"levels.{li}.probes.{qi}.id", f"duplicate probe ID {q.id}")
            probe_ids.add(q.id)
            for xi, ref in enumerate(q.indicators):
                if ref not in level_ids:
                    add(f"levels.{li}.probes.{qi}.indicators.{xi}", f"{ref} is not an indicator of level {lv.level}")
        covered = {ref for q in lv.probes for ref in q.indicators}
        uncovered = sorted(level_ids - covered)
        if uncovered:
            add(f"levels.{li}.probes", f"no probe asks about {', '.join(uncovered)}")


def _content_hash(model: ModelFile, practices: dict[str, Practice], profiles: dict[str, Profile]) -> str:
    h = hashlib.sha256()
    h.update(model.model_dump_json().encode())
    for p in practices.values():
        h.update(p.model_dump_json().encode())
    for prof in profiles.values():
        h.update(prof.model_dump_json().encode())
    return h.hexdigest()


def normalise(text: str) -> str:
    """Lowercase and collapse non-alphanumerics, for fuzzy name matching."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()
