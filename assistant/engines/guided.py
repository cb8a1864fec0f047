"""The ``guided`` engine: deterministic, explainable, no model.

It asks the catalog's own questions, reads answers with a small lexicon of everyday language
(yes / no / partly / "we plan to" / "I don't know"; frequency and formality cues such as "written
down", "every release", "audited") plus retrieval against the practice's indicators, and proposes
the level the evidence supports, cumulatively and conservatively. Plans are not evidence, and
statements about the rating itself ("put level 4") are set aside as claims.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from assistant.assessment import CitedIndicator, Quote
from assistant.catalog import Catalog, Practice
from assistant.engines.base import InterpretRequest, ProposalRequest, QuestionRequest
from assistant.evidence import Reading, estimate, split_statements
from assistant.index import CatalogIndex
from assistant.proposals import Proposal


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(alternatives) + r")(?![a-z0-9])", re.IGNORECASE)


# Statements about the rating or the assistant, not about what the organisation does.
CLAIM = _rx(
    r"level\s*[0-4]",
    r"levels?\s+(?:four|three|4|3)",
    r"ignore (?:all |your |the |any )?(?:previous |prior |above )?(?:instructions?|rules|prompt)",
    r"(?:system|developer)\s*(?:prompt|message)",
    r"\[\s*system",
    r"you (?:must|should|have to|need to) (?:rate|give|put|score|mark)",
    r"(?:rate|rating|score|mark) (?:us|this|it|everything|all)",
    r"put (?:us|it|everything|.{0,20}) (?:at|as|to) ",
    r"(?:formali[sz]ed|maximum|highest|top) (?:level|rating|score|everywhere)",
    r"as an ai",
    r"the assessment is (?:complete|done|finished)",
    r"fully compliant with everything",
    r"(?:auditor|consultant|assessor)s? (?:confirmed|said|agreed|certified) (?:we|that we|it|this)(?:'re| are| is)? (?:at|fully|level|mature|compliant|formali)",
    r"(?:auditor|consultant|assessor) will never check",
    # Fake citations, hearsay verdicts and appeals to trust: about the rating, never evidence of practice.
    r"\[?[GEH][1-3]\.[12]-L[1-4]-[0-9]{2}\]?",
    r"(?:full|top|maximum|highest|best) (?:marks|score|scores|rating|ratings)",
    r"(?:gave|give|given) (?:us|it|this) (?:a |an )?(?:[0-4]|four|three)",
    r"(?:auditor|consultant|assessor)s? (?:already )?(?:confirmed|said|agreed|certified)(?: it| this| that| so)?\s*[.!]*$",
    r"trust me",
    r"no need to ask",
)
NOT_APPLICABLE = _rx(
    r"(?:does not|doesn'?t|do not|don'?t) (?:really )?apply",
    r"not applicable",
    r"not relevant (?:for|to) us",
    r"irrelevant (?:for|to) us",
    r"n/a",
)
UNKNOWN = _rx(
    r"i don'?t know",
    r"i do not know",
    r"not (?:even |really |quite |entirely )?sure",
    r"no idea",
    r"can'?t say",
    r"cannot say",
    r"unsure",
    r"not that i know of",
    r"no clue",
    r"i'?m not aware",
    r"i am not aware",
    r"would have to (?:ask|check)",
    r"i(?:'d| would) have to ask",
    r"i think so",
    r"maybe",
    r"possibly",
    r"hard to say",
)
PLAN = _rx(
    r"plan(?:s|ned|ning)? to",
    r"(?:we are|we're) planning",
    r"intend(?:s|ed)? to",
    r"going to",
    r"would like to",
    r"(?:want|wants|wanted|hope|hoping|aim|aiming) to",
    r"next (?:year|quarter|month|spring|summer|autumn|fall|winter|release|version)",
    r"on (?:the|our) roadmap",
    r"in the future",
    r"some ?day",
    r"eventually",
    r"(?:we are|we're) (?:working on|looking into|considering|thinking about|evaluating)",
    r"not yet",
    r"budgeted for",
    r"will (?:start|introduce|get|have|be getting|roll out|set up)",
)
NEGATIVE = _rx(
    r"(?:we|they|i|it|he|she|nobody|no one|there|this|that|which) (?:do not|don'?t|does not|doesn'?t|did not|didn'?t|have not|haven'?t|"
    r"has not|hasn'?t|had not|hadn'?t|never|are not|aren'?t|is not|isn'?t|was not|wasn'?t|were not|weren'?t|cannot|can'?t|could not|"
    r"couldn'?t|would not|wouldn'?t)",
    r"(?:we|they) have no",
    r"there (?:is|are|'s) no",
    r"there (?:is|are|'s) nothing",
    r"not (?:really|at all|written|documented|tracked|tested|checked|recorded|defined|formal|measured|audited|reviewed|planned|"
    r"signed|encrypted|monitored|logged|managed|covered|done|in place)",
    r"(?:nobody|no one|nothing|none|never)",
    r"no (?:one|plan|policy|process|procedure|list|record|records|inventory|budget|owner|idea|formal|written|contract|backup|backups|"
    r"logs?|monitoring|tests?|testing|way|updates?|encryption|review|reviews|audit|audits|training|register|documentation)",
    r"without (?:any|a) (?:plan|process|record|review|check|test)",
    r"not something we",
)
# Negations that describe a protection being in place ("no default passwords", "nobody gets in without a badge").
POSITIVE_NEGATION = _rx(
    r"no (?:default|shared|common|universal|hard-?coded|factory) (?:passwords?|credentials?|logins?|keys?)",
    r"(?:nobody|no one|nothing|no device|no update|no firmware|no change|no data|no traffic) (?:can|may|gets?|is allowed|leaves|goes|runs|is installed)"
    r".{0,60}(?:without|unless|until|except)",
    r"never (?:leaves|sent|stored|shared|reused|goes out) .{0,30}(?:unencrypted|in clear|in plain|without)",
    r"never (?:share|reuse|store)",
    r"cannot be (?:changed|installed|read|opened|accessed)(?: .{0,40})? without",
    r"can(?:no|')t (?:log in|get in|connect|install|change|open)(?: .{0,40})? without",
)
BLANKET = _rx(
    r"never (?:had|did|done|been|thought|once|ever|update[ds]?|tested|looked|checked)",
    r"nothing",
    r"not at all",
    r"(?:nobody|no one) (?:does|do|has|ever|looks|checks|knows|owns|is responsible|thought)",
    r"(?:don'?t|do not|doesn'?t|does not) do (?:that|this|anything|it)",
    r"not something we",
    r"(?:we|they) have no(?:t| idea| one| way| process| plan)",
)
YES = _rx(r"^(?:yes|yeah|yep|yup|sure|absolutely|definitely|of course|correct|indeed|we do|we have|we did|that'?s right|right)")
NO = _rx(r"^(?:no|nope|not really|never|none|not at all|we don'?t|we do not|nah)")

# Formality and frequency cues. Raising cues lift the level a positive statement supports; limiting
# cues cap it (a practice done "only when a customer complains" cannot be consistent).
RAISE = {
    4: _rx(
        r"audit(?:ed|s)? by (?:an? )?(?:external|independent|third[- ]party|outside)",
        r"(?:external|independent|third[- ]party|outside) (?:audit|auditors?|assessment|assessors?|test(?:ing|ers)?|review|lab|pen(?:etration)? ?test)s?",
        r"independently (?:audited|tested|reviewed|assessed|verified|certified)",
        r"certified",
        r"certification",
        r"certificate (?:against|for|to) (?:iso|iec|the)",
        r"accredited",
        r"kpis?",
        r"metrics?",
        r"measured against",
        r"against (?:the |our |agreed |set |defined )?targets?",
        r"(?:time|hours|days) (?:to|from) (?:detect|patch|fix|respond|contain|restore|recover|assess|report|close)",
        r"mean time",
        r"auditors? (?:check|checks|checked|review|reviews|verify|verifies|verified|confirm|confirms)",
        r"audits? us",
        r"audited (?:every|each|by|annually|yearly|once)",
        r"automatic(?:ally)? (?:exchange|exchanges|share|shares|shared|sharing|feeds?)",
        r"target (?:times?|values?|of \d)",
        r"(?:targets|objectives) (?:for|set by|agreed)",
        r"trend(?:s| analysis)?",
        r"continuous(?:ly)? improv\w*",
        r"improv\w* (?:every|each|after|based on)",
        r"lessons? learned",
        r"bug bounty",
        r"red team",
        r"board (?:reviews?|approves?|signs?|gets?|sees?)",
        r"quantif\w+",
        r"formal(?:ly)? (?:approved|managed|governed|process|programme|program|review)",
        r"(?:automatically|automated) .{0,40}(?:monitored|measured|tracked|reported)",
        r"real[- ]time",
        r"dashboards? with (?:targets|kpis|metrics)",
    ),
    3: _rx(
        r"written (?:procedures?|polic(?:y|ies)|process(?:es)?|plans?|rules|standards?|checklists?|instructions|method|programme|program|requirements|criteria|playbooks?)",
        r"(?:procedure|policy|process|plan|method) (?:is |are )?(?:written|documented|approved)",
        r"documented (?:procedures?|process(?:es)?|in|and)",
        r"(?:formal|defined|standard|approved) (?:procedures?|process(?:es)?|method)",
        r"procedures?",
        r"polic(?:y|ies)",
        r"standardi[sz]ed",
        r"(?:follow|follows|following|based on|according to|aligned with|against) (?:the |a |an )?(?:iso|iec|nist|etsi|owasp|standard)",
        r"iso ?\d{4,5}",
        r"iec ?\d{4,5}",
        r"every (?:release|change|update|patch|time|new|single|project|incident|year|quarter|month|week|shift|supplier|vendor|provider|contract)",
        r"all (?:changes|updates|releases|suppliers|vendors|providers|contracts|incidents|new)",
        r"each (?:release|change|update|year|quarter|month|new|time|incident|supplier)",
        r"checklists?",
        r"same way",
        r"consistent(?:ly)?",
        r"systematic(?:ally)?",
        r"regular(?:ly)?",
        r"scheduled",
        r"(?:once|twice) a (?:year|quarter|month)",
        r"annual(?:ly)?",
        r"yearly",
        r"quarterly",
        r"monthly",
        r"trained",
        r"training",
        r"tool (?:that|which) (?:tracks|checks|scans|lists|records)",
        r"drills?",
        r"tabletop",
        r"tested (?:restore|recovery|plan)",
    ),
    2: _rx(
        r"main",
        r"most important",
        r"key (?:devices|suppliers|systems|products|components|customers|machines|parts)",
        r"critical (?:ones|devices|systems|machines|parts|components|suppliers)",
        r"biggest",
        r"important ones",
        r"some of (?:them|the|our)",
        r"spreadsheet",
        r"a list",
        r"rough",
        r"roles?",
    ),
    1: _rx(
        r"by hand",
        r"manual(?:ly)?",
        r"someone",
        r"somebody",
        r"one (?:person|guy|engineer|colleague|of our)",
        r"informal(?:ly)?",
        r"basic",
        r"at all",
        r"on (?:his|her|their) own",
        r"just",
    ),
}
CAP = {
    1: _rx(
        r"only (?:when|after|if|once)",
        r"when (?:a |the )?customers? (?:complain|call|ask|report)s?",
        r"after (?:something|it|things) (?:happen|happened|broke|breaks|goes wrong|went wrong)",
        r"in (?:his|her|their|my) head",
        r"if (?:we|someone|he|she|they) remember",
        r"when (?:we|someone|he|she|they) remembers?",
        r"nobody (?:checks|tracks|knows|owns|looks|reviews|follows up|is responsible)",
        r"no one (?:checks|tracks|knows|owns|looks|reviews|follows up|is responsible)",
        r"not (?:written|documented) (?:down|anywhere)?",
        r"never (?:checked|tested|reviewed|written)",
        r"once,? (?:years|a while) ago",
        r"by hand",
        r"reactive(?:ly)?",
        r"we react",
    ),
    2: _rx(
        r"sometimes",
        r"occasionally",
        r"now and then",
        r"from time to time",
        r"case by case",
        r"when needed",
        r"as needed",
        r"when (?:it is|it's) needed",
        r"depends on (?:who|the|which)",
        r"it varies",
        r"not (?:always|every|all|for all|for every|consistent)",
        r"only (?:for )?(?:the |our )?(?:main|key|biggest|most important|critical|some|a few|larger)",
        r"some (?:devices|products|sites|suppliers|lines|models|customers|of)",
        r"a few",
        r"main (?:ones|products|devices|models|suppliers|lines)",
        r"most important",
        r"(?:no|not a) formal",
        r"not formal(?:ly)?",
        r"not (?:independent|audited|certified|measured)",
        r"no (?:metrics|kpis?|targets|audit|certification)",
    ),
}
# When these follow a negation they rule out a specific level rather than the matched one.
NEGATED_LEVEL = {
    4: _rx(
        r"(?:not|never|no|nobody|no one|haven'?t been|hasn'?t been|isn'?t|aren'?t)\b.{0,40}(?:audit\w*|certif\w*|metrics?|kpis?|targets?|independent\w*|measur\w*|improv\w*)"
    ),
    3: _rx(
        r"(?:not|never|no|nothing)\b.{0,25}(?:written|documented|procedure|policy|standard|consistent|every|all|regular|scheduled|checked|trained)"
    ),
}
INDUSTRY = _rx(
    r"iec ?6\d{4}",
    r"iec ?61850",
    r"iso ?21434",
    r"iso/sae ?21434",
    r"unece",
    r"r ?15[56]",
    r"etsi",
    r"en ?303 ?645",
    r"cyber resilience act",
    r"\bcra\b",
    r"fda",
    r"hipaa",
    r"mdr",
    r"iec ?62304",
    r"nerc",
    r"cip-?\d*",
    r"pci",
    r"nis ?2",
    r"gdpr",
    r"tisax",
    r"auto-?isac",
    r"e-?isac",
    r"isac",
    r"industry (?:rules|standards?|requirements|guidance|regulations?|practice)",
    r"our (?:sector|industry)'?s?",
    r"sector (?:rules|standards?|requirements|regulations?|group)",
    r"regulat(?:or|ors|ion|ions|ory)",
    r"type approval",
    r"food safety",
    r"haccp",
    r"ul ?2900",
    r"bsi",
    r"iso ?13485",
    r"iec ?81001",
)
SYSTEM = _rx(
    r"specific(?:ally)? (?:to|for) (?:this|our|the) (?:line|system|device|gateway|plant|product|camera|meter|pump|site|fleet)",
    r"tailored (?:to|for)",
    r"(?:designed|built|written|made) (?:specifically |just |especially )?(?:for|around) (?:this|our|the) (?:line|system|device|gateway|plant|product|"
    r"camera|cameras|meter|pump|fleet|network|architecture)",
    r"our own (?:threat model|risk analysis|analysis|requirements|rules|model) (?:of|for) (?:this|the|our)",
    r"for (?:this|that) (?:specific|particular) (?:line|system|device|gateway|plant|product|model)",
    r"(?:this|that) (?:particular|specific) (?:line|system|device|gateway|plant|product|model)",
    r"per (?:device|line|zone|model|ecu|site) (?:type|class)?",
)


NO_CUE_RELEVANCE = 0.5


def _matches(pattern: re.Pattern[str], text: str) -> list[str]:
    return [m.group(0) for m in pattern.finditer(text)]


class GuidedEngine:
    """Deterministic interpretation and proposals from the catalog, retrieval and a lexicon."""

    name = "guided"
    model: str | None = None
    prompt_hashes: dict[str, str] = {}  # noqa: RUF012 - the guided engine uses no prompts

    def __init__(self, catalog: Catalog, index: CatalogIndex) -> None:
        self.catalog = catalog
        self.index = index
        self._rows_by_practice: dict[str, tuple[list[int], list[str], list[int]]] = {}
        for pid in catalog.practices:
            rows, ids, levels = [], [], []
            for i, d in enumerate(index.documents):
                if d.practice == pid and d.kind == "indicator":
                    rows.append(i)
                    ids.append(d.id)
                    levels.append(d.level)
            self._rows_by_practice[pid] = (rows, ids, levels)

    # -- questions

    def phrase(self, request: QuestionRequest) -> str:
        """The catalog's question, with a short lead-in when a new practice starts."""
        if request.lead_in:
            return f"{request.lead_in}\n\n{request.question}"
        return request.question

    # -- answers

    def indicator_matches(self, practice: str, vector: Sequence[float], top: int = 3) -> list[tuple[str, int, float]]:
        """The practice's indicators closest to a statement: ``(id, level, similarity)``, best first."""
        rows, ids, levels = self._rows_by_practice[practice]
        sims = self.index.vectors()[rows] @ np.asarray(vector, dtype=np.float32)
        order = np.argsort(-sims)[:top]
        return [(ids[i], levels[i], float(sims[i])) for i in order]

    def read(self, statement: str, turn_id: str, practice: Practice, *, source: str, question_level: int | None) -> Reading:
        """Read one statement against one practice."""
        text = statement.lower()
        vec = self.index.embed_query(statement)
        matches = self.indicator_matches(practice.id, vec)
        relevance = matches[0][2] if matches else 0.0
        sim_level = matches[0][1] if matches else None
        cues: list[str] = []

        def done(polarity: str, supports: int | None = None, refutes: int | None = None, strength: int = 1) -> Reading:
            return Reading(
                turn_id=turn_id,
                quote=statement,
                practice=practice.id,
                source=source,
                question_level=question_level,
                polarity=polarity,
                supports=supports,
                refutes=refutes,
                indicators=[m[0] for m in matches[:2]],
                relevance=relevance,
                cues=cues,
                strength=strength,
            )

        claim = _matches(CLAIM, text)
        if claim:
            cues += claim
            return done("claim")
        na = _matches(NOT_APPLICABLE, text)
        if na:
            cues += na
            return done("not_applicable")
        plan = _matches(PLAN, text)
        unknown = _matches(UNKNOWN, text)
        positive_negation = _matches(POSITIVE_NEGATION, text)
        without_unknown = UNKNOWN.sub(" ", text)
        negative = [] if positive_negation else _matches(NEGATIVE, without_unknown)
        raise_cues = {lvl: _matches(rx, text) for lvl, rx in RAISE.items()}
        cap_cues = {lvl: _matches(rx, text) for lvl, rx in CAP.items()}
        negated = {lvl: _matches(rx, text) for lvl, rx in NEGATED_LEVEL.items()}
        if negated[4]:
            # "no outside body has certified us" mentions certification only to deny it.
            raise_cues[4] = []
        asked = question_level if question_level and question_level > 0 else None
        context = question_level is None or question_level < 0

        if plan and not _matches(YES, text):
            cues += plan
            # A plan shows the planned thing is not in place yet: it rules out the level it belongs to.
            target = _level_of(raise_cues) or sim_level
            return done("plan", refutes=target if asked is None else max(asked, 1) if target is None else target)
        if unknown and not negative and not any(raise_cues.values()):
            cues += unknown
            return done("unknown")
        if negative or (asked is not None and _matches(NO, text)):
            cues += negative or _matches(NO, text)
            for lvl in (4, 3):
                hit = _matches(NEGATED_LEVEL[lvl], text)
                if hit:
                    cues += hit
                    # "It is not written down" rules out 3 but says something basic exists.
                    return done("no", supports=1 if lvl == 3 and _something_done(text) else None, refutes=lvl)
            blanket = bool(BLANKET.search(without_unknown))
            if asked is not None and asked >= 1:
                # A blanket "never had an update" answers a level-3 question by ruling out the basics;
                # a specific "no" rules out the level asked about.
                refuted = min(asked, sim_level or asked) if blanket else asked
            elif _matches(
                _rx(
                    r"nothing", r"never (?:thought|did|done|had)", r"not at all", r"no idea", r"don'?t do (?:that|this|anything)"
                ),
                text,
            ):
                refuted = 1
            else:
                refuted = sim_level or 1
            return done("no", refutes=refuted)

        caps = [lvl for lvl, found in cap_cues.items() if found]
        cap = min(caps) if caps else 4
        for lvl in (1, 2):
            cues += cap_cues[lvl]
        raised = _level_of(raise_cues)
        for lvl in (4, 3, 2):
            cues += raise_cues[lvl]
        explicit_yes = bool(_matches(YES, text))
        if context and raised is None and not caps:
            # A plain description ("we run a bottling line") is evidence only when it clearly matches an indicator.
            return done("yes", supports=1 if relevance >= 0.5 else None)
        if asked is not None and asked >= 1 and explicit_yes and raised is None:
            level = asked
        elif raised is not None:
            level = raised
        elif asked is not None and asked >= 1:
            # A descriptive answer without formality cues shows something is done, not that it is consistent
            # or formal: credit it up to level 2 at most, and never above the question or the matched indicator.
            level = min(asked, sim_level or asked, 2) if relevance >= NO_CUE_RELEVANCE else 1
        else:
            level = min(sim_level or 1, 2) if relevance >= NO_CUE_RELEVANCE else 1
        supported = max(1, min(level, cap))
        strength = len({c.lower() for c in raise_cues.get(supported, [])}) if supported >= 2 else 1
        if asked == 4 and supported == 4:
            # Describing formal assurance in answer to the formal-assurance question counts double.
            strength += 1
        polarity = "partly" if caps or (asked is not None and supported < asked) else "yes"
        # Only a stated limitation ("only when", "sometimes", "not written") rules the next level out; an
        # answer that merely lacks formality cues leaves it open for the next question.
        refutes = cap + 1 if caps and cap < 4 else None
        if negated[4] and supported < 4:
            refutes = min(refutes or 4, 4)
        return done(polarity, supports=supported, refutes=refutes, strength=max(1, strength))

    def interpret(self, request: InterpretRequest) -> list[Reading]:
        """Read every statement of an answer against the practice under discussion."""
        out = []
        for st in split_statements(request.answer.text):
            source = "context" if request.question_level < 0 else "answer"
            out.append(self.read(st, request.answer.id, request.practice, source=source, question_level=request.question_level))
        return out

    # -- proposals

    def propose(self, request: ProposalRequest) -> Proposal:
        """The level the readings support, with cited indicators and quotes."""
        p = request.practice
        readings = [r for r in request.readings if r.polarity != "claim"]
        claims = [r for r in request.readings if r.polarity == "claim"]
        plans = [r for r in readings if r.polarity == "plan"]
        est = estimate(readings)
        notes: list[str] = []
        if claims:
            notes.append(
                "Statements about the rating itself were set aside, not counted as evidence "
                f"(for example: \u201c{_short(claims[0].quote)}\u201d). Ratings follow what is done; you decide in the review."
            )
        if plans:
            notes.append(f"Plans are not counted until they are in place (for example: \u201c{_short(plans[0].quote)}\u201d).")
        if est.contradiction:
            notes.append(
                f"Some statements point to level {est.lower} and others rule out level {est.upper + 1}; the lower reading was kept. "
                "Check this with the team."
            )
        informative = [r for r in readings if r.supports is not None or r.refutes is not None]
        na = [r for r in readings if r.polarity == "not_applicable"]
        if na and len(na) >= len(informative):
            return Proposal(
                practice=p.id,
                level=None,
                not_applicable=True,
                scope="general",
                confidence=0.6 if not informative else 0.4,
                rationale=f"You said this practice does not apply to the system: \u201c{_short(na[0].quote)}\u201d. Confirm, or rate it anyway.",
                quotes=_dedupe_quotes(na, limit=3),
                notes=notes,
                engine=self.name,
                catalog_version=self.catalog.version,
            )
        if not informative:
            follow = request.follow_up or p.opening_question
            return Proposal(
                practice=p.id,
                level=None,
                scope="general",
                confidence=0.0,
                rationale=(
                    f"We could not tell how {p.name.lower()} is done: the answers so far did not describe it. "
                    "One more answer would settle it."
                ),
                follow_up=follow,
                notes=notes,
                engine=self.name,
                catalog_version=self.catalog.version,
            )
        level = est.level
        support = [
            r for r in informative if r.supports is not None and r.supports <= max(level, 1) and r.polarity in ("yes", "partly")
        ]
        against = [r for r in informative if r.refutes is not None and r.refutes == level + 1]
        cited = self._cite(p, level, support)
        next_needs = [CitedIndicator(id=i.id, text=i.text) for i in p.level(level + 1).indicators] if level < 4 else []
        quotes = _dedupe_quotes([*support, *against], limit=6)
        confidence = _confidence(est, len(support), len(against), request.budget_spent)
        scope = self.scope(p, level, support, request.industry)
        rationale = self._rationale(p, level, support, against, next_needs)
        return Proposal(
            practice=p.id,
            level=level,
            scope=scope,
            confidence=confidence,
            rationale=rationale,
            indicators=cited,
            quotes=quotes,
            next_level_needs=next_needs,
            notes=notes,
            engine=self.name,
            catalog_version=self.catalog.version,
        )

    def _cite(self, p: Practice, level: int, support: list[Reading]) -> list[CitedIndicator]:
        if level == 0:
            return []
        texts = {ind.id: (lvl, ind.text) for lvl, ind in p.indicators()}
        chosen: list[str] = []
        for r in support:
            for iid in r.indicators:
                if iid in texts and texts[iid][0] <= level and iid not in chosen:
                    chosen.append(iid)
        if not any(texts[i][0] == level for i in chosen):
            # Cite the indicator of the proposed level that the supporting statements match best.
            best: tuple[float, str] | None = None
            for r in support:
                for iid, lvl, sim in self.indicator_matches(p.id, self.index.embed_query(r.quote), top=30):
                    if lvl == level and (best is None or sim > best[0]):
                        best = (sim, iid)
            if best is None:
                best = (0.0, p.level(level).indicators[0].id)
            chosen.append(best[1])
        chosen.sort(key=lambda i: (texts[i][0], i))
        return [CitedIndicator(id=i, text=texts[i][1]) for i in chosen[:8]]

    def scope(self, p: Practice, level: int, support: list[Reading], industry: str | None) -> str:
        """Scope from what the supporting statements mention: system tailoring, industry rules, else general."""
        if level == 0:
            return "general"
        text = " ".join(r.quote for r in support).lower()
        if _matches(SYSTEM, text):
            return "system"
        if _matches(INDUSTRY, text):
            return "industry"
        return "general"

    def _rationale(
        self, p: Practice, level: int, support: list[Reading], against: list[Reading], next_needs: list[CitedIndicator]
    ) -> str:
        name = self.catalog.level_name(level)
        if level == 0:
            said = f" You said: \u201c{_short(against[0].quote)}\u201d." if against else ""
            return f"Nothing described shows {p.name.lower()} being done yet, so this is level 0 ({name}).{said}"
        parts = [f"Level {level} ({name}): {p.level(level).summary.split('. ')[0].rstrip('.')}."]
        if support:
            parts.append(f"You told us: \u201c{_short(support[0].quote)}\u201d.")
        if level < 4:
            if against:
                parts.append(f"Level {level + 1} is not reached: \u201c{_short(against[0].quote)}\u201d.")
            else:
                parts.append(f"We heard no evidence yet of what level {level + 1} adds, for example: {next_needs[0].text}")
        return " ".join(parts)


