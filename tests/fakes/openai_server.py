"""A fake OpenAI-compatible model server: a real HTTP server on 127.0.0.1, scripted per test.

It speaks ``POST /v1/chat/completions`` (JSON, and server-sent events when the request says
``"stream": true``) and ``GET /v1/models``. Each request takes the next ``Reply`` from the script;
with the script empty it answers with ``default`` (if set) or an HTTP 500 that says so, and counts
the request in ``unscripted``. Every request is recorded (body, headers, arrival time), so tests can
assert on the prompt that was really sent and on how many calls were made.

    server.script(Reply.sentences(("亲，建议选2XL。", ["chunk-1"])), Reply.error(503))
    backend = OpenAIBackend(settings(llm_base_url=server.base_url))
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer. Only the fields that matter for a case need setting."""

    content: str | None = ""  # the assistant message; None sends "content": null
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # wait before answering (timeouts)
    body: str | None = None  # raw body instead of a completion (malformed JSON)
    no_choices: bool = False  # "choices": []
    drop: bool = False  # close the connection without any answer
    chunks: Sequence[str] | None = None  # stream: these deltas (default: content in pieces)
    chunk_delay_s: float = 0.0  # stream: pause between deltas
    drop_after_chunks: int | None = None  # stream: cut the connection after this many deltas
    no_finish: bool = False  # stream: end cleanly but without a finish_reason and [DONE]

    @classmethod
    def sentences(cls, *sentences: tuple[str, Sequence[str]], **kwargs: Any) -> Reply:
        """A well-formed JSON draft: ``Reply.sentences(("text", ["chunk-id"]), ...)``."""
        payload = {"sentences": [{"text": text, "cites": list(cites)} for text, cites in sentences]}
        return cls(content=json.dumps(payload, ensure_ascii=False), **kwargs)

    @classmethod
    def error(cls, status: int, *, retry_after: str | None = None, **kwargs: Any) -> Reply:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return cls(content=None, status=status, headers=headers, **kwargs)

    @classmethod
    def stream(cls, *chunks: str, **kwargs: Any) -> Reply:
        return cls(content="".join(chunks), chunks=list(chunks), **kwargs)


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received_at: float  # time.monotonic()

    @property
    def messages(self) -> list[dict[str, str]]:
        return list(self.body.get("messages", []))

    @property
    def prompt_text(self) -> str:
        """All message contents, joined: for 'was X sent at all' assertions."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)

    @property
    def last_user_message(self) -> str:
        users = [m for m in self.messages if m.get("role") == "user"]
        return str(users[-1]["content"]) if users else ""


class FakeOpenAIServer:
    def __init__(self) -> None:
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.requests: list[RecordedRequest] = []
        self.default: Reply | None = None
        # A fake *model*: answers from the request itself once the script is empty.
        self.responder: Callable[[RecordedRequest], Reply] | None = None
        self.unscripted = 0
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # cuts scripted delays short
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # ---------------------------------------------------------------- scripting

    def script(self, *replies: Reply) -> FakeOpenAIServer:
        with self._lock:
            self._script.extend(replies)
        return self

    @property
    def pending(self) -> int:
        """Scripted replies not yet used."""
        with self._lock:
            return len(self._script)

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._script:
                return self._script.popleft()
            if self.responder is not None:
                return self.responder(request)
            if self.default is not None:
                return self.default
            self.unscripted += 1
        return Reply(content=None, status=500, body=json.dumps(
            {"error": {"message": "fake server: no scripted reply left", "type": "server_error"}}
        ))

    def wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up is a scripted case here, not a server bug.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        fake = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAIServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes; with Nagle on, keep-alive requests stall on
    # the client's delayed ACK (~40 ms), which would swamp any latency measured against us.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        return

    def do_GET(self) -> None:
        if self.path.rstrip("/") != "/v1/models":
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        self._send_json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send_json(400, {"error": {"message": "request body is not JSON"}})
            return
        request = RecordedRequest(
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            received_at=time.monotonic(),
        )
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        reply = self.fake._next_reply(request)
        if reply.delay_s:
            self.fake.wait(reply.delay_s)
        if reply.drop:
            self._drop()
        elif reply.status != 200:
            self._send_error(reply)
        elif reply.body is not None:
            self._send_raw(200, reply.body.encode(), reply.headers)
        elif body.get("stream"):
            self._send_stream(reply, str(body.get("model", "")))
        else:
            self._send_json(200, _completion(reply, str(body.get("model", ""))), reply.headers)

    # ---------------------------------------------------------------- responses

    def _send_error(self, reply: Reply) -> None:
        if reply.body is not None:
            self._send_raw(reply.status, reply.body.encode(), reply.headers)
            return
        error = {"error": {"message": f"fake server error {reply.status}", "type": "server_error"}}
        self._send_json(reply.status, error, reply.headers)

    def _send_json(
        self, status: int, payload: object, headers: dict[str, str] | None = None
    ) -> None:
        self._send_raw(status, json.dumps(payload, ensure_ascii=False).encode(), headers or {})

    def _send_raw(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_stream(self, reply: Reply, model: str) -> None:
        # Chunked transfer encoding, as uvicorn-based servers (vLLM, …) send it: a connection
        # cut before the final empty chunk is then visible to the client as a broken body.
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunks = list(reply.chunks) if reply.chunks is not None else _pieces(reply.content or "")
        self._event(_chunk(model, {"role": "assistant", "content": ""}))
        for index, text in enumerate(chunks):
            if reply.drop_after_chunks is not None and index >= reply.drop_after_chunks:
                self._drop()
                return
            if reply.chunk_delay_s:
                self.fake.wait(reply.chunk_delay_s)
            self._event(_chunk(model, {"content": text}))
        if reply.drop_after_chunks is not None and len(chunks) <= reply.drop_after_chunks:
            self._drop()  # everything sent but the end: no finish_reason, no [DONE]
            return
        if not reply.no_finish:
            self._event(_chunk(model, {}, finish_reason="stop"))
            self._write_chunk(b"data: [DONE]\n\n")
        self._write_chunk(b"")

    def _event(self, payload: dict[str, Any]) -> None:
        self._write_chunk(b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _drop(self) -> None:
        self.close_connection = True
        self.wfile.flush()
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            return  # the client already went away; nothing left to cut


def _completion(reply: Reply, model: str) -> dict[str, Any]:
    choices = [] if reply.no_choices else [
        {
            "index": 0,
            "message": {"role": "assistant", "content": reply.content},
            "finish_reason": "stop",
        }
    ]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _chunk(model: str, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def _pieces(text: str, size: int = 6) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]
