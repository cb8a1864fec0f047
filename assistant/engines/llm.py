"""The ``llm`` engine: a LangChain chat model phrases, interprets and proposes, under strict checks.

Every model step follows one pattern:

1. **Ground**: retrieval from the catalog index puts the practice's relevant catalog text, with IDs,
   into the prompt (``prompts/*.md``); stakeholder text goes in a fenced data block.
2. **Ask** for structured output (a pydantic model). Transport errors (timeouts, refused connections,
   HTTP 429/5xx) are retried a bounded number of times with exponential backoff; every call has a
   hard deadline.
3. **Validate** against the catalog and the transcript: statements and quotes must occur verbatim in
   what the stakeholder said, cited IDs must be indicators of the practice, levels must be 0-4, and a
   proposal may not rate above what a non-claim statement supports (so "give us level 4" never raises a
   level). Indicator text in a proposal is always the catalog's, filled in by code from the IDs.
4. **Re-ask once** with the validation problems; if that fails too, **fall back** to the guided engine
   for that step and tell the user in plain words (:meth:`LlmEngine.drain_notices`).

No method raises: the interview has already saved the stakeholder's answer, and whatever the model
does, the step completes with the guided engine's result.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field, WithJsonSchema, create_model

from assistant.assessment import CitedIndicator, Quote
from assistant.catalog import Catalog, Practice
from assistant.engines.base import InterpretRequest, ProposalRequest, QuestionRequest
from assistant.engines.guided import GuidedEngine
from assistant.evidence import Reading, split_statements
from assistant.index import CatalogIndex, Hit
from assistant.llm import redact
from assistant.prompts import Prompt, fence, prompt_hashes, shipped_prompts
from assistant.proposals import Proposal, validate_proposal
from assistant.reading.cues import CLAIM, NOT_APPLICABLE
from assistant.reading.rule import estimate

if TYPE_CHECKING:
    from assistant.settings import Settings

DEFAULT_TIMEOUT = 60.0
"""Seconds one model call may take (remote providers)."""
LOCAL_TIMEOUT = 120.0
"""Seconds one model call may take on a local server (CPU inference is slow)."""
DEFAULT_MAX_TOKENS = 1024
"""Output cap per call; every structured answer fits well within it."""
LOCAL_MAX_TOKENS = 512
"""Output cap per call on a local server, where every token costs CPU time."""
MAX_QUESTION_CHARS = 400

T = TypeVar("T")
S = TypeVar("S", bound=BaseModel)


# ------------------------------------------------------------------------------------ output schemas
# Kept flat and small: small local models fill short schemas far more reliably. llama.cpp turns the
# schema of a forced tool call into a grammar, so enums, level ranges, string lengths and list lengths
# bound what a small model can emit (without maxItems a 135M model may list readings until max_tokens).


class PhrasedQuestion(BaseModel):
    """The interview question rephrased in plain words."""

    question: str = Field(max_length=MAX_QUESTION_CHARS, description="One plain-language question ending with a question mark.")


class StatementReading(BaseModel):
    """How one statement of the answer bears on the practice."""

    statement: str = Field(max_length=600, description="The statement copied exactly from the answer.")
    polarity: Literal["yes", "no", "partly", "plan", "unknown", "claim", "not_applicable"]
    supports: int | None = Field(
        default=None, ge=1, le=4, description="Level 1-4 the statement is evidence for (yes or partly only)."
    )
    refutes: int | None = Field(default=None, ge=1, le=4, description="Level 1-4 the statement shows is not reached.")
    indicators: list[str] = Field(default_factory=list, max_length=3, description="Catalog indicator IDs the statement matches.")


class AnswerReadings(BaseModel):
    """Readings of the statements of one answer."""

    readings: list[StatementReading] = Field(max_length=8)


class QuoteDraft(BaseModel):
    """A verbatim excerpt of one stakeholder turn."""

    turn_id: str = Field(max_length=12)
    text: str = Field(max_length=600)


class ProposalDraft(BaseModel):
    """A proposed rating for the practice."""

    decision: Literal["level", "insufficient_evidence", "not_applicable"]
    # Always an integer: small models asked for "level or null" often pick null after deciding "level".
    level: int = Field(ge=0, le=4, description="0-4; used only when decision is level.")
    scope: Literal["general", "industry", "system"] = "general"
    confidence: float = Field(default=0.5, description="0.0-1.0")
    rationale: str = Field(max_length=1000)
    indicator_ids: list[str] = Field(default_factory=list, max_length=8)
    quotes: list[QuoteDraft] = Field(default_factory=list, max_length=4)


class ExplanationDraft(BaseModel):
    """An answer to a question about the SMM, from the catalog text given."""

    answer: str = Field(max_length=1500)
    cited_ids: list[str] = Field(default_factory=list, max_length=6)


def _choice(values: Iterable[str]) -> Any:
    """A string whose JSON schema lists ``values`` as an enum, while validation still accepts any string.

    A grammar-constrained server (llama.cpp) can then only emit real IDs and real statements, and a hosted
    model sees the choices in the tool schema; anything else still reaches the engine's own checks, whose
    messages (``H1.3-L2-01 is not an indicator of H1.2``) make a better re-ask than a schema error.
    """
    vals = list(dict.fromkeys(values))
    if not vals or any(_UNSAFE_IN_ENUM.search(v) for v in vals):
        return str
    return Annotated[str, WithJsonSchema({"type": "string", "enum": vals})]


_UNSAFE_IN_ENUM = re.compile(r'["\\\x00-\x1f\x7f]')
"""Characters that llama-cpp-python 0.3.36 escapes wrongly when it turns an enum into a grammar: a
stakeholder who typed a double quote made the grammar unparsable and the server died. Such values are
offered as a plain string instead; the engine's own checks (``locate``) still hold them to the text."""