def _level_of(found: dict[int, list[str]]) -> int | None:
    levels = [lvl for lvl, hits in found.items() if hits and lvl >= 2]
    return max(levels) if levels else None


def _something_done(text: str) -> bool:
    return bool(re.search(r"\b(we|he|she|they|someone|somebody|our)\b", text)) and not re.search(
        r"\b(nothing|never thought|not at all)\b", text
    )


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _dedupe_quotes(readings: list[Reading], limit: int) -> list[Quote]:
    seen: set[tuple[str, str]] = set()
    out: list[Quote] = []
    for r in readings:
        key = (r.turn_id, r.quote)
        if key not in seen:
            seen.add(key)
            out.append(Quote(turn_id=r.turn_id, text=r.quote))
        if len(out) >= limit:
            break
    return out


def _confidence(est: object, n_support: int, n_against: int, budget_spent: bool) -> float:
    from assistant.evidence import Estimate

    assert isinstance(est, Estimate)
    c = 0.45 + 0.12 * min(n_support, 3) + 0.1 * min(n_against, 2)
    if est.settled and not est.contradiction:
        c += 0.1
    if est.contradiction:
        c -= 0.25
    if budget_spent and not est.settled:
        c -= 0.1
    return round(max(0.1, min(0.95, c)), 2)
