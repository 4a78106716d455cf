"""A local stand-in for Slack's Web API and response_url endpoints, recording every call."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


class FakeSlack:
    """Answers like Slack on 127.0.0.1: ``calls`` holds (path, parsed body) in arrival order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        self.rate_limit_next = 0  # answer this many Web API calls with 429 first
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0) or 0))
                ctype = self.headers.get("content-type", "")
                if "json" in ctype:
                    body = json.loads(raw or b"{}")
                else:
                    body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                    for key in ("blocks",):
                        if isinstance(body.get(key), str):
                            body[key] = json.loads(body[key])
                with fake.lock:
                    fake.calls.append((self.path, body))
                    limited = fake.rate_limit_next > 0 and "/api/" in self.path
                    if limited:
                        fake.rate_limit_next -= 1
                if limited:
                    data = json.dumps({"ok": False, "error": "ratelimited"}).encode()
                    self.send_response(429)
                    self.send_header("retry-after", "1")
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                reply: dict[str, Any] = {"ok": True}
                if self.path.endswith("auth.test"):
                    reply.update(user_id="UBOT", bot_id="BBOT", team_id="T1", user="newsqa")
                elif self.path.endswith("chat.postMessage"):
                    reply.update(ts=f"{time.time():.6f}", channel=body.get("channel"))
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeSlack:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()

    def posts(self, suffix: str) -> list[dict[str, Any]]:
        with self.lock:
            return [body for path, body in self.calls if path.endswith(suffix)]

    def wait_for(self, suffix: str, count: int = 1, timeout: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.posts(suffix)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"no {count} call(s) to {suffix} within {timeout}s: {self.calls}")
