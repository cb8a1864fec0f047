"""Reading: what a statement says about each indicator of a practice, and the level that follows.

- :mod:`~assistant.reading.encoder` embeds statements and indicators (multilingual-e5-small, offline);
- :mod:`~assistant.reading.cues` finds the few general cues the embeddings cannot see (negation and its
  scope, plans, hedges, claims about the rating, "does not apply");
- :mod:`~assistant.reading.reader` turns a statement into indicator states (supports / partly /
  contradicts / plan / hedge / unrelated) with calibrated scores;
- :mod:`~assistant.reading.rule` is the one level rule every engine shares.
"""
