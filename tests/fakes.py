"""Scripted chat models for tests: no network, every branch reachable.

LangChain's fake chat models do not implement ``bind_tools``, on which ``with_structured_output``
relies; :class:`ToolFakeChatModel` returns itself from ``bind_tools`` and plays a script of
``AIMessage(tool_calls=...)`` answers, exceptions to raise, or callables (for a slow call).
It records every prompt it received, so tests can check grounding and fencing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

_ids = itertools.count(1)

ScriptItem = AIMessage | str | BaseException | Callable[[list[BaseMessage]], AIMessage]


class ToolFakeChatModel(GenericFakeChatModel):
    """A fake chat model for ``with_structured_output``: ``bind_tools`` returns the model itself."""

    messages: Iterator[Any] = Field(default_factory=lambda: iter(()))
    """The script, consumed one item per call."""
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    """Every message list the model was invoked with, in order."""
    when_exhausted: Callable[[list[BaseMessage]], AIMessage] | None = None
    """Answer used once the script runs out (default: raise, so a test sees an unexpected call)."""
    steps: dict[str, list[Any]] = Field(default_factory=dict)
    """Per-step scripts (``interpret``, ``propose``, ``phrase``, ``explain``), used instead of ``messages``."""
    defaults: dict[str, Callable[[list[BaseMessage]], AIMessage]] = Field(default_factory=dict)
    """Per-step answers once that step's script is used up."""
    step_log: list[str] = Field(default_factory=list)
    """The step of every call, in order."""

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any) -> Any:
        """Structured output binds one tool; the script already holds the tool calls."""
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append(list(messages))
        step = step_of(messages)
        self.step_log.append(step)
        item: Any
        if self.steps or self.defaults:
            queue = self.steps.get(step, [])
            if queue:
                item = queue.pop(0)
            elif step in self.defaults:
                item = self.defaults[step]
            else:
                raise AssertionError(f"the fake model has no answer for a {step!r} call (call {len(self.calls)})")
        else:
            try:
                item = next(self.messages)
            except StopIteration:
                if self.when_exhausted is None:
                    raise AssertionError(f"the fake model's script is exhausted (call {len(self.calls)})") from None
                item = self.when_exhausted
        if isinstance(item, BaseException):
            raise item
        if callable(item):
            item = item(list(messages))
        message = item if isinstance(item, AIMessage) else AIMessage(content=str(item))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def prompts(self) -> list[str]:
        """The text of the last human message of every call."""
        out = []
        for call in self.calls:
            humans = [m for m in call if m.type == "human"]
            out.append(str(humans[-1].content) if humans else "")
        return out


# Phrases that only one prompt file contains: enough to tell the steps apart.
STEP_MARKERS = {
    "interpret": "For each statement in the answer",
    "propose": "Propose a rating",
    "phrase": "Rewrite the question",
    "explain": "The user's question",
}


def step_of(messages: Sequence[BaseMessage]) -> str:
    """Which engine step a call belongs to, from its first human message (a re-ask adds a later one)."""
    humans = [m for m in messages if m.type == "human"]
    first = str(humans[0].content) if humans else ""
    for step, marker in STEP_MARKERS.items():
        if marker in first:
            return step
    return "unknown"


def is_reask(messages: Sequence[BaseMessage]) -> bool:
    """Whether a call is the engine's re-ask after a failed validation."""
    return sum(1 for m in messages if m.type == "human") > 1


def by_step(**steps: list[Any]) -> ToolFakeChatModel:
    """A fake that answers each step from its own script; context routing gets empty readings by default."""
    return ToolFakeChatModel(steps={k: list(v) for k, v in steps.items()}, defaults={"interpret": lambda _m: readings()})


def scripted(*items: ScriptItem, when_exhausted: Callable[[list[BaseMessage]], AIMessage] | None = None) -> ToolFakeChatModel:
    """A fake that plays ``items`` in order."""
    return ToolFakeChatModel(messages=iter(items), when_exhausted=when_exhausted)


def tool_call(name: str, **args: Any) -> AIMessage:
    """An answer calling the structured-output tool ``name`` (the schema's class name) with ``args``."""
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"call_{next(_ids)}", "type": "tool_call"}])


def readings(*items: dict[str, Any]) -> AIMessage:
    """An interpretation answer: ``readings(dict(statement=..., polarity=..., supports=2, indicators=[...]))``."""
    return tool_call("AnswerReadings", readings=list(items))


def proposal(**args: Any) -> AIMessage:
    """A proposal answer (``ProposalDraft`` fields)."""
    args.setdefault("level", 0)
    args.setdefault("scope", "general")
    args.setdefault("confidence", 0.7)
    args.setdefault("rationale", "Based on what you said.")
    return tool_call("ProposalDraft", **args)


def question(text: str) -> AIMessage:
    """A phrased question."""
    return tool_call("PhrasedQuestion", question=text)


def malformed() -> AIMessage:
    """An answer that is not structured output at all (prose, no tool call)."""
    return AIMessage(content="Sure! The level is probably three, I think.")


def broken_args(name: str) -> AIMessage:
    """A tool call whose arguments do not fit the schema."""
    return tool_call(name, unexpected="field")


def sleeping(seconds: float, then: AIMessage) -> Callable[[list[BaseMessage]], AIMessage]:
    """A call that takes ``seconds`` (to trip the engine's deadline), then answers ``then``."""
    import time

    def run(_messages: list[BaseMessage]) -> AIMessage:
        time.sleep(seconds)
        return then

    return run
