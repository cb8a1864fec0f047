"""The structured assessment: the product's output, with a published, versioned JSON Schema.

Per practice the assessment holds a **target** and a **current** rating. A rating is a
comprehensiveness level (0-4) with a scope, or "not applicable" with a required reason. Current
ratings carry provenance: who or what proposed them, the cited indicators, the stakeholder's quoted
words, and the reviewer's decision. Targets can be set per practice, per subdomain or domain (and
inherited), or come from a profile's template. An append-only event log records every change.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)

from assistant.catalog import PRACTICE_ID, Catalog, ScopeId, validation_hint
from assistant.errors import InputError
from assistant.yamlio import MAX_BYTES, YamlLoadError, read_text_file

SCHEMA_VERSION = "1.3.0"
SCHEMA_MAJOR = 1

PracticeId = Annotated[str, Field(pattern=PRACTICE_ID)]
Level = Annotated[int, Field(ge=0, le=4)]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")

    _omit_when_none: ClassVar[tuple[str, ...]] = ()
    """Optional fields added after 1.1.0: left out of the file while unset, so older files save unchanged."""

    @model_serializer(mode="wrap")
    def _omit_unset_additions(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for key in self._omit_when_none:
                if key in data and data[key] is None:
                    del data[key]
        return data


class Rating(_Model):
    """A level and scope, or not applicable with a reason."""

    level: Level | None = None
    """Comprehensiveness level 0-4; none when not applicable."""
    scope: ScopeId | None = None
    """general, industry or system; none when not applicable."""
    not_applicable: bool = False
    """True when the practice does not apply to this system."""
    reason: str | None = None
    """Why; required when not applicable."""

    @model_validator(mode="after")
    def _consistent(self) -> Rating:
        if self.not_applicable:
            if not (self.reason and self.reason.strip()):
                raise ValueError("a not-applicable rating needs a reason: say why the practice does not apply")
            if self.level is not None:
                raise ValueError("a not-applicable rating has no level; remove the level or set not_applicable to false")
        else:
            if self.level is None:
                raise ValueError("a rating needs a level from 0 to 4 (or not_applicable: true with a reason)")
            if self.scope is None:
                raise ValueError("a rating needs a scope: general, industry or system")
        return self

    def label(self) -> str:
        """Short human form such as ``3 (system)`` or ``n/a``."""
        return "n/a" if self.not_applicable else f"{self.level} ({self.scope})"


class CitedIndicator(_Model):
    """A catalog indicator relied on, with its text at the time of citation."""

    id: str
    """Indicator ID such as ``H1.2-L3-02``."""
    text: str
    """The indicator text."""


def source_label(turn_id: str, document: str | None, location: str | None) -> str:
    """Where a quote comes from, for people: the turn ID, or the document's file name and place."""
    if document:
        return f"{document}, {location}" if location else document
    return turn_id


class Quote(_Model):
    """The stakeholder's own words (or a document's), verbatim, with the turn (or passage) they come from."""

    turn_id: str
    """ID of the transcript turn, or ``doc:<document id>:<passage>`` for a document passage."""
    text: str
    """Verbatim excerpt of that turn or passage."""
    document: str | None = None
    """File name, when the quote is from a document."""
    location: str | None = None
    """Where in the document (``page 3``, a heading, a table row)."""
    speaker: str | None = None
    """In a team assessment, the participant who said it (or whose document it is); ``turn_id`` is then that
    participant's turn, written ``<participant>/t5``. Unset for a one-person interview (added in 1.3.0)."""

    _omit_when_none = ("document", "location", "speaker")

    def where(self) -> str:
        """``t5`` for a turn, ``policy.pdf, page 3`` for a document passage."""
        return source_label(self.turn_id, self.document, self.location)


