"""A small Okapi BM25 over one text per practice: the lexical signal fused with dense retrieval.

The retrieval benchmark (``smm eval retrieval``) showed dense retrieval alone misses words that
carry the meaning in stakeholder speech (product names, "SBOM", "ISAC", "backup"); adding a
practice-level BM25 score lifts recall, so it is on by default.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "the a an and or of to in on for we our us is are it its that this these those with by be as at from have has had do does "
    "did not no so but if then than they them their there here what which who whom when where how all any can could would "
    "should will just about into out up down over under also very really only some such each more most other".split()
)


def tokens(text: str) -> list[str]:
    """Lowercase word stems (six-letter prefixes), without stop words."""
    return [w[:6] for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1]


class Bm25:
    """Okapi BM25 (k1=1.5, b=0.75) over a fixed list of documents."""

    def __init__(self, documents: Sequence[str], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._tf = [Counter(tokens(d)) for d in documents]
        self._len = [sum(tf.values()) for tf in self._tf]
        self._avg = sum(self._len) / max(1, len(self._len))
        df: Counter[str] = Counter()
        for tf in self._tf:
            df.update(tf.keys())
        n = len(self._tf)
        self._idf = {w: math.log(1 + (n - c + 0.5) / (c + 0.5)) for w, c in df.items()}

    def scores(self, query: str) -> list[float]:
        """BM25 score of every document for ``query``."""
        q = tokens(query)
        out = []
        for tf, length in zip(self._tf, self._len, strict=True):
            s = 0.0
            norm = self.k1 * (1 - self.b + self.b * length / self._avg)
            for w in q:
                f = tf.get(w)
                if f:
                    s += self._idf[w] * f * (self.k1 + 1) / (f + norm)
            out.append(s)
        return out
