"""Scope of a rating: general, industry-specific or system-specific, from what the supporting statements name.

Industry scope needs a sector rule or body named (IEC 62443, UN R155, FDA ...); system scope needs words that
tie the practice to this particular system. These are names, not judgement, so a list is the right tool;
the level is never decided here.
"""

from __future__ import annotations

import re

from assistant.catalog import ScopeId


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(alternatives) + r")(?![a-z0-9])", re.IGNORECASE)


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


def scope_of(texts: list[str], level: int) -> ScopeId:
    """``system``, ``industry`` or ``general`` for a rating at ``level`` resting on ``texts``."""
    if level == 0:
        return "general"
    text = " ".join(texts).lower()
    if SYSTEM.search(text):
        return "system"
    if INDUSTRY.search(text):
        return "industry"
    return "general"
