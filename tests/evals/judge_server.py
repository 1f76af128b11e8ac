"""A tiny OpenAI chat-completions server on 127.0.0.1 for the judge tests: it answers what the
test scripts (status, content) and records every request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeLLMScript:
    def __init__(self) -> None:
        self.replies: list[tuple[int, str]] = []
        self.default: tuple[int, str] = (200, "")
        self.requests: list[dict[str, Any]] = []


def _handler(script: FakeLLMScript) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length))
            script.requests.append({"path": self.path, "body": body})
            status, content = script.replies.pop(0) if script.replies else script.default
            if status != 200:
                payload = json.dumps({"error": {"message": "boom"}}).encode()
            else:
                payload = json.dumps({
                    "id": "cmpl-1", "object": "chat.completion", "created": 0,
                    "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                }).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serving() -> Iterator[tuple[str, FakeLLMScript]]:
    """(base URL ending in /v1, the script) while the server runs."""
    script = FakeLLMScript()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", script
    finally:
        server.shutdown()
        server.server_close()