class Provenance(_Model):
    """Where a current rating came from and who confirmed it."""

    proposed_by: Literal["engine", "human", "import"]
    """An interview engine, a person directly, or an imported file."""
    engine: str | None = None
    """Engine name (``guided`` or ``llm``) when proposed by an engine."""
    model: str | None = None
    """Model ``provider:model`` when an LLM drafted the proposal."""
    prompt_hashes: dict[str, str] = Field(default_factory=dict)
    """Content hashes of the prompt files used."""
    fallback: str | None = None
    """Set when the LLM engine's draft could not be used: why, and that the proposal was the guided engine's."""
    catalog_version: str
    """Catalog version the indicators were cited from."""
    session_id: str | None = None
    """Interview session the rating came from."""
    proposed: Rating | None = None
    """The engine's proposal, kept beside the human's value."""
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    """The engine's confidence in its proposal."""
    rationale: str | None = None
    """The engine's plain-words rationale."""
    indicators: list[CitedIndicator] = Field(default_factory=list)
    """Catalog indicators relied on."""
    quotes: list[Quote] = Field(default_factory=list)
    """Stakeholder quotes relied on."""
    decision: Literal["accept", "modify", "not_applicable", "set"]
    """The reviewer's decision (``set``: entered directly without a proposal)."""
    decision_reason: str | None = None
    """Why the reviewer modified the proposal or set it not applicable."""
    reviewer: str
    """Who decided."""
    proposed_at: datetime | None = None
    """When the engine proposed it."""
    decided_at: datetime
    """When the reviewer decided."""

    @model_validator(mode="after")
    def _reason(self) -> Provenance:
        if self.decision in ("modify", "not_applicable") and not (self.decision_reason and self.decision_reason.strip()):
            raise ValueError(f"decision {self.decision!r} needs a decision_reason")
        return self


class CurrentRating(_Model):
    """The assessed current state of one practice."""

    value: Rating
    """Level and scope, or not applicable."""
    status: Literal["confirmed", "proposed"] = "confirmed"
    """Only confirmed ratings are scored; proposed ones are reported as awaiting review."""
    provenance: Provenance
    """Origin and review of the rating."""


TargetOrigin = Literal["person", "proposal", "profile"]


class TargetSetting(_Model):
    """A target set at practice, subdomain or domain level."""

    _omit_when_none = ("origin",)

    value: Rating
    """Target level and scope (or not applicable)."""
    reason: str | None = None
    """Why this target fits the business objectives and risk appetite."""
    set_by: str = "unknown"
    """Who set it."""
    set_at: datetime = Field(default_factory=utcnow)
    """When it was set."""
    origin: TargetOrigin | None = None
    """How it was chosen: ``person`` (set one by one), ``proposal`` (a drafted target accepted together with the
    others in one step) or ``profile`` (copied from a profile's template). The last two are defaults nobody chose
    one by one, and reports mark them so. None: not recorded (files written before 1.2.0)."""

    @property
    def is_default(self) -> bool:
        """True for a target nobody chose one by one (accepted as drafted, or copied from a profile)."""
        return self.origin in ("proposal", "profile")


class Targets(_Model):
    """Targets, most specific first: practice, then subdomain, then domain, then the profile template."""

    profile: str | None = None
    """Profile whose target template fills practices nothing else sets."""
    domains: dict[Literal["G", "E", "H"], TargetSetting] = Field(default_factory=dict)
    """Targets inherited by every practice of a domain."""
    subdomains: dict[Annotated[str, Field(pattern=r"^[GEH][1-3]$")], TargetSetting] = Field(default_factory=dict)
    """Targets inherited by both practices of a subdomain."""
    practices: dict[PracticeId, TargetSetting] = Field(default_factory=dict)
    """Targets of single practices."""


class Event(_Model):
    """One entry of the append-only event log."""

    at: datetime
    """When it happened (UTC)."""
    kind: str
    """What happened, such as ``target.set``, ``rating.confirmed``, ``rating.modified``."""
    actor: str
    """Who or what did it."""
    practice: str | None = None
    """The practice concerned, if any."""
    data: dict[str, Any] = Field(default_factory=dict)
    """Details."""


Harm = Literal["safety", "availability", "privacy", "financial", "reputation"]
HARMS: tuple[Harm, ...] = ("safety", "availability", "privacy", "financial", "reputation")
HARM_WORDS: dict[str, str] = {
    "safety": "people getting hurt",
    "availability": "production or service stopping",
    "privacy": "private data leaking",
    "financial": "money being lost",
    "reputation": "damage to the reputation",
}
"""Each harm in the words the interview uses."""