def _list_of(item: Any) -> Any:
    return list[item]


def readings_schema(statements: list[str], indicator_ids: list[str]) -> type[AnswerReadings]:
    """:class:`AnswerReadings` with this answer's statements and this practice's indicator IDs as choices."""
    statement = _choice(statements) if len(statements) <= 24 else str
    reading = create_model(
        "StatementReading",
        __base__=StatementReading,
        __doc__=StatementReading.__doc__,
        statement=(statement, Field(max_length=600, description="One statement copied exactly from the answer.")),
        indicators=(_list_of(_choice(indicator_ids)), Field(default_factory=list, max_length=3)),
    )
    return create_model(
        "AnswerReadings",
        __base__=AnswerReadings,
        __doc__=AnswerReadings.__doc__,
        readings=(_list_of(reading), Field(max_length=8)),
    )


def proposal_schema(indicator_ids: list[str], turn_ids: list[str], quotes: list[str]) -> type[ProposalDraft]:
    """:class:`ProposalDraft` with the practice's indicator IDs and the evidence's turns and statements as choices."""
    quote = create_model(
        "QuoteDraft",
        __base__=QuoteDraft,
        __doc__=QuoteDraft.__doc__,
        turn_id=(_choice(turn_ids), Field(max_length=12)),
        text=(_choice(quotes), Field(max_length=600)),
    )
    return create_model(
        "ProposalDraft",
        __base__=ProposalDraft,
        __doc__=ProposalDraft.__doc__,
        indicator_ids=(_list_of(_choice(indicator_ids)), Field(default_factory=list, max_length=8)),
        quotes=(_list_of(quote), Field(default_factory=list, max_length=4)),
    )


# ------------------------------------------------------------------------------------ failures


class StepFailed(Exception):
    """A model step could not produce a usable result; ``kind`` says why, for the user's notice."""

    def __init__(self, kind: Literal["timeout", "transport", "provider", "invalid", "unavailable"], detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class CallTimeout(TimeoutError):
    """A model call passed its deadline."""


_TRANSPORT_NAMES = {
    # openai / anthropic SDKs, httpx, requests, aiohttp: connection trouble, timeouts, overload.
    "APIConnectionError",
    "APITimeoutError",
    "RateLimitError",
    "InternalServerError",
    "ServiceUnavailableError",
    "OverloadedError",
    "TimeoutException",
    "ConnectTimeout",
    "ReadTimeout",
    "WriteTimeout",
    "PoolTimeout",
    "ConnectError",
    "ReadError",
    "WriteError",
    "RemoteProtocolError",
    "NetworkError",
    "ConnectionError",
    "ClientConnectorError",
    "ServerDisconnectedError",
    "ModelConnectionError",
    "ModelRateLimitError",
    "ModelAPIError",
}
_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 529}


