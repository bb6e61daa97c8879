"""A local HTTP server on loopback speaking the chat-completions protocol (OpenAI and Azure
OpenAI paths), for driving the real `openai` SDK in tests. It records every request and
answers from a script: a list of steps, each a status code with an optional delay; the
last step repeats."""

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PLACEHOLDER_RE = re.compile(r"<(?:EMAIL|PHONE|NAME|CASE|POLICY)_\d+>")


@dataclass
class Step:
    status: int = 200
    delay: float = 0.0
    content: str | None = None  # None: echo the placeholders seen in the prompt


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeOpenAI:
    steps: list[Step] = field(default_factory=lambda: [Step()])
    requests: list[Seen] = field(default_factory=list)
    url: str = ""

    def answer_for(self, body: dict[str, Any]) -> str:
        prompt = "\n".join(m.get("content", "") for m in body.get("messages", []))
        placeholders = sorted(set(PLACEHOLDER_RE.findall(prompt)))
        return "Model answer. " + (" ".join(placeholders) if placeholders else "No PII seen.")


def _handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            fake.requests.append(
                Seen(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
            )
            step = fake.steps[min(len(fake.requests) - 1, len(fake.steps) - 1)]
            if step.delay:
                time.sleep(step.delay)
            if step.status != 200:
                payload = {
                    "error": {"message": "scripted failure", "type": "server_error", "code": None}
                }
            else:
                payload = {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model") or "gpt-4o-mini",
                    "choices": [
                        {
                            "index": 0,
                            "message": {
                                "role": "assistant",
                                "content": step.content
                                if step.content is not None
                                else fake.answer_for(body),
                            },
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
                }
            data = json.dumps(payload).encode()
            try:
                self.send_response(step.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if step.status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client timed out and left

    return Handler


class FakeOpenAIServer:
    def __init__(self) -> None:
        self.fake = FakeOpenAI()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.fake))
        self.server.daemon_threads = True
        host, port = self.server.server_address[:2]
        self.fake.url = f"http://{host}:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self.fake

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