class BusinessObjectives(_Model):
    """What the business said matters, as confirmed in the interview; the roadmap is ordered by it."""

    priorities: list[Harm] = Field(default_factory=list)
    """What would hurt the business most: ``safety`` (people getting hurt), ``availability``, ``privacy``,
    ``financial`` or ``reputation``."""
    appetite: Literal["low", "medium", "high"] | None = None
    """How much security risk the business accepts."""
    obligations: list[str] = Field(default_factory=list)
    """Laws, standards and contracts the system must meet, as named."""

    @property
    def people_can_get_hurt(self) -> bool:
        """True when the business named people getting hurt among the worst harms."""
        return "safety" in self.priorities


class EvidenceDocument(_Model):
    """A document read as evidence in the assessment, and what it gave evidence for."""

    name: str
    """File name."""
    kind: str
    """Format it was read as (pdf, docx, xlsx, csv, markdown, text)."""
    sha256: str
    """SHA-256 of the file, so the very document can be found again."""
    pages: int | None = None
    """Page count, for paginated documents."""
    statements: dict[str, int] = Field(default_factory=dict)
    """Per practice, how many of its statements counted as evidence."""


class ParticipantInfo(_Model):
    """One person heard in a team assessment (added in 1.3.0)."""

    name: str
    """Their short name, as it prefixes their turns (``ana/t5``)."""
    display: str | None = None
    """Their full name, if given."""
    role: str
    """Their role (``catalog/roles.yaml``), such as ``engineering`` or ``management``."""
    practices: list[PracticeId] = Field(default_factory=list)
    """The practices they were asked about."""
    owns_objectives: bool = False
    """Whether the business objectives and targets came from them."""
    session_id: str | None = None
    """Their interview session."""


class SignOff(_Model):
    """The lead's sign-off that froze this assessment as a numbered version (added in 1.3.0)."""

    version: Annotated[int, Field(ge=1)]
    """Version number, 1, 2, ... per team assessment; later changes start the next one."""
    signed_by: str
    """Who signed (the team's lead)."""
    signed_at: datetime
    """When (UTC)."""
    note: str = ""
    """What the lead wrote when signing."""
    team_id: str
    """The team assessment it belongs to."""


class AssessmentMetadata(_Model):
    """What system was assessed, by whom, when, against which catalog."""

    _omit_when_none = ("practices", "documents", "participants", "lead", "signoff")

    system_name: Annotated[str, Field(min_length=1)]
    """Name of the assessed system."""
    system_description: str = ""
    """The system in the stakeholder's words."""
    industry: str | None = None
    """Industry sector."""
    profile: str | None = None
    """Profile used, if any."""
    assessors: list[str] = Field(default_factory=list)
    """People who ran or reviewed the assessment."""
    created_at: datetime = Field(default_factory=utcnow)
    """When the assessment was started."""
    updated_at: datetime = Field(default_factory=utcnow)
    """Last change."""
    catalog_version: str
    """Catalog version the assessment was made against."""
    practices: list[PracticeId] | None = None
    """The practices chosen for this assessment; none means every practice of the catalog. Practices left out are
    reported as not part of this assessment, never as unrated."""
    documents: list[EvidenceDocument] | None = None
    """Documents read as evidence (their text stays with the interview session, not in this file)."""
    participants: list[ParticipantInfo] | None = None
    """For a team assessment: everyone interviewed, with their role and practices (added in 1.3.0)."""
    lead: str | None = None
    """For a team assessment: the lead who settles disagreements and signs off (added in 1.3.0)."""
    signoff: SignOff | None = None
    """Set on a signed, frozen version of a team assessment (added in 1.3.0)."""


class Assessment(_Model):
    """An IoT SMM assessment: targets and current ratings per practice, with provenance and history."""

    _omit_when_none = ("objectives",)

    schema_version: str = SCHEMA_VERSION
    """Version of this file format (semver); files from a newer major version are refused."""
    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    """Unique ID of the assessment; the interview session's ID when it was exported from a session."""
    metadata: AssessmentMetadata
    """System, people, dates, catalog version."""
    objectives: BusinessObjectives | None = None
    """Business objectives and risk appetite, when they were asked; they order the roadmap."""
    targets: Targets = Field(default_factory=Targets)
    """Targets at practice, subdomain and domain level, and the profile template."""
    current: dict[PracticeId, CurrentRating] = Field(default_factory=dict)
    """Current ratings by practice."""
    events: list[Event] = Field(default_factory=list)
    """Append-only history."""

    def in_scope(self, practice_id: str) -> bool:
        """Whether a practice was chosen for this assessment (every practice is, unless some were chosen)."""
        chosen = self.metadata.practices
        return chosen is None or practice_id in chosen

    def log(self, kind: str, actor: str, practice: str | None = None, **data: Any) -> Event:
        """Append an event and bump ``updated_at``."""
        ev = Event(at=utcnow(), kind=kind, actor=actor, practice=practice, data=data)
        self.events.append(ev)
        self.metadata.updated_at = ev.at
        return ev