def classify_error(exc: BaseException) -> Literal["timeout", "transport", "provider"]:
    """``timeout`` and ``transport`` errors are worth retrying; anything else is the provider refusing."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        names = {c.__name__ for c in type(cur).__mro__}
        if isinstance(cur, TimeoutError) or names & {
            "APITimeoutError",
            "ModelTimeoutError",
            "TimeoutException",
            "ReadTimeout",
            "ConnectTimeout",
        }:
            return "timeout"
        if isinstance(cur, ConnectionError) or names & _TRANSPORT_NAMES:
            return "transport"
        status = getattr(cur, "status_code", None) or getattr(getattr(cur, "response", None), "status_code", None)
        if isinstance(status, int) and status in _RETRY_STATUS:
            return "transport"
        cur = cur.__cause__ or cur.__context__
    return "provider"


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return redact(f"{type(exc).__name__}: {text}"[:300])


_REASONS = {
    "timeout": "it did not answer in time",
    "transport": "the model server could not be reached",
    "provider": "the model service returned an error",
    "invalid": "its output did not pass the checks, even after one retry",
    "unavailable": "the model has not been answering",
}


# ------------------------------------------------------------------------------------ the engine


class LlmEngine:
    """Interview engine backed by a LangChain chat model, with the guided engine as fallback per step."""

    name = "llm"

    def __init__(
        self,
        catalog: Catalog,
        index: CatalogIndex,
        chat_model: BaseChatModel,
        model_name: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = 3,
        backoff: float = 0.5,
        backoff_cap: float = 4.0,
        structured_method: str | None = None,
        rephrase: bool = True,
        prompts: dict[str, Prompt] | None = None,
        failure_limit: int = 3,
        cooldown: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Wrap ``chat_model`` (recorded as ``model_name``, ``provider:model``).

        ``timeout`` bounds each call; ``retries`` is the number of tries per call for transport errors,
        ``backoff`` the first wait (doubling, at most ``backoff_cap``). ``structured_method`` is passed to
        ``with_structured_output`` (``None`` for the model's default, as fakes need). After
        ``failure_limit`` consecutive steps lost to transport errors the model is skipped for
        ``cooldown`` seconds, so a dead server does not slow every step down.
        """
        self.catalog = catalog
        self.index = index
        self.chat_model = chat_model
        self.model: str | None = model_name
        self.timeout = timeout
        self.retries = max(1, retries)
        self.backoff = backoff
        self.backoff_cap = backoff_cap
        self.structured_method = structured_method
        self.rephrase = rephrase
        self.prompts = prompts or shipped_prompts()
        self.prompt_hashes: dict[str, str] = prompt_hashes(self.prompts)
        self.guided = GuidedEngine(catalog, index)
        self.failure_limit = failure_limit
        self.cooldown = cooldown
        self._sleep = sleep
        self._clock = clock
        self._transport_failures = 0
        self._skip_until = 0.0
        # One engine serves every session of a process (the Streamlit app runs each session in its own
        # thread), so notices are kept per thread: a fallback is announced to the session it happened in.
        self._local = threading.local()
        self.stats: Counter[str] = Counter()
        """Outcomes per step, such as ``interpret.ok``, ``propose.reask_ok``, ``phrase.fallback.invalid``."""
        self.last_failure: dict[str, str] = {}
        """The latest failure detail per step (redacted), for logs and tests."""
        self.call_ms: list[float] = []
        """Wall time of every model call in milliseconds (failed ones too), for evaluation logs."""

    @classmethod
    def from_settings(cls, settings: Settings, catalog: Catalog, index: CatalogIndex) -> LlmEngine:
        """The engine for ``SMM_LLM`` (and ``SMM_LLM_BASE_URL``); a missing package or key is a ConfigError."""
        from assistant.errors import ConfigError
        from assistant.llm import LOCAL_PROVIDERS, load_chat_model, parse_llm_spec, structured_method

        if not settings.llm:
            raise ConfigError(
                "the llm engine needs SMM_LLM=provider:model (for example local, ollama:qwen2.5:3b or openai:gpt-4o-mini)"
            )
        spec = parse_llm_spec(settings.llm)
        local = spec.provider in LOCAL_PROVIDERS or spec.provider == "ollama"
        timeout = LOCAL_TIMEOUT if local else DEFAULT_TIMEOUT
        max_tokens = LOCAL_MAX_TOKENS if local else DEFAULT_MAX_TOKENS
        model = load_chat_model(settings.llm, settings.llm_base_url, timeout, 0, max_tokens=max_tokens)
        # The engine's hard deadline is a little longer than the client's, so the client's own timeout
        # (a clean error) normally fires first and the deadline only catches a call that hangs anyway.
        return cls(catalog, index, model, spec.label, timeout=timeout + 5, structured_method=structured_method(settings.llm))

    # ------------------------------------------------------------------ notices

    def drain_notices(self) -> list[str]:
        """Plain sentences for the user about steps that fell back since the last call (each once)."""
        out = list(dict.fromkeys(self._pending_notices()))
        self._pending_notices().clear()
        return out

    def _pending_notices(self) -> list[str]:
        pending: list[str] | None = getattr(self._local, "notices", None)
        if pending is None:
            pending = self._local.notices = []
        return pending

    def _fell_back(self, step: str, failure: StepFailed) -> str:
        self.stats[f"{step}.fallback"] += 1
        self.stats[f"{step}.fallback.{failure.kind}"] += 1
        self.last_failure[step] = failure.detail
        reason = _REASONS[failure.kind]
        what = {
            "interpret": f"The model could not read your answer ({reason}); the guided engine read it instead. Your answer is kept.",
            "propose": f"The model's proposal could not be used ({reason}); the guided engine's proposal is shown instead.",
            "phrase": f"The model could not phrase the next question ({reason}); the catalog's wording is used.",
            "explain": f"The model could not answer your question ({reason}); the catalog's own explanation is shown.",
        }[step]
        self._pending_notices().append(what)
        return reason

    # ------------------------------------------------------------------ the Engine protocol

    def phrase(self, request: QuestionRequest) -> str:
        """The catalog question in plainer words (checked), else the catalog's own text."""
        text = request.question
        if self.rephrase:
            try:
                text = self._phrase(request)
                self.stats["phrase.ok"] += 1
            except StepFailed as failure:
                self._fell_back("phrase", failure)
            except Exception as exc:  # a bug here must not lose the turn
                self._fell_back("phrase", StepFailed("provider", _describe(exc)))
        return f"{request.lead_in}\n\n{text}" if request.lead_in else text

    def interpret(self, request: InterpretRequest) -> list[Reading]:
        """Readings of the answer from the model (checked), else the guided engine's."""
        if not request.answer.text.strip():
            return []
        try:
            readings = self._interpret(request)
            self.stats["interpret.ok"] += 1
            return readings
        except StepFailed as failure:
            self._fell_back("interpret", failure)
        except Exception as exc:
            self._fell_back("interpret", StepFailed("provider", _describe(exc)))
        return self.guided.interpret(request)

    def propose(self, request: ProposalRequest) -> Proposal:
        """A proposal from the model (checked), else the guided engine's, marked as a fallback."""
        try:
            proposal = self._propose(request)
            self.stats["propose.ok"] += 1
            return proposal
        except StepFailed as exc:
            failed = exc
        except Exception as exc:
            failed = StepFailed("provider", _describe(exc))
        reason = self._fell_back("propose", failed)
        detail = failed.detail
        fallback = self.guided.propose(request)
        return fallback.model_copy(
            update={
                "engine": self.name,
                "model": self.model,
                "prompt_hashes": dict(self.prompt_hashes),
                "fallback": f"{reason}: {detail[:200]}",
            }
        )

    def answer_question(self, question: str, practice: str | None = None, level: int | None = None) -> str | None:
        """The model's plain-words answer to a question about the SMM, from retrieved catalog text, with
        the cited IDs and their catalog text listed by code; ``None`` (and a notice) when the step fails.
        """
        try:
            out = self._explain(question, practice, level)
            self.stats["explain.ok"] += 1
            return out
        except StepFailed as failure:
            self._fell_back("explain", failure)
        except Exception as exc:
            self._fell_back("explain", StepFailed("provider", _describe(exc)))
        return None

    def explain(self, question: str, practice: str | None = None, level: int | None = None) -> str:
        """:meth:`answer_question`, falling back to the catalog's own explanation (:mod:`assistant.explain`)."""
        said = self.answer_question(question, practice, level)
        if said is not None:
            return said
        from assistant.explain import explain_level, explain_practice

        target = practice or question
        try:
            return explain_level(self.catalog, target, level).to_markdown() if level else explain_practice(self.catalog, target)
        except Exception as exc:  # the question named no practice: say so rather than fail
            return str(exc)

    # ------------------------------------------------------------------ steps

    def _phrase(self, request: QuestionRequest) -> str:
        p = request.practice
        level = request.level if request.level >= 1 else None
        hits = self.index.search(request.question, k=3, practice=p.id, level=level, kind="indicator")
        prompt = self.prompts["phrase"].render(practice_name=p.name, question=request.question, catalog_text=_hit_lines(hits))

        def check(out: PhrasedQuestion) -> tuple[str, list[str]]:
            q = " ".join(out.question.split())
            problems = []
            if len(q) < 10:
                problems.append("the question is empty or too short")
            if len(q) > MAX_QUESTION_CHARS:
                problems.append(f"the question is longer than {MAX_QUESTION_CHARS} characters")
            if not q.endswith("?"):
                problems.append("the question must end with a question mark")
            if q.count("?") > 2:
                problems.append("ask one question only")
            if re.search(r"STAKEHOLDER|<<<|>>>|\{|\}|\b[GEH][1-3]\.[12]-", q):
                problems.append("the question must not contain IDs, braces or delimiters")
            return redact(q), problems

        return self._run("phrase", PhrasedQuestion, prompt, check)

    def _interpret(self, request: InterpretRequest) -> list[Reading]:
        p = request.practice
        answer = request.answer
        hits = self._indicator_hits(p, answer.text, request.question_level)
        qlevel = request.question_level
        described = (
            "from the stakeholder's free description of the system"
            if qlevel < 0
            else "the opening question"
            if qlevel == 0
            else f"a question about level {qlevel}"
        )
        prompt = self.prompts["interpret"].render(
            practice_id=p.id,
            practice_name=p.name,
            practice_objective=p.objective,
            question=request.question,
            question_level=described,
            catalog_text=_hit_lines(hits),
            answer=fence(answer.text, f"turn={answer.id}"),
        )
        level_of = {ind.id: lvl for lvl, ind in p.indicators()}
        known = set(level_of)

        def check(out: AnswerReadings) -> tuple[list[Reading], list[str]]:
            problems: list[str] = []
            readings: list[Reading] = []
            seen: set[str] = set()
            for i, r in enumerate(out.readings, 1):
                quote = locate(r.statement, answer.text)
                if quote is None:
                    problems.append(f"reading {i}: the statement {r.statement[:60]!r} is not copied exactly from the answer")
                    continue
                if quote in seen:
                    continue
                seen.add(quote)
                bad_ids = [x for x in r.indicators if x not in known]
                if bad_ids:
                    problems.append(f"reading {i}: {', '.join(bad_ids[:3])} are not indicator IDs of {p.id}")
                for field, value in (("supports", r.supports), ("refutes", r.refutes)):
                    if value is not None and not 1 <= value <= 4:
                        problems.append(f"reading {i}: {field} must be a level from 1 to 4 or null")
                polarity = r.polarity
                supports, refutes = r.supports, r.refutes
                if CLAIM.search(quote):
                    # Requests about the rating and injected instructions are never evidence, whatever the
                    # model made of them: the same lexicon as the guided engine decides.
                    polarity, supports, refutes = "claim", None, None
                if supports is not None and polarity not in ("yes", "partly"):
                    problems.append(f"reading {i}: a {polarity!r} statement cannot support a level")
                if refutes is not None and polarity in ("claim", "unknown", "not_applicable"):
                    problems.append(f"reading {i}: a {polarity!r} statement cannot rule out a level")
                if supports is not None and refutes is not None and supports >= refutes:
                    problems.append(f"reading {i}: it cannot support level {supports} and rule out level {refutes}")
                if (
                    supports is not None
                    and supports > max(qlevel, 1)
                    and not any(level_of.get(x, 0) >= supports for x in r.indicators)
                ):
                    # Above the level asked about, support must be tied to what that level needs: over-reading a
                    # statement is the dangerous direction (it over-rates).
                    problems.append(
                        f"reading {i}: to support level {supports}, the statement must match an indicator of level "
                        f"{supports} or above (cite its ID); otherwise support a lower level"
                    )
                if polarity == "not_applicable" and not NOT_APPLICABLE.search(quote):
                    # Not applicable takes the practice out of the score: only when the stakeholder says so.
                    problems.append(
                        f"reading {i}: the statement does not say that the practice does not apply; choose another polarity"
                    )
                cues = ["llm"]
                if qlevel >= 1 and supports is None and refutes is None and polarity in ("yes", "no", "plan"):
                    # An answer to a question about level L: "yes" is evidence for L, "no" and "plans to" rule it
                    # out. Small models often leave both empty, which would make the answer count for nothing.
                    if polarity == "yes":
                        supports = qlevel
                    else:
                        refutes = qlevel
                    cues.append("question-level")
                readings.append(
                    Reading(
                        turn_id=answer.id,
                        quote=quote,
                        practice=p.id,
                        source="context" if qlevel < 0 else "answer",
                        question_level=qlevel,
                        polarity=polarity,
                        supports=supports,
                        refutes=refutes,
                        indicators=[x for x in r.indicators if x in known][:3],
                        cues=cues,
                    )
                )
            if not out.readings and qlevel >= 0:
                problems.append("the answer was given to a question about this practice: read at least one statement")
            return readings, problems

        schema = readings_schema(split_statements(answer.text), sorted(known))
        return self._run("interpret", schema, prompt, check)

    def _propose(self, request: ProposalRequest) -> Proposal:
        p = request.practice
        claims = [r for r in request.readings if r.polarity == "claim"]
        evidence = [r for r in request.readings if r.polarity != "claim"]
        informative = [r for r in evidence if r.supports is not None or r.refutes is not None]
        est = estimate(evidence)
        # The highest level a non-claim statement supports: the model may weigh evidence, not invent it.
        ceiling = est.lower
        # Nor may it ignore it: below what the statements support only as far as a statement rules out.
        floor = min(est.lower, est.upper)
        hits = self._indicator_hits(p, " ".join(r.quote for r in evidence[-12:]) or p.objective, None, k=10)
        cited_ids = {i for r in evidence for i in r.indicators}
        extra = [Hit(id=i.id, practice=p.id, level=lvl, kind="indicator", text=i.text, score=0.0) for lvl, i in p.indicators()]
        hits = _merge_hits(hits, [h for h in extra if h.id in cited_ids or h.level in (ceiling, ceiling + 1)])
        prompt = self.prompts["propose"].render(
            practice_id=p.id,
            practice_name=p.name,
            practice_objective=p.objective,
            levels_text="\n".join(
                f"- Level {lv.level} ({self.catalog.level_name(lv.level)}): {lv.summary.split('. ')[0].rstrip('.')}."
                for lv in p.levels
            ),
            catalog_text=_hit_lines(hits),
            industry=request.industry or "not stated",
            evidence=fence(_evidence_lines(evidence) or "(no statements about this practice yet)", "readings"),
            ceiling=ceiling,
            floor=floor,
        )
        texts = {ind.id: (lvl, ind.text) for lvl, ind in p.indicators()}
        claim_quotes = [r.quote for r in claims]

        def check(out: ProposalDraft) -> tuple[Proposal, list[str]]:
            problems: list[str] = []
            level: int | None = out.level if out.decision == "level" else None
            not_applicable = out.decision == "not_applicable"
            if level is not None and level > ceiling:
                problems.append(
                    f"level {level} is higher than any statement supports (at most {ceiling}); claims and plans are not evidence"
                )
            if level is not None and level < floor:
                problems.append(
                    f"level {level} is lower than the statements support (level {floor}, and none rules it out); "
                    f"propose at least {floor}"
                )
            if out.decision == "level" and not informative:
                problems.append("no statement supports or rules out a level: answer insufficient_evidence")
            if not_applicable and not any(r.polarity == "not_applicable" for r in evidence):
                problems.append("nobody said the practice does not apply; do not answer not_applicable")
            ids = list(dict.fromkeys(out.indicator_ids))
            if not level:
                # Level 0 and no level cite nothing met (what is missing is filled in from the catalog); unknown
                # IDs are kept so that they are still reported.
                ids = [i for i in ids if i not in texts]
            else:
                above = [i for i in ids if i in texts and texts[i][0] > level]
                if above:
                    problems.append(f"{', '.join(above[:3])} belong to a level above {level}; cite only met indicators")
            quotes = [Quote(turn_id=q.turn_id.strip(), text=q.text) for q in out.quotes if q.text.strip()]
            for n, q in enumerate(quotes, 1):
                # Also what the model did not mark as a claim: the guided engine's lexicon has the last word.
                if CLAIM.search(q.text) or any(q.text in c or c in q.text for c in claim_quotes):
                    problems.append(f"quote {n} ({q.turn_id}) is a claim about the rating, not evidence: never quote it")
            if (level or 0) >= 1 and not quotes:
                problems.append("quote the stakeholder's words that support the level")
            # Model-written text is stored and exported: a server that echoes the caller's key must not put it there.
            rationale = redact(" ".join(out.rationale.split()))
            if not _is_prose(rationale):
                problems.append("the rationale must explain the rating in two or three plain sentences")
            next_needs = (
                [CitedIndicator(id=i.id, text=i.text) for i in p.level(level + 1).indicators]
                if level is not None and level < 4
                else []
            )
            notes = []
            if claims:
                notes.append(
                    "Statements about the rating itself were set aside, not counted as evidence "
                    f"(for example: \u201c{claims[0].quote[:160]}\u201d). Ratings follow what is done; you decide in the review."
                )
            proposal = Proposal(
                practice=p.id,
                level=level,
                not_applicable=not_applicable,
                scope=out.scope if level else "general",
                confidence=round(min(1.0, max(0.0, out.confidence)), 2),
                rationale=rationale[:1500] or "(none)",
                # The catalog's text, never the model's: unknown IDs keep an empty text and fail validation.
                indicators=[CitedIndicator(id=i, text=texts[i][1] if i in texts else "") for i in ids],
                quotes=quotes[:6],
                next_level_needs=next_needs,
                follow_up=(request.follow_up or p.opening_question) if out.decision == "insufficient_evidence" else None,
                notes=notes,
                engine=self.name,
                model=self.model,
                prompt_hashes=dict(self.prompt_hashes),
                catalog_version=self.catalog.version,
            )
            problems += validate_proposal(proposal, self.catalog, request.transcript)
            return proposal, problems

        schema = proposal_schema(list(texts), [r.turn_id for r in evidence], [r.quote for r in evidence])
        return self._run("propose", schema, prompt, check)

    def _explain(self, question: str, practice: str | None, level: int | None) -> str:
        hits = self.index.search(question, k=8, practice=practice, level=level)
        prompt = self.prompts["explain"].render(question=fence(question, "question"), catalog_text=_hit_lines(hits))
        by_id = {h.id: h for h in hits}

        def check(out: ExplanationDraft) -> tuple[str, list[str]]:
            problems = []
            bad = [i for i in out.cited_ids if i not in by_id]
            if bad:
                problems.append(f"{', '.join(bad[:3])} are not IDs of the catalog text given")
            answer = redact(out.answer.strip())
            if not answer:
                problems.append("give an answer")
            cites = "\n".join(f"- [{i}] {by_id[i].text}" for i in dict.fromkeys(out.cited_ids) if i in by_id)
            return (answer + ("\n\n**From the catalog:**\n" + cites if cites else "")), problems

        return self._run("explain", ExplanationDraft, prompt, check)

    # ------------------------------------------------------------------ grounding

    def _indicator_hits(self, p: Practice, text: str, question_level: int | None, k: int = 8) -> list[Hit]:
        """The practice's indicators closest to ``text``, plus those of the level asked about."""
        hits = self.index.search(text, k=k, practice=p.id, kind="indicator")
        if question_level is not None and question_level >= 1:
            asked = [
                Hit(id=i.id, practice=p.id, level=question_level, kind="indicator", text=i.text, score=0.0)
                for i in p.level(question_level).indicators
            ]
            hits = _merge_hits(hits, asked)
        return hits

    # ------------------------------------------------------------------ calling the model

    def _run(self, step: str, schema: type[S], prompt: str, check: Callable[[S], tuple[T, list[str]]]) -> T:
        """Ask, validate, re-ask once with the problems, or raise :class:`StepFailed`."""
        if self._clock() < self._skip_until:
            raise StepFailed("unavailable", "skipped: the model failed repeatedly a moment ago")
        messages: list[BaseMessage] = [
            SystemMessage(self.prompts["interviewer"].render()),
            HumanMessage(prompt),
        ]
        problems: list[str] = []
        for attempt in (1, 2):
            parsed, raw_text, parse_error = self._ask(schema, messages)
            if parsed is None:
                problems = [f"the output does not match the required structure: {parse_error}"]
            else:
                result, problems = check(parsed)
                if not problems:
                    if attempt == 2:
                        self.stats[f"{step}.reask_ok"] += 1
                    return result
            if attempt == 1:
                self.stats[f"{step}.reask"] += 1
                messages = [
                    *messages,
                    AIMessage(raw_text or "(no output)"),
                    # Problems may quote the model's output, and so the stakeholder's words: they go in a
                    # data block like every other piece of stakeholder text.
                    HumanMessage(
                        self.prompts["reask"].render(problems=fence("\n".join(f"- {x}" for x in problems[:8]), "problems"))
                    ),
                ]
        raise StepFailed("invalid", redact("; ".join(problems))[:500])

    def _structured(self, schema: type[BaseModel]) -> Any:
        kwargs: dict[str, Any] = {"include_raw": True}
        if self.structured_method:
            kwargs["method"] = self.structured_method
        return self.chat_model.with_structured_output(schema, **kwargs)

    def _ask(self, schema: type[S], messages: list[BaseMessage]) -> tuple[S | None, str, str]:
        """One structured call with bounded retries for transport errors: ``(parsed, raw text, parse error)``."""
        runnable = self._structured(schema)
        for attempt in range(self.retries):
            try:
                out = self._invoke(runnable, messages)
            except Exception as exc:
                kind = classify_error(exc)
                if kind in ("timeout", "transport") and attempt + 1 < self.retries:
                    self._sleep(min(self.backoff_cap, self.backoff * 2**attempt))
                    continue
                if kind in ("timeout", "transport"):
                    self._transport_failures += 1
                    if self._transport_failures >= self.failure_limit:
                        self._skip_until = self._clock() + self.cooldown
                        self._transport_failures = 0
                raise StepFailed(kind, _describe(exc)) from None
            self._transport_failures = 0
            raw = out.get("raw") if isinstance(out, dict) else None
            parsed = out.get("parsed") if isinstance(out, dict) else out
            error = out.get("parsing_error") if isinstance(out, dict) else None
            raw_text = _raw_text(raw)
            if isinstance(parsed, schema):
                return parsed, raw_text, ""
            if parsed is not None:  # a dict from a json-mode parser
                try:
                    return schema.model_validate(parsed), raw_text, ""
                except Exception as exc:
                    error = exc
            return None, raw_text, _short_error(error) if error is not None else "no structured output was returned"
        raise AssertionError("unreachable")  # pragma: no cover

    def _invoke(self, runnable: Any, messages: list[BaseMessage]) -> Any:
        """``runnable.invoke`` with a hard deadline, in a daemon thread so a hung call cannot block the process."""
        box: dict[str, Any] = {}
        done = threading.Event()

        def target() -> None:
            try:
                box["out"] = runnable.invoke(messages)
            except BaseException as exc:
                box["err"] = exc
            finally:
                done.set()

        started = time.perf_counter()
        threading.Thread(target=target, name="smm-llm-call", daemon=True).start()
        finished = done.wait(self.timeout)
        self.call_ms.append((time.perf_counter() - started) * 1000)
        if not finished:
            raise CallTimeout(f"no answer within {self.timeout:g} s")
        if "err" in box:
            raise box["err"]
        return box["out"]


