"""The few general cues a sentence embedding cannot see.

Embeddings say what a statement is *about*; they barely notice "not", "next year" or "I think". So each
clause gets a polarity from a small set of general English cues, kept deliberately short (a lexicon
grown per scenario is what failed on unseen systems, see issue 13):

- **claim**: a statement about the rating or the assistant ("put us at level 4", "[SYSTEM: ...]");
  never evidence of practice;
- **not applicable**: "this does not apply to us";
- **plan**: intention, not practice ("next year we will ...");
- **hedge**: the speaker does not know ("I think", "I'd have to ask");
- **negative**: the clause says something is not done. Its scope is the clause: "we patch the main
  gateways, but nobody tracks the sensors" is split at "but" and each half is read on its own, so a
  negative clause never vetoes the positive one beside it. A negation that heads a noun phrase after a
  statement of its own ("we log in with one shared admin password", "..., there are no separate roles")
  covers only that phrase (:func:`negation_scope`): the statement before it is read on its own. A negated
  *risk* ("no shared passwords", "nobody gets in without a badge") is a protection, so it reads as positive;
- **degree**: words that limit ("only the main ones", "sometimes", "by hand") or extend ("every", "all",
  "written", "independent") how far a practice goes; they shift a positive clause between partly and
  supports, they never decide the topic.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Polarity = Literal["positive", "negative", "plan", "hedge", "claim", "not_applicable"]


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])", re.IGNORECASE)


# Statements about the rating or the assistant, not about what the organisation does: requests, injected
# instructions, fake citations, hearsay verdicts, appeals to trust. Never evidence, whatever else they say.
CLAIM = _rx(
    r"mark (?:this|it|us)(?: practice)? as",
    r"(?:assistant|reviewer)\s*:",
    r"proposal accepted",
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
    r"n/a",
)
PLAN = _rx(
    r"plan(?:s|ned|ning)? to",
    r"planning (?:for|on)",
    r"plan on",
    r"intend(?:s|ed)? to",
    r"going to",
    r"would like to",
    r"(?:want|wants|hope|hoping|aim|aiming|mean|meaning) to",
    r"next (?:year|quarter|month|spring|summer|autumn|fall|winter|release|version|phase)",
    r"on (?:the|our) (?:roadmap|wish ?list|to-?do list)",
    r"in the future",
    r"some ?day",
    r"eventually",
    r"(?:are|is|am) (?:working on|looking into|considering|thinking about|evaluating|preparing)",
    r"budget(?:ed|ing)",
    r"will (?:start|introduce|get|have|be|roll|set|add|begin|write|do|hire|buy|move)",
    r"(?:next|coming) (?:season|generation|model|version|update|year)",
    r"by (?:the )?(?:end of|year[- ]end|20\d\d)",
    r"after the (?:summer|winter|holidays|audit|migration)",
    r"(?:are|is|am) (?:drafting|buying|rolling out|moving|setting up|putting together|getting quotes)",
    r"(?:have|has) started (?:on|to|working)",
    r"should come through",
    r"should (?:really|probably) (?:start|do|have|get)",
    r"not yet",
    r"soon",
)
HEDGE = _rx(
    r"i (?:\w+ )?do not (?:really )?know",
    r"^\W*do not (?:really )?know",
    r"not (?:even |really |quite |entirely |100 ?% )?sure",
    r"i (?:have )?no idea",
    r"no idea (?:if|whether)",
    r"(?:can not|cannot) (?:really )?say",
    r"unsure",
    r"not that i know of",
    r"no clue",
    r"i am not aware",
    r"would have to (?:ask|check|look)",
    r"would not know",
    r"might",
    r"could be",
    r"there could",
    r"i (?:think|believe|guess|assume|suppose)",
    r"maybe",
    r"perhaps",
    r"possibly",
    r"probably",
    r"hard to say",
    r"as far as i know",
)
# Negations. "n't" forms, not/no/never/none/nobody/nothing/without.
NEGATIVE = _rx(
    r"not",
    r"no",
    r"never",
    r"none",
    r"nobody",
    r"no ?one",
    r"nothing",
    r"nowhere",
    r"neither",
    r"nor",
    r"without",
    r"lack(?:s|ing)?",
    r"missing",
    r"cannot",
)
# A negated risk is a protection: "no shared passwords", "nobody gets in without a badge", "cannot be
# installed unless signed", "never leaves the site unencrypted".
RISK = _rx(
    r"default",
    r"shared",
    r"common",
    r"same",
    r"hard-?coded",
    r"factory",
    r"unencrypted",
    r"plain ?text",
    r"in (?:the )?clear",
    r"unsigned",
    r"anonymous",
    r"guest",
    r"open",
    r"unknown",
    r"unauthori[sz]ed",
    r"outsiders?",
    r"strangers?",
)
NEGATED_RISK = re.compile(
    # The risk word belongs to the negated phrase, not to a relative clause after it ("no address where outsiders
    # can report weaknesses" is not "no outsiders").
    r"\b(?:no|not|never|nobody|no one|none|nothing)\b(?:\s+(?!where\b|which\b|that\b|who\b|whom\b)\w+){0,4}?\s+(?:"
    + RISK.pattern.removeprefix(r"(?<![\w-])(?:").removesuffix(r")(?![\w-])")
    + r")\b",
    re.IGNORECASE,
)
# Stated without a negation, these describe an exposure, not a protection: "all HMIs use the same login",
# "everything is on one network", "anyone can change it". General security anti-patterns, not topic words.
EXPOSED = _rx(
    r"(?:same|shared|common|one|single|generic)(?: \w+)? (?:passwords?|logins?|accounts?|credentials?|keys?|pins?|user ?names?|admin)",
    r"(?:default|factory|original|builder'?s|vendor'?s|manufacturer'?s)(?: \w+)? (?:passwords?|logins?|credentials?|pins?)",
    r"hard-?coded",
    r"(?:all|everything|both) (?:is |are |sit |sits )?on (?:one|the same|a single|a flat) network",
    r"(?:one|the same|a single|a flat) (?:flat )?network",
    r"(?:plain ?text|unencrypted|in the clear)",
    r"(?:anyone|anybody|everyone|everybody|any of (?:us|them|our \w+))(?: \w+){0,3}? (?:can|could|may|has|have|knows?|uses?)",
    r"whatever (?:password|login|settings?) (?:they|it) came with",
)
# "checked for hard-coded keys", "scans against default passwords": looking for an exposure is a protection.
_LOOKING_FOR = re.compile(
    r"\b(?:for|against|of|remov\w*|find\w*|detect\w*|block\w*|forbid\w*|ban\w*|prevent\w*|replac\w*|chang\w*|rid)\b(?:\s+\w+){0,3}\s*$",
    re.I,
)
_HEDGED_NEGATION = re.compile(
    # "I (honestly) don't know" is the speaker's doubt; "we don't know who makes the chips" says the organisation
    # does not know, a plain negation.
    r"(?:^\W*do not (?:really )?know|\bi (?:\w+ )?do not (?:really )?know|"
    r"\bnot (?:even |really |quite |entirely )?sure|\bno idea|\bnot aware|\bwould not know|"
    r"can not (?:really )?say|not that i know(?: of)?)\b",
    re.I,
)
# Measured on dev and left out (session 7; stepwise / tell-all exact and over-rating, against 78.2 / 3.8 and
# 84.7 / 6.5): "X can't <verb>" by anyone but the speaker as a protection, 80.0 / 4.4 and 84.7 / 7.6 ("a dentist
# can't get a picture up" is a failure, not a restriction); only "can't be <an attack's verb>", 78.5 / 4.4 and
# 84.7 / 7.1; "I couldn't say" as a hedge with "everyone knows" an exposure only before a credential, 78.2 / 4.1
# and 84.1 / 7.1. Each reads its sentences better and drafts no better: the rule over-rates what they free.
# "until" restricts only after a negated subject (see read_cues): "there is no list, and recordings are kept until
# the disk fills up" is time.
RESTRICT = _rx(r"without", r"unless", r"except", r"other than", r"but (?:through|via|from|by)")
# Bare replies to a closed question.
YES = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|sure|absolutely|definitely|of course|correct|indeed|that'?s right|right|we do|we have|true)\b"
    r"(?!\s+(?:not|never|no)\b)",
    re.I,
)
NO = re.compile(r"^\W*(?:no|nope|not really|never|none|not at all|nah|we (?:do|have) (?:not|never)|false)\b", re.I)
PARTLY = re.compile(r"^\W*(?:partly|partially|somewhat|sort of|kind of|more or less|in part|half)\b", re.I)
DONT_KNOW = re.compile(
    r"^\W*(?:(?:i )?do not know|(?:i am |i'm )?not sure|no idea|dunno|\?+$|not that i know(?: of)?|hard to say|(?:i )?can not say)",
    re.I,
)

# Degree: how far a practice goes. General words, not topic words.
LIMITED = _rx(
    r"only",
    r"just",
    r"main",
    r"mostly",
    r"some",
    r"a few",
    r"sometimes",
    r"occasionally",
    r"now and then",
    r"from time to time",
    r"case by case",
    r"when (?:needed|necessary|it'?s needed|someone|something|we remember|a customer|customers|there'?s)",
    r"as needed",
    r"if (?:someone|we remember|needed|asked)",
    r"by hand",
    r"manually",
    r"informal(?:ly)?",
    r"rough(?:ly)?",
    r"once",
    r"ad hoc",
    r"in (?:his|her|their|my) head",
    r"whoever",
    r"usually",
    r"most of",
    r"partly",
)
EXTENDED = _rx(
    r"every",
    r"all",
    r"each",
    r"always",
    r"whole",
    r"entire",
    r"written",
    r"documented",
    r"approved",
    r"signed off",
    r"formal(?:ly)?",
    r"standard",
    r"polic(?:y|ies)",
    r"procedures?",
    r"regular(?:ly)?",
    r"scheduled",
    r"(?:once|twice) a (?:year|quarter|month|week)",
    r"(?:yearly|annual(?:ly)?|quarterly|monthly|weekly|daily|nightly)",
    r"independent(?:ly)?",
    r"external",
    r"third[- ]party",
    r"audit(?:s|ed|ors?)?",
    r"certifi(?:ed|cation|cate)",
    r"metrics?",
    r"kpis?",
    r"measured",
    r"targets?",
    r"iso ?\d{4,5}",
    r"iec ?\d{4,5}",
    r"nist",
)

# A clause ends at a contrast: the scope of a negation never crosses one. ", and" ends one only before a negation:
# also splitting before a new subject (", and the screens have one login ...") was measured on the 23 dev scenarios
# (session 6, stepwise): 76.5 % -> 72.9 % exact, over-rating 5.0 % -> 7.1 %, so it stays out. Splitting at ", and"
# only before a clause with a negation or an exposure anywhere in it (session 7, with :func:`negation_scope`):
# stepwise 77.1 -> 77.6 % exact and 5.0 -> 5.6 % over-rating, tell-all 83.5 -> 84.1 % and 7.6 -> 8.2 %: two entries
# won, two over-rated, so it stays out too.
_CONTRAST = re.compile(
    r"\s*(?:;|,?\s+but\s+|,?\s+although\s+|,?\s+though\s+|,?\s+however,?\s+|,?\s+yet\s+|,?\s+except(?: that| for)?\s+|,?\s+whereas\s+|,?\s+while\s+|\s+-\s+|,\s+and\s+(?=(?:no|nobody|nothing|never|not)\b))",
    re.IGNORECASE,
)


class Cues(BaseModel):
    """What the general cues say about one clause."""

    model_config = ConfigDict(frozen=True)

    polarity: Polarity
    """How the clause bears on practice."""
    limited: list[str] = Field(default_factory=list)
    """Limiting degree words found."""
    extended: list[str] = Field(default_factory=list)
    """Extending degree words found."""
    words: list[str] = Field(default_factory=list)
    """The cue words that set the polarity (for explanations)."""


def split_clauses(statement: str) -> list[str]:
    """Verbatim clauses of a statement, split at contrasts ("but", "although", ";" ...)."""
    parts: list[str] = []
    pos = 0
    for m in _CONTRAST.finditer(statement):
        if m.start() > pos:
            parts.append(statement[pos : m.start()])
        pos = m.end()
    parts.append(statement[pos:])
    out = [p.strip(" ,.;:-") for p in parts]
    out = [p for p in out if len(re.sub(r"\W", "", p)) >= 3]
    return out or [statement.strip()]


# Determiner negation: "no separate roles", "no record". Its scope is the noun phrase it heads, not the clause
# ("we log in with no second step" says that logging in is done and the second step is not). The pronouns
# ("no one", "nobody", "nothing", "none") and a leading "No," answer negate the whole clause.
_DETERMINER_NO = re.compile(r"(?<![\w-])no\s+(?!one\b|body\b|longer\b|more\b|matter\b|idea\b|need\b|way\b|doubt\b)[a-z]", re.I)
_CLAUSE_NEGATION = re.compile(
    r"(?<![\w-])(?:not|never|nobody|no ?one|nothing|none|nowhere|neither|nor|without|cannot|lack(?:s|ing)?|missing)(?![\w-])",
    re.I,
)
_TRAILING = re.compile(
    r"(?:[\s,;:]+|\b(?:with|and|or|there|are|is|was|were|have|has|had|using|via|through|by|on|in|of|for|to|a|an|the)\b)+$", re.I
)
FOCUS_MIN_WORDS = 3
"""Words of four letters or more the part before a noun-phrase negation needs to say something of its own."""


class NegationScope(BaseModel):
    """A clause whose negation covers one noun phrase: the statement before it, and the phrase it says is missing."""

    model_config = ConfigDict(frozen=True)

    before: str
    """The verbatim part before the negated phrase, read on its own with its own cues (trailing function words cut)."""
    negated: str
    """The verbatim negated phrase to the end of the clause ("no separate roles", "one shared admin password")."""
    exposure: bool = False
    """Whether the phrase is an exposure ("one shared admin password"), which says the thing exists in a weak form,
    rather than a determiner "no" ("no separate roles"), which says it is missing."""


def negation_scope(clause: str) -> NegationScope | None:
    """Where a negative clause's negation covers only a noun phrase after a statement of its own.

    "Our staff log in to the console with one shared admin password": the login is done, personal accounts are
    not. The part before is read with its own cues ("anyone in support can do anything, there are no separate
    roles" is two exposures). Returns ``None`` when the negation is the clause's own ("we do not patch", "nobody checks"), or when
    the part before the phrase is too short to say anything ("there are no separate roles").
    """
    if _CLAUSE_NEGATION.search(expand(clause)) or NO.match(clause):
        return None
    starts = [(m.start(), False) for m in _DETERMINER_NO.finditer(clause)]
    starts += [(m.start(), True) for m in EXPOSED.finditer(clause) if not _LOOKING_FOR.search(clause[: m.start()][-40:])]
    for cut, exposure in sorted(starts):
        before = _TRAILING.sub("", clause[:cut]).strip(" ,;:")
        if len(re.findall(r"[a-z]{4,}", before.lower())) >= FOCUS_MIN_WORDS:
            return NegationScope(before=before, negated=clause[cut:].strip(" ,.;:"), exposure=exposure)
    return None


def _found(rx: re.Pattern[str], text: str) -> list[str]:
    return [m.group(0) for m in rx.finditer(text)]


_CONTRACTIONS = (
    (
        re.compile(r"\b(can|won|shan)'t\b", re.I),
        lambda m: {"can": "can not", "won": "will not", "shan": "shall not"}[m.group(1).lower()],
    ),
    (re.compile(r"n't\b", re.I), lambda m: " not"),
    (re.compile(r"'re\b", re.I), lambda m: " are"),
    (re.compile(r"'ve\b", re.I), lambda m: " have"),
    (re.compile(r"'ll\b", re.I), lambda m: " will"),
    (re.compile(r"'d\b", re.I), lambda m: " would"),
    (re.compile(r"\b(i)'m\b", re.I), lambda m: "i am"),
    (re.compile(r"\b(it|that|there|what|he|she)'s\b", re.I), lambda m: m.group(1) + " is"),
)


def expand(text: str) -> str:
    """Contractions spelled out ("aren't" -> "are not", "we'd" -> "we would"), curly apostrophes straightened."""
    out = text.replace("\u2019", "'")
    for rx, repl in _CONTRACTIONS:
        out = rx.sub(repl, out)
    return out


def read_cues(clause: str) -> Cues:
    """The polarity and degree of one clause."""
    text = expand(clause)
    limited, extended = _found(LIMITED, text), _found(EXTENDED, text)
    if hits := _found(CLAIM, text):
        return Cues(polarity="claim", words=hits)
    if hits := _found(NOT_APPLICABLE, text):
        return Cues(polarity="not_applicable", words=hits)
    if hits := _found(PLAN, text):
        return Cues(polarity="plan", words=hits, limited=limited, extended=extended)
    # "I do not know", "not sure", "no idea": the negation belongs to the hedge, not to the practice.
    negations = _found(NEGATIVE, _HEDGED_NEGATION.sub(" ", text))
    if hits := _found(HEDGE, text):
        if not negations or _found(
            re.compile(r"not (?:even |really |quite )?sure|not that i know|no idea|not aware|would not know", re.I), text
        ):
            return Cues(polarity="hedge", words=hits)
    if negations:
        # "no shared passwords", "nobody gets in without a badge": a protection, read as positive.
        if (
            NEGATED_RISK.search(text)
            or (len(negations) >= 2 and _found(RESTRICT, text))
            or re.search(r"\b(?:no|nobody|no one|nothing|never|cannot|can not)\b.{0,60}\b(?:without|unless|except)\b", text, re.I)
            # "No provider gets a contract until it is rated": "until" restricts when the negation is the subject.
            or re.search(r"^\W*(?:no|nobody|no one|nothing)\b.{0,60}\buntil\b", text, re.I)
        ):
            return Cues(polarity="positive", words=negations, limited=limited, extended=extended)
        return Cues(polarity="negative", words=negations, limited=limited, extended=extended)
    exposed = [m.group(0) for m in EXPOSED.finditer(text) if not _LOOKING_FOR.search(text[: m.start()][-40:])]
    if exposed:
        return Cues(polarity="negative", words=exposed, limited=limited, extended=extended)
    return Cues(polarity="positive", limited=limited, extended=extended)