# ------------------------------------------------------------------------------- effective targets


class EffectiveTarget(BaseModel):
    """The target that applies to a practice after inheritance."""

    model_config = ConfigDict(frozen=True)

    value: Rating
    """Target level and scope, or not applicable."""
    source: Literal["practice", "subdomain", "domain", "profile"]
    """Where it was inherited from."""
    reason: str | None
    """The reason given where it was set."""
    default: bool = False
    """True for a default nobody chose one by one: the profile template's, or a setting accepted as drafted."""


def profile_default_reason(title: str) -> str:
    """The reason recorded for a target taken from a profile's template.

    A profile's own reasons were written for its example system (cameras in homes, a bottling line);
    copied into another system's assessment they would explain that system's targets with someone
    else's reasons, so only where the target came from is recorded.
    """
    return f"Default from the profile '{title}'; its reasons were written for that example system: review it for this one."


def effective_targets(assessment: Assessment, catalog: Catalog) -> dict[str, EffectiveTarget]:
    """Resolve every practice's target: practice, then subdomain, then domain, then profile template."""
    t = assessment.targets
    profile = catalog.profiles.get(t.profile) if t.profile else None
    out: dict[str, EffectiveTarget] = {}
    for pid in catalog.practices:
        sub = catalog.subdomain_of(pid).id
        dom = pid[0]
        if pid in t.practices:
            s = t.practices[pid]
            out[pid] = EffectiveTarget(value=s.value, source="practice", reason=s.reason, default=s.is_default)
        elif sub in t.subdomains:
            s = t.subdomains[sub]
            out[pid] = EffectiveTarget(value=s.value, source="subdomain", reason=s.reason, default=s.is_default)
        elif dom in t.domains:
            s = t.domains[dom]
            out[pid] = EffectiveTarget(value=s.value, source="domain", reason=s.reason, default=s.is_default)
        elif profile is not None and pid in profile.targets:
            tt = profile.targets[pid]
            out[pid] = EffectiveTarget(
                value=Rating(level=tt.level, scope=tt.scope),
                source="profile",
                reason=profile_default_reason(profile.title),
                default=True,
            )
    return out


# ------------------------------------------------------------------------------------- load / save


class AssessmentFileError(InputError):
    """An assessment file cannot be used; the message names the file, the field and what to do."""


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(x) for x in loc) or "(top level)"