# ------------------------------------------------------------------------------------ helpers


def locate(statement: str, text: str) -> str | None:
    """The exact substring of ``text`` that ``statement`` copies, tolerating case and spacing; else ``None``.

    What is returned is always the stakeholder's own text, so a reading's quote stays verbatim even
    when the model changed a capital letter or a space.
    """
    s = statement.strip().strip("\"'\u201c\u201d\u2018\u2019").strip()
    if len(s) < 2:
        return None
    if s in text:
        return s
    words = re.findall(r"\w+", s)
    if not words:
        return None
    pattern = r"\W*".join(re.escape(w) for w in words)
    m = re.search(pattern, text, re.IGNORECASE)
    if m is None:
        return None
    found = m.group(0).strip()
    # Keep the sentence's closing punctuation when the model kept it too.
    end = m.end()
    if s[-1] in ".!?;" and end < len(text) and text[end] == s[-1]:
        found += text[end]
    return found or None


def _is_prose(text: str) -> bool:
    """Whether ``text`` reads as an explanation: a few words of letters, not a number, an ID or an echo of the prompt."""
    words = re.findall(r"[^\W\d_]{2,}", text)
    if len(words) < 5:
        return False
    low = text.lower()
    return not any(echo in low for echo in ("sentences for a non-expert", "two or three plain sentences"))


