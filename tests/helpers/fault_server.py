"""A tiny OpenAI-compatible chat server on 127.0.0.1 that injects scripted faults, for the model-fault tests.

``POST /v1/chat/completions`` answers each request with the next scripted item for its step (see :meth:`push`),
or with :attr:`FaultServer.default` once there is none. Items:

- ``Reply(args)``: a valid completion carrying ``args`` as the structured output: a tool call when the
  request offers tools (``function_calling``), else JSON message content (``json_schema``/``json_mode``);
  ``args`` may be a callable ``(request) -> dict``;
- ``Status(code, body, headers)``: an HTTP error such as 429 with ``Retry-After``, 500 or 401;
- ``Sleep(seconds, then)``: answer ``then`` after ``seconds`` (past the client's deadline);
- ``Truncated(args)``: a 200 whose body stops half way, the connection closed before ``Content-Length``;
- ``BrokenJson(args)``: a complete 200 response whose body is cut-off JSON;
- ``RawContent(text, finish_reason)``: a completion whose message content is ``text`` verbatim (prose, or
  structured output the model stopped half way with ``finish_reason="length"``).

Every request is recorded (:attr:`requests`) with its step (interpret, propose, phrase, explain), headers and
body, so tests can count retries and look at what was sent. Loopback only; stopped by :meth:`stop`.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Phrases that only one prompt file contains (as in tests/fakes.py): enough to tell the steps apart.
STEP_MARKERS = {
    "interpret": "For each statement in the answer",
    "propose": "Propose a rating",
    "phrase": "Rewrite the question",
    "explain": "The user's question",
}

Args = dict[str, Any] | Callable[["Request"], dict[str, Any]]


@dataclass
class Request:
    """One request the server received."""

    step: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float

    @property
    def prompt(self) -> str:
        """The text of the first user message (the step's prompt)."""
        for m in self.body.get("messages", []):
            if m.get("role") == "user":
                content = m.get("content")
                return content if isinstance(content, str) else json.dumps(content)
        return ""

    @property
    def texts(self) -> list[str]:
        """The text of every message, system prompt included."""
        out = []
        for m in self.body.get("messages", []):
            content = m.get("content")
            out.append(content if isinstance(content, str) else json.dumps(content))
        return out


@dataclass
class Reply:
    args: Args


@dataclass
class Status:
    code: int
    body: dict[str, Any] = field(default_factory=lambda: {"error": {"message": "injected fault", "type": "server_error"}})
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Sleep:
    seconds: float
    then: Any


@dataclass
class Truncated:
    args: Args


@dataclass
class BrokenJson:
    args: Args


@dataclass
class RawContent:
    text: str
    finish_reason: str = "stop"


def step_of(body: dict[str, Any]) -> str:
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    first = str(users[0].get("content", "")) if users else ""
    for step, marker in STEP_MARKERS.items():
        if marker in first:
            return step
    return "unknown"


def completion(
    body: dict[str, Any], args: dict[str, Any] | None, content: str | None = None, finish: str = "stop"
) -> dict[str, Any]:
    """A chat completion carrying ``args`` the way the request asked for structured output."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    tools = body.get("tools") or []
    if args is not None and tools:
        name = tools[0].get("function", {}).get("name", "output")
        call = {
            "id": f"call_{uuid.uuid4().hex[:8]}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(args)},
        }
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        finish = "tool_calls"
    elif args is not None:
        message = {"role": "assistant", "content": json.dumps(args)}
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:10]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class FaultServer:
    """The server; use as a context manager or call :meth:`start` and :meth:`stop`."""

    def __init__(self, default: Callable[[Request], Any] | None = None) -> None:
        self.script: list[tuple[str | None, Any]] = []
        self.default = default or (lambda req: Status(500))
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        port = int(self._httpd.server_address[1])
        return f"http://127.0.0.1:{port}/v1"

    def start(self) -> FaultServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                req = Request(step_of(body), body, {k.lower(): v for k, v in self.headers.items()}, time.monotonic())
                with server._lock:
                    server.requests.append(req)
                    item = None
                    for i, (step, _item) in enumerate(server.script):
                        if step is None or step == req.step:
                            item = server.script.pop(i)[1]
                            break
                if item is None:
                    item = server.default(req)
                self._answer(req, item)

            def _answer(self, req: Request, item: Any) -> None:
                if isinstance(item, Sleep):
                    time.sleep(item.seconds)
                    item = item.then
                if isinstance(item, Status):
                    self._send(item.code, json.dumps(item.body).encode(), item.headers)
                elif isinstance(item, Reply):
                    self._send(200, json.dumps(completion(req.body, _args(item.args, req))).encode())
                elif isinstance(item, RawContent):
                    self._send(200, json.dumps(completion(req.body, None, item.text, item.finish_reason)).encode())
                elif isinstance(item, BrokenJson):
                    data = json.dumps(completion(req.body, _args(item.args, req))).encode()
                    self._send(200, data[: len(data) // 2])
                elif isinstance(item, Truncated):
                    data = json.dumps(completion(req.body, _args(item.args, req))).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                else:  # pragma: no cover - a test bug
                    raise TypeError(f"unknown script item {item!r}")

            def _send(self, code: int, data: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fault-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting

    def push(self, *items: Any, step: str | None = None) -> None:
        """Script the answers to the next requests of ``step`` (any step when ``None``), in order."""
        with self._lock:
            self.script.extend((step, item) for item in items)

    def reset(self) -> int:
        """Drop what is left of the script; return the number of requests so far (for :meth:`count`)."""
        with self._lock:
            self.script.clear()
            return len(self.requests)

    def left(self) -> int:
        """Scripted items not used yet."""
        with self._lock:
            return len(self.script)

    def count(self, step: str | None = None, since: int = 0) -> int:
        with self._lock:
            return sum(1 for r in self.requests[since:] if step is None or r.step == step)


def _args(args: Args, req: Request) -> dict[str, Any]:
    return args(req) if callable(args) else args


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
