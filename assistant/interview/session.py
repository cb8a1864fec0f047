"""The guided interview: a resumable state machine that follows the SMM process.

System context -> objectives and targets -> current state practice by practice -> a cited proposal
per practice -> human review -> assessment. The :class:`Interview` object is the one API used by the
CLI, the Streamlit app, the evaluation harness and the tests. Every input is saved before the reply
is computed (see :mod:`assistant.store`); only reviewed ratings enter the assessment.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any, Literal

from assistant.assessment import (
    Assessment,
    AssessmentMetadata,
    CurrentRating,
    Provenance,
    Rating,
)
from assistant.catalog import Catalog, Practice
from assistant.documents.index import PassageHit, SessionDocumentIndex
from assistant.documents.model import Document, passage_ref
from assistant.documents.reading import read_document_evidence
from assistant.engines.base import Engine, InterpretRequest, ProposalRequest, QuestionRequest
from assistant.errors import InputError
from assistant.evidence import Reading, split_statements
from assistant.explain import explain_level, explain_practice, parse_level_question, resolve_practice
from assistant.index import CatalogIndex
from assistant.interview.documents import (
    ADDED_TEXT,
    REMOVED_BY,
    REMOVED_TEXT,
    add_readings,
    document_id_of,
    find_document,
    forget,
    removal_summary,
    remover_of,
)
from assistant.interview.documents import summary as document_summary
from assistant.interview.messages import HELP, explain_proposal, render_proposal
from assistant.interview.planner import opening_for, plan_next_question, probe_indicators
from assistant.interview.review import check_review, parse_review
from assistant.interview.role import ROLE_WORDS, guess_role, read_role, role_ack, role_sentence
from assistant.interview.routing import SECTOR_WORDS, profile_matches, route_statements, suggest_industry, suggest_profile
from assistant.interview.state import (
    STATE_VERSION,
    Decision,
    InterviewState,
    PendingQuestion,
    PracticeProgress,
    Progress,
)
from assistant.interview.target_setting import (
    TARGETS_HELP,
    accept_drafted_targets,
    apply_profile,
    apply_target,
    check_target,
    parse_target_command,
    targets_text,
)
from assistant.proposals import Proposal, Turn, provenance, validate_proposal
from assistant.reading.cues import read_cues, split_clauses
from assistant.store import SessionStore
from assistant.targets import OBJECTIVE_QUESTIONS, propose_targets, read_objective

MAX_ANSWER_CHARS = 200_000


class Interview:
    """One interview session. Create with :meth:`start` or :meth:`resume`."""

    def __init__(
        self,
        state: InterviewState,
        catalog: Catalog,
        index: CatalogIndex,
        engine: Engine,
        store: SessionStore | None,
        transcript: list[Turn] | None = None,
        documents: list[Document] | None = None,
    ) -> None:
        self.state = state
        self.catalog = catalog
        self.index = index
        self.engine = engine
        self.store = store
        self.transcript: list[Turn] = transcript or []
        self.documents: dict[str, Document] = {d.id: d for d in documents or []}
        """The documents' passages (in the store; the state keeps only what each told the assistant)."""
        self._progress: Callable[[int, int], None] | None = None

    # ------------------------------------------------------------------ creation and persistence

    @classmethod
    def start(
        cls,
        catalog: Catalog,
        index: CatalogIndex,
        engine: Engine,
        store: SessionStore | None = None,
        *,
        system_name: str = "Unnamed IoT system",
        profile: str | None = None,
        industry: str | None = None,
        order: Literal["domain", "priority"] = "domain",
        budget: int = 3,
        ask_objectives: bool = True,
        reviewer: str = "assessor",
        session_id: str | None = None,
        practices: list[str] | None = None,
        team_id: str | None = None,
    ) -> Interview:
        """Start a new interview; the first question (the system description) is pending."""
        if profile is not None and profile not in catalog.profiles:
            raise InputError(f"unknown profile {profile!r}; known: {', '.join(sorted(catalog.profiles))}")
        if budget < 1:
            raise InputError("the question budget must be at least 1 answer per practice")
        sid = session_id or uuid.uuid4().hex[:16]
        practice_order = list(catalog.practices)
        if practices is not None:
            unknown = [p for p in practices if p not in catalog.practices]
            if unknown or not practices:
                raise InputError(f"unknown practice(s) {', '.join(unknown) or '(none given)'}; use IDs from `smm catalog list`")
            practice_order = [p for p in practice_order if p in practices]
        if order == "priority" and profile is not None:
            tmpl = catalog.profiles[profile].targets
            practice_order.sort(key=lambda p: -tmpl[p].level if p in tmpl else 0)
        assessment = Assessment(
            metadata=AssessmentMetadata(
                system_name=system_name,
                industry=industry or (catalog.profiles[profile].industry if profile else None),
                profile=profile,
                assessors=[reviewer],
                catalog_version=catalog.version,
            )
        )
        if profile:
            assessment.targets.profile = profile
        state = InterviewState(
            session_id=sid,
            system_name=system_name,
            industry=assessment.metadata.industry,
            profile=profile,
            order=practice_order,
            practices={p: PracticeProgress(practice=p) for p in practice_order},
            assessment=assessment,
            budget=budget,
            ask_objectives=ask_objectives,
            reviewer=reviewer,
            team_id=team_id,
        )
        iv = cls(state, catalog, index, engine, store)
        assessment.log("interview.started", actor=reviewer, session=sid, engine=engine.name, model=engine.model)
        first = iv._ask(
            PendingQuestion(
                kind="context",
                text=(
                    "Tell me about the system you want to assess, in your own words: what it does, who uses it, how it is "
                    "connected, and who builds and runs it. Write as much as you like; I will pick out what matters "
                    "for each security practice. (Type `help` at any time for commands.)"
                ),
            )
        )
        if store is not None:
            # One transaction: a crash never leaves a session without its first question.
            store.create(sid, state.model_dump(mode="json"), system_name=system_name, phase=state.phase, turns=[first])
        iv.transcript.append(first)  # as a resume would show it
        return iv

    @classmethod
    def resume(cls, session_id: str, catalog: Catalog, index: CatalogIndex, engine: Engine, store: SessionStore) -> Interview:
        """Load a session; inputs saved but not yet processed (a crash) are processed now."""
        sid = store.resolve(session_id)
        raw, processed, turns = store.load(sid)
        if raw.get("version", 0) > STATE_VERSION:
            raise InputError(f"session {sid} was saved by a newer version of the assistant; upgrade to resume it")
        state = InterviewState.model_validate(raw)
        # Replies are stored after their input (higher seq) in the same commit as processed_seq: only inputs
        # newer than processed_seq are unprocessed; every assistant turn in the store is done.
        done_turns = [t for seq, t in turns if seq <= processed or t.role not in ("stakeholder", "reviewer")]
        iv = cls(state, catalog, index, engine, store, done_turns, store.documents(sid))
        # Replay each unprocessed input against the saved state; its reply is committed with the new state.
        for seq, t in turns:
            if seq > processed and t.role in ("stakeholder", "reviewer"):
                # The input took its turn number before the crash; replies must number after it.
                m = re.fullmatch(r"t(\d+)", t.id)
                if m:
                    iv.state.turn_counter = max(iv.state.turn_counter, int(m.group(1)))
                iv.transcript.append(t)
                replies = iv._process(t)
                store.commit_reply(sid, seq, replies, iv.state.model_dump(mode="json"), phase=iv.state.phase)
                iv.transcript.extend(replies)
        return iv

    def _next_turn_id(self) -> str:
        self.state.turn_counter += 1
        return f"t{self.state.turn_counter}"

    def _turn(self, role: str, text: str, kind: str, practice: str | None = None) -> Turn:
        return Turn(id=self._next_turn_id(), role=role, text=text, kind=kind, practice=practice)

    def _ask(self, q: PendingQuestion) -> Turn:
        self.state.pending = q
        return self._turn("assistant", q.text, "question", q.practice)

    def _input(self, role: str, text: str, kind: str, save: Callable[[Turn], int] | None = None) -> list[Turn]:
        turn = self._turn(role, text, kind, self._current_practice_id())
        seq = 0
        if self.store is not None:
            seq = save(turn) if save is not None else self.store.append_input(self.state.session_id, turn)
        self.transcript.append(turn)
        replies = self._process(turn)
        if self.store is not None:
            self.store.commit_reply(
                self.state.session_id, seq, replies, self.state.model_dump(mode="json"), phase=self.state.phase
            )
        self.transcript.extend(replies)
        return replies

    # ------------------------------------------------------------------ public API

    @property
    def session_id(self) -> str:
        """The session ID."""
        return self.state.session_id

    @property
    def pending(self) -> PendingQuestion | None:
        """The question awaiting an answer."""
        return self.state.pending

    @property
    def finished(self) -> bool:
        """Whether the interview is done."""
        return self.state.phase == "done"

    def say(self, text: str) -> list[Turn]:
        """The stakeholder says something: an answer, or a command such as ``explain`` or ``done``."""
        if not isinstance(text, str):
            raise InputError("an answer must be text")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates (from a terminal's undecodable bytes) cannot be stored
            raise InputError("that answer holds characters that are not valid text; type or paste it again") from None
        if len(text) > MAX_ANSWER_CHARS:
            raise InputError(
                f"that answer is {len(text):,} characters; split it into answers under {MAX_ANSWER_CHARS:,} characters"
            )
        return self._input("stakeholder", text, "answer")

    def add_document(self, document: Document, *, progress: Callable[[int, int], None] | None = None) -> list[Turn]:
        """Add a document as evidence: stored whole with the input turn, then read (``progress`` gets statements done, total)."""
        self.check_new_document(document)
        self.documents[document.id] = document
        store = self.store
        save = (lambda t: store.append_document(self.state.session_id, t, document)) if store is not None else None
        self._progress = progress
        try:
            return self._input("stakeholder", ADDED_TEXT.format(name=document.name, id=document.id), "document", save)
        finally:
            self._progress = None

    def check_new_document(self, document: Document) -> None:
        """Refuse a document the session already has (the same bytes under any name)."""
        if any(d.id == document.id for d in self.state.documents):
            raise InputError(f"{document.name}: this document is already part of the session (as {self._doc_name(document.id)})")

    def remove_document(self, key: str, *, reviewer: str | None = None) -> list[Turn]:
        """Forget a document everywhere: its text in the store, its readings, and proposals drafted with it.

        ``reviewer`` is who removes it (default: whoever started the interview), recorded in the history."""
        info = find_document(self.state, key)
        if info is None:
            known = ", ".join(f"{d.name} [{d.id}]" for d in self.state.documents) or "none"
            raise InputError(f"no document {key!r} in this session; its documents: {known}")
        store = self.store
        save = (lambda t: store.append_removal(self.state.session_id, t, info.id)) if store is not None else None
        text = REMOVED_TEXT.format(name=info.name, id=info.id) + (REMOVED_BY.format(who=reviewer) if reviewer else "")
        return self._input("reviewer", text, "document-removed", save)

    def document_index(self) -> SessionDocumentIndex:
        """The session's passages in Chroma (beside the catalog index, same client and embeddings)."""
        return SessionDocumentIndex(self.index.client, self.index.embeddings, self.state.session_id)

    def search_documents(self, query: str, k: int = 5) -> list[PassageHit]:
        """The session's passages closest to ``query`` (the collection is brought in line with the store first)."""
        idx = self.document_index()
        idx.sync(list(self.documents.values()))
        return idx.search(query, k)

    def passage_texts(self) -> dict[str, str]:
        """Every stored passage by its reference (``doc:<id>:<n>``), for checking document quotes."""
        return {passage_ref(d.id, p.number): p.text for d in self.documents.values() for p in d.passages}

    def _doc_name(self, doc_id: str) -> str:
        return next((d.name for d in self.state.documents if d.id == doc_id), doc_id)

    def review(
        self,
        decision: Decision,
        *,
        practice: str | None = None,
        level: int | None = None,
        scope: str | None = None,
        reason: str | None = None,
        reviewer: str | None = None,
    ) -> list[Turn]:
        """Decide on the proposal awaiting review: accept, modify, reject (ask again), not applicable, or defer."""
        pid = practice or self._review_practice()
        if pid is None:
            raise InputError("there is no proposal awaiting review")
        payload = {"decision": decision, "practice": pid, "level": level, "scope": scope, "reason": reason, "reviewer": reviewer}
        check_review(self.state, payload)
        return self._input("reviewer", json.dumps(payload), "review")

    def set_target(
        self,
        target: str,
        level: int | None,
        scope: str | None = None,
        *,
        reason: str | None = None,
        not_applicable: bool = False,
        reviewer: str | None = None,
    ) -> list[Turn]:
        """Set a target for a practice, subdomain (``H1``) or domain (``H``)."""
        payload = {
            "target": target,
            "level": level,
            "scope": scope or "general",
            "reason": reason,
            "not_applicable": not_applicable,
            "reviewer": reviewer,
        }
        check_target(self.catalog, payload)  # validate before saving the input
        return self._input("reviewer", json.dumps(payload), "target")

    def accept_targets(self, *, reviewer: str | None = None) -> list[Turn]:
        """Accept the drafted targets in one step, recorded in ``reviewer``'s name (default: whoever started).

        The same as replying `accept targets` while the targets are shown, but with the reviewer's identity (the app
        passes the signed-in person's); saved and replayed like every other reviewer input.
        """
        if self.state.pending is None or self.state.pending.kind != "targets":
            raise InputError("there are no drafted targets to accept right now")
        return self._input("reviewer", json.dumps({"reviewer": reviewer}), "targets-accepted")

    def set_profile(self, profile: str | None, *, reviewer: str | None = None) -> list[Turn]:
        """Use ``profile``'s target template for every practice without a target of its own (``None``: no template).

        The template is the lowest layer of target inheritance (practice > subdomain > domain > profile),
        so targets set by hand always win. Saved and replayed like every other reviewer input.
        """
        if profile is not None and profile not in self.catalog.profiles:
            raise InputError(f"unknown profile {profile!r}; known: {', '.join(sorted(self.catalog.profiles))}")
        return self._input("reviewer", json.dumps({"profile": profile, "reviewer": reviewer}), "profile-set")

    def progress(self) -> Progress:
        """Counts for a progress display."""
        ps = self.state.practices.values()
        return Progress(
            total=len(self.state.order),
            confirmed=sum(1 for p in ps if p.status in ("confirmed", "not_applicable")),
            awaiting_review=sum(1 for p in ps if p.status == "proposed"),
            skipped=sum(1 for p in ps if p.status == "skipped"),
            current=self._current_practice_id(),
            phase=self.state.phase,
        )

    def assessment(self) -> Assessment:
        """The assessment: targets and confirmed ratings, plus proposals awaiting review marked as such."""
        a = self.state.assessment.model_copy(deep=True)
        for pid, pp in self.state.practices.items():
            if pp.status == "proposed" and pp.proposal is not None and not pp.proposal.insufficient and pid not in a.current:
                a.current[pid] = CurrentRating(
                    value=pp.proposal.as_rating(),
                    status="proposed",
                    provenance=self._provenance(pp.proposal, "accept", None, "pending review"),
                )
        return a

    def proposals_awaiting_review(self) -> list[Proposal]:
        """Proposals that wait for a decision."""
        return [pp.proposal for pp in self.state.practices.values() if pp.status == "proposed" and pp.proposal is not None]

    def undecided(self) -> list[str]:
        """Practices without a decision yet (left for later, skipped, awaiting review or never reached)."""
        return [pid for pid in self.state.order if self.state.practices[pid].status not in ("confirmed", "not_applicable")]

    def evidence(self, practice: str) -> list[Reading]:
        """The readings collected for a practice."""
        return list(self.state.practices[practice].readings)

    # ------------------------------------------------------------------ processing

    def _current_practice_id(self) -> str | None:
        if self.state.phase in ("practices", "review") and self.state.current < len(self.state.order):
            return self.state.order[self.state.current]
        return None

    def _review_practice(self) -> str | None:
        if self.state.phase == "review":
            return self._current_practice_id()
        waiting = self.proposals_awaiting_review()
        return waiting[0].practice if waiting else None

    def _process(self, turn: Turn) -> list[Turn]:
        if turn.kind == "document":
            return self._on_document(turn)
        if turn.kind == "document-removed":
            return self._on_document_removed(turn)
        if turn.role == "reviewer":
            payload = json.loads(turn.text)
            if turn.kind == "target":
                return self._apply_target(payload)
            if turn.kind == "profile-set":
                return self._apply_profile(payload)
            if turn.kind == "targets-accepted":
                if self.state.phase != "targets":
                    return [self._turn("assistant", "The targets were settled already.", "info")]
                return self._accept_targets(payload.get("reviewer") or self.state.reviewer)
            return self._apply_review(payload)
        text = turn.text
        command = self._command(text)
        if command is not None:
            return command
        phase = self.state.phase
        if phase in ("objectives", "targets", "practices", "review") and is_question_to_assistant(text):
            # "What do you mean by ...?" is a question, not evidence (issue 14, item 13): answer it from the
            # catalog and ask again; it is never read as a statement about practice.
            return self._answer_question(text)
        if phase == "context":
            return self._on_context(turn)
        if phase == "profile":
            return self._on_profile(turn)
        if phase == "objectives":
            return self._on_objective(turn)
        if phase == "targets":
            return self._on_targets(turn)
        if phase == "review":
            review = self.parse_decision(text)
            if review is not None:
                try:
                    check_review(self.state, review)
                except InputError as exc:
                    # The input is saved already: answer with the problem rather than raise, so the
                    # turn counts as processed and a resume does not replay (and fail on) it forever.
                    return [self._turn("assistant", str(exc), "error")]
                return self._apply_review(review)
            return self._on_extra_evidence(turn)
        if phase == "practices":
            return self._on_answer(turn)
        return self._reopen_undecided()

    def _reopen_undecided(self) -> list[Turn]:
        """After the end, practices left for later, skipped or awaiting review stay reachable (issue 14, item 10)."""
        undecided = self.undecided()
        if not undecided:
            return [
                self._turn(
                    "assistant", "The interview is finished. Use `smm report` or the dashboard to see the results.", "info"
                )
            ]
        pid = undecided[0]
        pp = self.state.practices[pid]
        self.state.current = self.state.order.index(pid)
        names = ", ".join(f"{p} {self.catalog.practices[p].name}" for p in undecided[:6])
        intro = self._turn("assistant", f"Not yet decided: {names}. Let us take {pid} now.", "info")
        if pp.status == "proposed" and pp.proposal is not None:
            self.state.phase = "review"
            return [
                intro,
                self._turn("assistant", self.render_proposal(pp.proposal), "proposal", pid),
                *self._review_prompt(pp.proposal),
            ]
        pp.status = "asking"
        pp.answers = 0
        self.state.phase = "practices"
        return [intro, *self._next_question()]

    # -- commands

    def _command(self, text: str) -> list[Turn] | None:
        t = text.strip()
        low = t.lower().lstrip("/").strip()
        word = low.rstrip(".!?")
        if word in ("help", "?", "commands"):
            return [self._turn("assistant", HELP, "info")]
        if word == "status":
            return [self._turn("assistant", self._status_text(), "status")]
        if word == "why":
            return [self._turn("assistant", self._why_text(), "explain")]
        if word == "skip":
            return self._skip()
        if word == "back":
            return self._back()
        if word in ("done", "finish", "stop"):
            return self._finish()
        m = re.fullmatch(r"role\s+(maker|operator|both)", word)
        if m:
            self.state.role = m.group(1)  # type: ignore[assignment]
            self.state.assessment.log("context.role", actor="stakeholder", role=self.state.role)
            reply = self._turn("assistant", role_ack(self.state.role), "info")
            return [reply, self._ask(self.state.pending)] if self.state.pending is not None else [reply]
        if low.startswith("explain") or re.match(r"^(what|which)\b.*\b(level|require)", low):
            return [self._turn("assistant", self._explain(t), "explain"), *self._notices()]
        return None

    def _explain(self, text: str) -> str:
        body = re.sub(r"^/?explain\b", "", text.strip(), flags=re.I).strip()
        name, level = parse_level_question(body)
        current = self._current_practice_id()
        try:
            if not name and current is None:
                return "Name a practice to explain, for example `explain patch management level 3`."
            target = name or current or ""
            if level is None:
                catalog_text = explain_practice(self.catalog, target)
            elif level == 0:
                return "Level 0 means the practice is not done at all. Ask about levels 1 to 4."
            else:
                catalog_text = explain_level(self.catalog, target, level).to_markdown()
        except InputError as exc:
            return str(exc)
        # A model engine answers the question as asked, in plain words and from cited catalog text; the
        # catalog's full text follows either way, so the answer never rests on the model alone.
        answer = getattr(self.engine, "answer_question", None)
        if callable(answer) and body:
            said = answer(text.strip(), resolve_practice(self.catalog, target).id, level)
            if isinstance(said, str) and said.strip():
                return f"{said.strip()}\n\n---\n\n{catalog_text}"
        return catalog_text

    def _answer_question(self, text: str) -> list[Turn]:
        pending = self.state.pending
        pid = self._current_practice_id()
        if pid is not None:
            level = pending.level if pending is not None and pending.level >= 1 else None
            body = self._explain(f"explain {pid}" + (f" level {level}" if level else ""))
            answer = f"That is a question for me, so I did not take it as an answer. Here is what the catalog says:\n\n{body}"
        elif self.state.phase == "objectives":
            answer = (
                "That is a question for me, so I did not take it as an answer. These questions set your targets: how much "
                "security risk the business can carry (risk appetite), the worst harm a failure could cause and the rules "
                "that apply. Higher targets cost more; answer in your own words, or type `skip`."
            )
        else:
            answer = "That is a question for me, so I did not take it as an answer. Type `help` for what you can do here."
        out = [self._turn("assistant", answer, "explain")]
        if pending is not None:
            out.append(self._ask(pending))
        return out

    def _status_text(self) -> str:
        pr = self.progress()
        lines = [
            f"Phase: {pr.phase}. Confirmed {pr.confirmed} of {pr.total}; awaiting review {pr.awaiting_review}; skipped {pr.skipped}."
        ]
        for pid in self.state.order:
            pp = self.state.practices[pid]
            mark = {"confirmed": "confirmed", "not_applicable": "n/a", "proposed": "awaiting review", "skipped": "skipped"}.get(
                pp.status, ""
            )
            cur = self.state.assessment.current.get(pid)
            value = f" = {cur.value.label()}" if cur else ""
            here = "  <- now" if pid == pr.current else ""
            lines.append(f"- {pid} {self.catalog.practices[pid].name}: {mark or pp.status}{value}{here}")
        return "\n".join(lines)

    def _why_text(self) -> str:
        pid = self.state.last_proposal
        if pid is None or self.state.practices[pid].proposal is None:
            return "No proposal has been made yet."
        return explain_proposal(self.catalog, self.state.practices[pid].proposal, self.state.practices[pid].readings)  # type: ignore[arg-type]

    def _skip(self) -> list[Turn]:
        pid = self._current_practice_id()
        if pid is None:
            if self.state.phase == "objectives":
                self.state.ask_objectives = False
                return [
                    self._turn("assistant", "Skipping the objectives; targets can be set later.", "info"),
                    *self._start_practices(),
                ]
            if self.state.phase in ("profile", "targets"):
                return [self._turn("assistant", "Skipped.", "info"), *self._after_profile()]
            return [self._turn("assistant", "Nothing to skip here.", "info")]
        pp = self.state.practices[pid]
        if pp.status not in ("confirmed", "not_applicable"):
            pp.status = "skipped"
        self.state.assessment.log("practice.skipped", actor="stakeholder", practice=pid)
        return [
            self._turn("assistant", f"Skipped {pid} {self.catalog.practices[pid].name}; you can come back to it.", "info"),
            *self._advance(),
        ]

    def _back(self) -> list[Turn]:
        if self.state.phase not in ("practices", "review") or self.state.current == 0:
            return [self._turn("assistant", "There is no earlier practice to go back to.", "info")]
        cur = self._current_practice_id()
        if cur and self.state.practices[cur].status in ("asking", "proposed"):
            self.state.practices[cur].status = "pending"
        self.state.current -= 1
        pid = self.state.order[self.state.current]
        pp = self.state.practices[pid]
        pp.answers = 0
        note = ""
        if pp.status in ("confirmed", "not_applicable"):
            # Going back reopens the practice (issue 14: `back` used to announce it and then jump ahead): its
            # confirmed rating stays until a new decision replaces it.
            pp.must_ask = max(pp.must_ask, 1)
            cur_rating = self.state.assessment.current.get(pid)
            note = f" Its confirmed rating ({cur_rating.value.label()}) stays until you decide again." if cur_rating else ""
        pp.status = "asking"
        self.state.phase = "practices"
        return [
            self._turn("assistant", f"Back to {pid} {self.catalog.practices[pid].name}.{note}", "info"),
            *self._next_question(),
        ]

    def _finish(self) -> list[Turn]:
        self.state.phase = "done"
        self.state.pending = None
        a = self.state.assessment
        a.log("interview.finished", actor="stakeholder")
        n = len(a.current)
        waiting = len(self.proposals_awaiting_review())
        open_ = self.undecided()
        msg = (
            f"Interview finished. {n} practice(s) have a confirmed rating"
            + (f"; {waiting} proposal(s) still await review and are not scored" if waiting else "")
            + (f"; not yet decided: {', '.join(open_)} (type `continue` to take them up)" if open_ else "")
            + (
                f". Your part of the team assessment is done: the lead reviews everyone's answers together with "
                f"`smm team review {self.state.team_id}`."
                if self.state.team_id
                else ". Export the assessment and a report with `smm report`, or open the dashboard."
            )
        )
        return [self._turn("assistant", msg, "done")]

    # -- documents

    def _on_document(self, turn: Turn) -> list[Turn]:
        doc = self.documents.get(document_id_of(turn.text) or "")
        if doc is None:
            # Removed (or never stored) before this input was processed: nothing to read.
            return [self._turn("assistant", "That document is no longer stored, so it was not read.", "info"), *self._re_ask()]
        readings = read_document_evidence(
            doc, self.catalog, self.index, self.engine, set(self.state.practices), self.transcript, progress=self._progress
        )
        info = add_readings(self.state, doc, readings, turn.id)
        self._sync_document_index()
        self.state.assessment.log(
            "document.added", actor="stakeholder", document=doc.name, sha256=doc.sha256, statements=sum(info.statements.values())
        )
        redrafted = self._redraft(list(readings), f"after reading {doc.name}")
        out = [self._turn("assistant", document_summary(self.catalog, info, redrafted), "info")]
        return [*out, *self._notices(), *self._re_ask(set(readings))]

    def _on_document_removed(self, turn: Turn) -> list[Turn]:
        doc_id = document_id_of(turn.text) or ""
        info = next((d for d in self.state.documents if d.id == doc_id), None)
        self.documents.pop(doc_id, None)
        if info is None:
            return [self._turn("assistant", "That document was already removed.", "info"), *self._re_ask()]
        affected = forget(self.state, doc_id)
        self._sync_document_index()
        actor = remover_of(turn.text) or self.state.reviewer
        self.state.assessment.log("document.removed", actor=actor, document=info.name, sha256=info.sha256)
        redrafted = self._redraft(affected, f"after removing {info.name}")
        confirmed = [p for p in affected if self.state.practices[p].status in ("confirmed", "not_applicable")]
        out = [self._turn("assistant", removal_summary(info, affected, redrafted, confirmed), "info")]
        return [*out, *self._re_ask(set(affected))]

    def _sync_document_index(self) -> None:
        """Bring the session's Chroma collection in line with its stored documents (only a store-backed session has one).

        The collection is derived data: if Chroma fails here, the document is still stored and read, and the
        next search rebuilds the collection from the store."""
        if self.store is None:
            return
        try:
            self.document_index().sync(list(self.documents.values()))
        except Exception as exc:  # a Chroma server that is down must not lose the input
            self.state.notices.append(
                f"The document search index could not be updated ({type(exc).__name__}); it is rebuilt later."
            )

    def _redraft(self, practices: list[str], why: str) -> list[str]:
        """Draft proposals awaiting review again when their evidence changed; returns those that changed."""
        changed = []
        for pid in practices:
            pp = self.state.practices[pid]
            if pp.status != "proposed" or pp.proposal is None:
                continue
            old = pp.proposal
            new = self._draft(self.catalog.practices[pid], pp)
            if (new.level, new.not_applicable, [c.id for c in new.indicators]) != (
                old.level,
                old.not_applicable,
                [c.id for c in old.indicators],
            ):
                new = new.model_copy(update={"notes": [*new.notes, f"Drafted again {why}."]})
                changed.append(pid)
            pp.proposal = new
        return changed

    def _re_ask(self, affected: set[str] | None = None) -> list[Turn]:
        """Ask the pending question again, or plan afresh when new evidence concerns the practice being asked about."""
        pending = self.state.pending
        if pending is None:
            return []
        if (
            affected
            and pending.kind == "practice"
            and pending.practice in affected
            and self.state.practices[pending.practice].answers == 0
            and pending.probe_id in self.state.practices[pending.practice].asked
        ):
            # The question was asked before the document said something about it: choose the question again.
            self.state.practices[pending.practice].asked.remove(pending.probe_id)
            return self._next_question()
        return [self._ask(pending)]

    # -- context, profile, objectives, targets

    def _on_context(self, turn: Turn) -> list[Turn]:
        text = turn.text.strip()
        if not text:
            return [
                self._ask(
                    self.state.pending or PendingQuestion(kind="context", text="Please describe the system in a few sentences.")
                )
            ]
        self.state.assessment.metadata.system_description = turn.text
        self.state.role = self.state.role or guess_role(turn.text)
        routed = self._route_statements(turn, split_statements(turn.text))
        self.state.suggested_industry = self._suggest_industry(text)
        self.state.suggested_profile = suggest_profile(self.catalog, text, self.state.suggested_industry)
        self.state.assessment.log("context.described", actor="stakeholder", statements_routed=routed)
        found = [pid for pid, pp in self.state.practices.items() if any(r.turn_id == turn.id for r in [*pp.readings, *pp.heard])]
        summary = (
            f"Thank you. I noted {routed} statement(s) as evidence for {len(found)} practice(s)"
            + (f" ({', '.join(found[:8])}{'...' if len(found) > 8 else ''})" if found else "")
            + "; I will not ask again what you already told me."
        )
        out = [self._turn("assistant", summary, "info")]
        if self.state.profile is None and self.state.industry is None:
            ind = self.state.suggested_industry
            prof = self.state.suggested_profile
            guess = f"It sounds like the {ind} industry" if ind else "I could not tell the industry"
            if prof:
                words = profile_matches(self.catalog, text, ind).get(prof, [])
                guess += (
                    f", and our example profile '{prof}' ({self.catalog.profiles[prof].title}) looks close "
                    f"(you mentioned {', '.join(words[:4])})"
                )
            else:
                guess += "; none of our example profiles fits, which is fine: targets come from your answers"
            role = self.state.role
            made = f" It also sounds like {ROLE_WORDS[role]}." if role else ""
            q = (
                f"{guess}.{made} Is that right? Answer `yes`, or name the industry "
                f"({', '.join(SECTOR_WORDS)}) and optionally a profile ({', '.join(sorted(self.catalog.profiles))}), or `no`; "
                "say too whether you `make` the devices, `run` devices others make, or `both`."
            )
            out.append(self._ask(PendingQuestion(kind="profile", text=q)))
            self.state.phase = "profile"
            return out
        out.append(self._turn("assistant", role_sentence(self.state.role), "info"))
        return [*out, *self._after_profile()]

    def _route_statements(self, turn: Turn, statements: list[str]) -> int:
        routed, heard = route_statements(
            self.catalog, self.index, self.engine, turn, statements, set(self.state.practices), self.transcript
        )
        for pid, readings in routed.items():
            self.state.practices[pid].readings.extend(readings)
        for pid, readings in heard.items():
            self.state.practices[pid].heard.extend(readings)
        return sum(len(r) for r in routed.values()) + sum(len(r) for r in heard.values())

    def _suggest_industry(self, text: str) -> str | None:
        return suggest_industry(text)

    def _on_profile(self, turn: Turn) -> list[Turn]:
        low = turn.text.strip().lower()
        if re.match(r"^(y|yes|yeah|yep|correct|right|sure|ok|okay)\b", low):
            self.state.industry = self.state.suggested_industry
            self.state.profile = self.state.suggested_profile
        elif not re.match(r"^(n|no|nope)\b", low):
            # Only what the reply affirms counts: "we are not in the car, so the automotive one is not us"
            # names automotive to deny it (issue 14, item 15).
            clauses = [c for c in split_clauses(turn.text) if c.strip()]
            affirmed = " ".join(c for c in clauses if read_cues(c).polarity == "positive").lower()
            denied = len(affirmed) < len(" ".join(clauses).lower())
            fallback = None if denied else self.state.suggested_industry
            self.state.industry = next((s for s in SECTOR_WORDS if s in affirmed), fallback)
            self.state.profile = next((p for p in self.catalog.profiles if p in affirmed), None)
        said_role = read_role(turn.text, "")
        if said_role is not None:
            self.state.role = said_role
        meta = self.state.assessment.metadata
        meta.industry = self.state.industry
        meta.profile = self.state.profile
        if self.state.profile:
            self.state.assessment.targets.profile = self.state.profile
        self.state.assessment.log(
            "context.confirmed", actor="stakeholder", industry=self.state.industry, profile=self.state.profile
        )
        ack = (
            f"Industry: {self.state.industry or 'not set'}; profile: {self.state.profile or 'none'}. {role_ack(self.state.role)}"
        )
        return [self._turn("assistant", ack, "info"), *self._after_profile()]

    def _after_profile(self) -> list[Turn]:
        if self.state.ask_objectives:
            self.state.phase = "objectives"
            key, q = OBJECTIVE_QUESTIONS[0]
            lead = "Now a few questions about what the business needs, to set the targets. (`skip` to do this later.)\n\n"
            return [self._ask(PendingQuestion(kind="objective", text=lead + q, key=key))]
        return self._start_practices()

    def _on_objective(self, turn: Turn) -> list[Turn]:
        pending = self.state.pending
        key = pending.key if pending is not None and pending.key else OBJECTIVE_QUESTIONS[0][0]
        self.state.objectives = read_objective(key, turn.text, self.state.objectives)
        keys = [k for k, _ in OBJECTIVE_QUESTIONS]
        i = keys.index(key)
        if i + 1 < len(keys):
            k2, q2 = OBJECTIVE_QUESTIONS[i + 1]
            return [self._ask(PendingQuestion(kind="objective", text=q2, key=k2))]
        proposed = propose_targets(self.catalog, self.state.objectives, self.state.profile)
        self.state.proposed_targets = [p.model_dump(mode="json") for p in proposed]
        self.state.phase = "targets"
        return [self._ask(PendingQuestion(kind="targets", text=self._targets_text()))]

    def _targets_text(self) -> str:
        return targets_text(self.catalog, self.state)

    def _on_targets(self, turn: Turn) -> list[Turn]:
        payload = parse_target_command(turn.text, self.state.reviewer)
        if payload is not None:
            try:
                check_target(self.catalog, payload)
            except InputError as exc:
                return [self._turn("assistant", f"{exc}", "error"), self._ask(self.state.pending)]  # type: ignore[arg-type]
            replies = self._apply_target(payload)
            return [*replies, self._ask(PendingQuestion(kind="targets", text=self._targets_text()))]
        if re.match(r"^(accept|yes|ok|okay|fine|agree)", turn.text.strip().lower()):
            return self._accept_targets(self.state.reviewer)
        return [self._turn("assistant", TARGETS_HELP, "info"), self._ask(self.state.pending)]  # type: ignore[arg-type]

    def _accept_targets(self, actor: str) -> list[Turn]:
        """Record every drafted target not set by hand, in ``actor``'s name, and go on to the practices."""
        accept_drafted_targets(self.state, actor)
        return [self._turn("assistant", "Targets recorded.", "info"), *self._start_practices()]

    def _apply_target(self, payload: dict[str, Any]) -> list[Turn]:
        return [self._turn("assistant", apply_target(self.catalog, self.state, payload), "info")]

    def _apply_profile(self, payload: dict[str, Any]) -> list[Turn]:
        return [self._turn("assistant", apply_profile(self.catalog, self.state, payload), "info")]

    # -- practices

    def _start_practices(self) -> list[Turn]:
        self.state.phase = "practices"
        self.state.current = 0
        return self._next_question()

    def _advance(self) -> list[Turn]:
        """Move to the next practice that still needs questions (wrapping around), or finish."""
        n = len(self.state.order)
        for step in range(1, n + 1):
            i = (self.state.current + step) % n
            if self.state.practices[self.state.order[i]].status in ("pending", "asking"):
                self.state.current = i
                self.state.phase = "practices"
                return self._next_question()
        return self._finish()

    def _next_question(self) -> list[Turn]:
        pid = self.state.order[self.state.current]
        pp = self.state.practices[pid]
        practice = self.catalog.practices[pid]
        if pp.status in ("confirmed", "not_applicable"):
            return self._advance()
        first = pp.status == "pending" or not pp.asked
        pp.status = "asking"
        q = self._plan(practice, pp)
        if q is None:
            return self._propose(practice, pp)
        lead = None
        if first:
            k = len([p for p in self.state.order[: self.state.current + 1]])
            lead = f"**{pid} {practice.name}** ({k} of {len(self.state.order)}). {practice.objective}"
        text = self.engine.phrase(
            QuestionRequest(practice=practice, level=q[1], question=q[2], lead_in=lead, transcript=self.transcript)
        )
        pp.asked.append(q[0])
        return [self._ask(PendingQuestion(kind="practice", text=text, practice=pid, probe_id=q[0], level=q[1]))]

    def _plan(self, practice: Practice, pp: PracticeProgress) -> tuple[str, int, str] | None:
        return plan_next_question(practice, pp, self.state.budget, role=self.state.role)

    def _on_answer(self, turn: Turn) -> list[Turn]:
        pid = self._current_practice_id()
        pending = self.state.pending
        if pid is None or pending is None or pending.practice != pid:
            return self._next_question() if pid else self._advance()
        pp = self.state.practices[pid]
        practice = self.catalog.practices[pid]
        pp.answers += 1
        pp.total_answers += 1
        if turn.text.strip():
            readings = self.engine.interpret(
                InterpretRequest(
                    practice=practice,
                    question_level=pending.level,
                    question=pending.text,
                    answer=turn,
                    transcript=self.transcript,
                    question_indicators=probe_indicators(practice, pending.probe_id),
                )
            )
            pp.readings.extend(readings)
        out = self._notices()
        return [*out, *self._next_question()]

    def _on_extra_evidence(self, turn: Turn) -> list[Turn]:
        """Text during review that is not a decision is more evidence: read it and propose again."""
        pid = self._current_practice_id()
        if pid is None:
            return []
        pp = self.state.practices[pid]
        practice = self.catalog.practices[pid]
        if not turn.text.strip():
            return [
                self._turn(
                    "assistant",
                    "Please decide on the proposal: `accept`, `modify <level> because ...`, `reject`, `n/a because ...` or `later`.",
                    "info",
                )
            ]
        follow = pp.proposal.follow_up if pp.proposal and pp.proposal.follow_up else opening_for(practice, self.state.role)
        level = 0 if pp.proposal is None or pp.proposal.level is None else min(4, pp.proposal.level + 1)
        readings = self.engine.interpret(
            InterpretRequest(practice=practice, question_level=level, question=follow, answer=turn, transcript=self.transcript)
        )
        pp.readings.extend(readings)
        pp.total_answers += 1
        self.state.phase = "practices"
        return [*self._notices(), *self._propose(practice, pp)]

    def _propose(self, practice: Practice, pp: PracticeProgress) -> list[Turn]:
        proposal = self._draft(practice, pp)
        pp.proposal = proposal
        pp.status = "proposed"
        self.state.phase = "review"
        self.state.last_proposal = practice.id
        self.state.assessment.log(
            "proposal.made",
            actor=proposal.engine,
            practice=practice.id,
            level=proposal.level,
            scope=proposal.scope,
            proposal_id=proposal.id,
        )
        card = self.render_proposal(proposal)
        return [*self._notices(), self._turn("assistant", card, "proposal", practice.id), *self._review_prompt(proposal)]

    def _draft(self, practice: Practice, pp: PracticeProgress) -> Proposal:
        """The engine's proposal for a practice, validated (the guided engine's when the engine's fails)."""
        follow_q = self._plan(practice, pp.model_copy(update={"answers": 0}))
        request = ProposalRequest(
            practice=practice,
            readings=pp.readings,
            transcript=self.transcript,
            industry=self.state.industry,
            budget_spent=pp.answers >= self.state.budget,
            follow_up=follow_q[2] if follow_q else None,
            asked=sorted({i for q in pp.asked for i in probe_indicators(practice, q)}),
        )
        proposal = self.engine.propose(request)
        problems = validate_proposal(proposal, self.catalog, self.transcript, self.passage_texts())
        if problems:
            # Engines validate their own output; this is the last line of defence for the guarantees.
            from assistant.engines.guided import GuidedEngine

            if isinstance(self.engine, GuidedEngine):
                # Nothing to fall back to: show the draft with what failed, so the reviewer checks those citations.
                proposal = proposal.model_copy(update={"fallback": f"guided proposal failed validation: {'; '.join(problems)}"})
                self.state.notices.append(f"This draft failed a check ({problems[0]}); check its citations before you accept it.")
            else:
                fallback = GuidedEngine(self.catalog, self.index).propose(request)
                proposal = fallback.model_copy(
                    update={"fallback": f"{self.engine.name} proposal rejected: {'; '.join(problems)}"}
                )
                self.state.notices.append(
                    "The model's proposal failed validation; the guided engine's proposal is shown instead."
                )
        if pp.rejected:
            proposal = proposal.model_copy(update={"notes": [*proposal.notes, _since_rejection(pp.rejected[-1], proposal)]})
        return proposal

    def _review_prompt(self, proposal: Proposal) -> list[Turn]:
        prompt = (
            "Decide: `accept`, `modify <level> [scope] because <reason>`, `reject` (ask again), `n/a because <reason>`, or `later`."
            if not proposal.insufficient
            else "Answer the question above, or decide: `modify <level> because <reason>`, `n/a because <reason>`, or `skip`."
        )
        return [self._ask(PendingQuestion(kind="review", text=prompt, practice=proposal.practice))]

    def _notices(self) -> list[Turn]:
        # An engine that falls back for a step (the llm engine) says so through drain_notices().
        drain = getattr(self.engine, "drain_notices", None)
        if callable(drain):
            self.state.notices.extend(n for n in drain() if n not in self.state.notices)
        out = [self._turn("assistant", n, "notice") for n in self.state.notices]
        self.state.notices = []
        return out

    def render_proposal(self, p: Proposal) -> str:
        """A proposal as a Markdown card (see :func:`assistant.interview.messages.render_proposal`)."""
        return render_proposal(self.catalog, p)

    # -- review

    def parse_decision(self, text: str) -> dict[str, Any] | None:
        """A typed review decision about the current practice (:func:`~assistant.interview.review.parse_review`)."""
        return parse_review(text, self._current_practice_id())

    def _provenance(self, p: Proposal | None, decision: str, reason: str | None, reviewer: str) -> Provenance:
        return provenance(
            p,
            decision=decision,
            reason=reason,
            reviewer=reviewer,
            catalog_version=self.catalog.version,
            session_id=self.state.session_id,
        )

    def _apply_review(self, payload: dict[str, Any]) -> list[Turn]:
        pid = str(payload["practice"])
        pp = self.state.practices[pid]
        practice = self.catalog.practices[pid]
        decision = payload["decision"]
        reviewer = payload.get("reviewer") or self.state.reviewer
        reason = payload.get("reason")
        proposal = pp.proposal if pp.status == "proposed" else None
        a = self.state.assessment
        if decision == "defer":
            a.log("proposal.deferred", actor=reviewer, practice=pid)
            msg = f"{pid} stays awaiting review; it is not scored until you decide."
            return [self._turn("assistant", msg, "info"), *self._after_review(pid)]
        if decision == "reject":
            assert proposal is not None
            pp.rejected.append(proposal)
            pp.proposal = None
            pp.status = "asking"
            pp.answers = 0
            pp.must_ask = 1
            a.log("proposal.rejected", actor=reviewer, practice=pid, proposal_id=proposal.id, reason=reason)
            self.state.phase = "practices"
            self.state.current = self.state.order.index(pid)
            return [self._turn("assistant", f"Rejected. Let us look at {practice.name} again.", "info"), *self._next_question()]
        if decision == "accept":
            assert proposal is not None
            value = proposal.as_rating()
            prov = self._provenance(proposal, "accept", reason, reviewer)
        elif decision == "modify":
            scope = payload.get("scope") or (proposal.scope if proposal is not None else "general")
            value = Rating(level=int(payload["level"]), scope=scope)
            prov = self._provenance(proposal, "modify", reason, reviewer)
        else:
            value = Rating(not_applicable=True, reason=reason)
            prov = self._provenance(proposal, "not_applicable", reason, reviewer)
        a.current[pid] = CurrentRating(value=value, status="confirmed", provenance=prov)
        pp.status = "not_applicable" if value.not_applicable else "confirmed"
        a.log(
            f"rating.{'confirmed' if decision == 'accept' else decision}",
            actor=reviewer,
            practice=pid,
            value=value.label(),
            reason=reason,
        )
        msg = f"Recorded {pid} {practice.name}: {value.label()}."
        return [self._turn("assistant", msg, "info"), *self._after_review(pid)]

    def _after_review(self, pid: str) -> list[Turn]:
        if self.state.phase == "review" and self._current_practice_id() == pid:
            return self._advance()
        return []


_QUESTION_START = re.compile(
    r"^\s*(?:what|why|how|which|who|where|when|is it|are you|do you|does (?:that|this|it)|can you|could you|would you|"
    r"should i|should we|what do you mean|sorry\W+what|i do ?n.?t understand)\b",
    re.I,
)


def is_question_to_assistant(text: str) -> bool:
    """Whether the stakeholder asked the assistant something instead of answering (a short text ending in "?")."""
    t = text.strip()
    return t.endswith("?") and len(t) <= 300 and bool(_QUESTION_START.match(t))


def _since_rejection(rejected: Proposal, new: Proposal) -> str:
    """What changed since the draft the reviewer rejected (issue 14: a rejected draft never comes back unexplained)."""
    old_quotes = {(q.turn_id, q.text) for q in rejected.quotes}
    added = [q.text for q in new.quotes if (q.turn_id, q.text) not in old_quotes]
    same = rejected.level == new.level and {c.id for c in rejected.indicators} == {c.id for c in new.indicators}
    if same and not added:
        return (
            f"This is the same draft you rejected (level {new.level}): nothing said since changed the evidence. "
            "If it is wrong, modify it and say why, or add what the assistant has not heard."
        )
    changes = []
    if rejected.level != new.level:
        changes.append(f"level {rejected.level} \u2192 {new.level}")
    if added:
        changes.append("new evidence: " + "; ".join(f"\u201c{t[:80]}\u201d" for t in added[:3]))
    if not changes:
        changes.append("other indicators are cited")
    return "Changed since the draft you rejected: " + ", ".join(changes) + "."