class _Refused(ValueError):
    """Valid to Python's JSON parser, but not accepted in an assessment file."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(f"duplicate key {key!r} in an object; keep only one")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number; write a number or null")


def parse_assessment(text: str, source: str = "<assessment>") -> Assessment:
    """Parse assessment JSON text with clear errors.

    Besides invalid JSON, refuses duplicate keys (JSON parsers silently keep the last), ``NaN`` and
    ``Infinity``, nesting too deep to parse and numbers too long to convert.
    """
    if not text.strip():
        raise AssessmentFileError(f"{source}: the file is empty; export an assessment with `smm export` or the app")
    try:
        raw = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise AssessmentFileError(f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except _Refused as exc:
        raise AssessmentFileError(f"{source}: not valid JSON ({exc})") from None
    except RecursionError:
        raise AssessmentFileError(f"{source}: not valid JSON (nested too deeply to read; flatten the structure)") from None
    except ValueError:  # a number over Python's limit on digits for int()
        raise AssessmentFileError(f"{source}: not valid JSON (a number has too many digits; shorten it)") from None
    if not isinstance(raw, dict):
        raise AssessmentFileError(f"{source}: an assessment is a JSON object, found {type(raw).__name__}")
    version = raw.get("schema_version", SCHEMA_VERSION)
    try:
        major = int(str(version).split(".")[0])
    except ValueError:
        raise AssessmentFileError(f"{source}: schema_version {version!r} is not a version like {SCHEMA_VERSION}") from None
    if major > SCHEMA_MAJOR:
        raise AssessmentFileError(
            f"{source}: schema_version {version} is newer than this tool understands ({SCHEMA_VERSION}); upgrade iot-smm-assistant"
        )
    try:
        assessment = Assessment.model_validate(raw)
    except ValidationError as exc:
        errs = exc.errors()
        first = errs[0]
        more = f" (and {len(errs) - 1} more problem(s))" if len(errs) > 1 else ""
        raise AssessmentFileError(
            f"{source}: field {_field(first['loc'])}: {first['msg']}{validation_hint(first)}{more}"
        ) from None
    # Same major version: every older file is valid under this schema, and is saved again as this version.
    assessment.schema_version = SCHEMA_VERSION
    return assessment


def check_against_catalog(assessment: Assessment, catalog: Catalog, source: str = "<assessment>") -> None:
    """Refuse an assessment that names practices, subdomains or profiles the catalog does not have."""
    subdomains = {s.id for d in catalog.model.domains for s in d.subdomains}
    for pid in assessment.current:
        if pid not in catalog.practices:
            raise AssessmentFileError(f"{source}: field current.{pid}: unknown practice {pid}; use an ID from `smm catalog list`")
    for pid in assessment.targets.practices:
        if pid not in catalog.practices:
            raise AssessmentFileError(f"{source}: field targets.practices.{pid}: unknown practice {pid}")
    for pid in assessment.metadata.practices or []:
        if pid not in catalog.practices:
            raise AssessmentFileError(f"{source}: field metadata.practices: unknown practice {pid}")
    for sid in assessment.targets.subdomains:
        if sid not in subdomains:
            raise AssessmentFileError(f"{source}: field targets.subdomains.{sid}: unknown subdomain {sid}")
    prof = assessment.targets.profile
    if prof and prof not in catalog.profiles:
        raise AssessmentFileError(
            f"{source}: field targets.profile: unknown profile {prof!r}; known: {', '.join(sorted(catalog.profiles))}"
        )


def load_assessment(path: Path, catalog: Catalog | None = None) -> Assessment:
    """Load an assessment JSON file; with a catalog, also check its practice IDs."""
    try:
        text = read_text_file(Path(path), MAX_BYTES)
    except YamlLoadError as exc:
        raise AssessmentFileError(str(exc)) from None
    a = parse_assessment(text, str(path))
    if catalog is not None:
        check_against_catalog(a, catalog, str(path))
    return a


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but owned by someone else
        return True
    return True


def remove_stale_temp_files(path: Path) -> list[Path]:
    """Delete the temp files that writers of ``path`` killed mid-write left behind; return them.

    Temp files are named ``.<name>.<pid>.<random>.tmp``; one whose process no longer runs can never be
    renamed into place. Files of live processes (a concurrent writer) are kept. POSIX only.
    """
    if os.name != "posix":
        return []
    removed = []
    prefix = f".{path.name}."
    try:
        candidates = [p for p in path.parent.iterdir() if p.name.startswith(prefix) and p.name.endswith(".tmp")]
    except OSError:
        return []
    for p in candidates:
        pid = p.name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            try:
                p.unlink()
                removed.append(p)
            except OSError:
                pass
    return removed


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file so that it is either complete or absent: temp file, fsync, rename.

    A process killed mid-write leaves only its temp file (``.<name>.<pid>.<random>.tmp``, never the
    target half-written); the next write of the same target removes it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; a report or log is an ordinary file, so give it what open() would (0666 - umask).
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def save_assessment(assessment: Assessment, path: Path) -> None:
    """Save atomically as indented JSON."""
    atomic_write_bytes(Path(path), (assessment.model_dump_json(indent=2) + "\n").encode())


def assessment_json_schema() -> dict[str, Any]:
    """The JSON Schema of the assessment format."""
    schema = Assessment.model_json_schema()
    schema["$id"] = f"https://iot-smm-assistant.invalid/schema/assessment-{SCHEMA_VERSION}.json"
    schema["title"] = f"IoT SMM assessment, schema version {SCHEMA_VERSION}"
    return schema
