"""A local HTTP server speaking Twilio's Messages REST API, recording each request."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeTwilio:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.reply_status = 201
        self.reply_body: dict = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                fake.requests.append(
                    {
                        "method": "POST",
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "form": {k: v[0] for k, v in parse_qs(raw).items()},
                    }
                )
                body = json.dumps(fake.reply_body or fake.default_reply()).encode()
                self.send_response(fake.reply_status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def default_reply(self) -> dict:
        return {
            "sid": "SM0123456789abcdef0123456789abcdef",
            "status": "queued",
            "num_segments": "1",
            "price": "-0.00750",
            "error_code": None,
        }

    def __enter__(self) -> "FakeTwilio":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
