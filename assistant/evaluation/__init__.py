"""Evaluation: the retrieval benchmark and the interview accuracy harness."""