def _hit_lines(hits: Iterable[Hit]) -> str:
    lines = []
    for h in hits:
        lvl = f"level {h.level}" if h.level else "practice"
        lines.append(f"[{h.id}] ({lvl}) {h.text}")
    return "\n".join(lines) or "(none)"


def _merge_hits(first: list[Hit], more: list[Hit]) -> list[Hit]:
    seen = {h.id for h in first}
    out = list(first)
    for h in more:
        if h.id not in seen:
            seen.add(h.id)
            out.append(h)
    return sorted(out, key=lambda h: (h.level, h.id))


def _evidence_lines(readings: list[Reading]) -> str:
    lines = []
    for r in readings:
        parts: list[str] = [r.polarity]
        if r.supports is not None:
            parts.append(f"supports level {r.supports}")
        if r.refutes is not None:
            parts.append(f"rules out level {r.refutes}")
        if r.indicators:
            parts.append("matches " + ", ".join(r.indicators[:3]))
        lines.append(f'[{r.turn_id}] "{r.quote}" (read as: {"; ".join(parts)})')
    return "\n".join(dict.fromkeys(lines))


def _raw_text(raw: Any) -> str:
    """The model's output as text for a re-ask: tool-call arguments as JSON, else the message content."""
    if not isinstance(raw, AIMessage):
        return ""
    if raw.tool_calls:
        return json.dumps(raw.tool_calls[0].get("args", {}), ensure_ascii=False)[:4000]
    content = raw.content
    return (content if isinstance(content, str) else json.dumps(content, ensure_ascii=False))[:4000]


def _short_error(error: BaseException) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        try:
            errs = errors()
            return "; ".join(f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}" for e in errs[:5])
        except Exception:  # noqa: S110 - fall through to the message
            pass
    return redact(str(error).splitlines()[0][:300] if str(error) else type(error).__name__)


__all__ = ["LlmEngine", "StepFailed", "classify_error", "locate"]
