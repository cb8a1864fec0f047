"""The guided interview, in parts a newcomer can read alone.

- :mod:`~assistant.interview.state`: what is saved after every turn (phases, per-practice progress);
- :mod:`~assistant.interview.session`: :class:`Interview`, the resumable state machine (persistence,
  phases, review) and the one API the CLI, the app, the evaluation and the tests use;
- :mod:`~assistant.interview.planner`: the questioning policy (which question settles the level);
- :mod:`~assistant.interview.routing`: routing the opening description to practices, guessing the industry;
- :mod:`~assistant.interview.messages`: help and proposal cards.

Reading answers into indicator evidence lives in :mod:`assistant.reading`, shared by every engine.
"""

from assistant.interview.session import MAX_ANSWER_CHARS, Interview
from assistant.interview.state import STATE_VERSION, Decision, InterviewState, PendingQuestion, Phase, PracticeProgress, Progress

__all__ = [
    "MAX_ANSWER_CHARS",
    "STATE_VERSION",
    "Decision",
    "Interview",
    "InterviewState",
    "PendingQuestion",
    "Phase",
    "PracticeProgress",
    "Progress",
]
