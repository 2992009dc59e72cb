"""A local HTTP server on 127.0.0.1 for fetch tests: reports, and every way a download can go wrong."""

from __future__ import annotations

import hashlib
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GZIP = b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4  # a gzip stream: not a report format


class Site:
    """Pages served by path; counts requests per path, remembers conditional headers."""

    def __init__(self):
        self.pages: dict[str, tuple[bytes, str]] = {}
        self.hits: dict[str, int] = {}
        self.statuses: dict[str, list[int]] = {}
        self.flaky_failures = 2
        self.slow_s = 3.0
        self.big_bytes = 300_000
        self.trickle_s = 0.2  # between two bytes of /trickle and /trickle-headers
        self.retry_after = "1"  # Retry-After of /retry-after's first answer
        self.basic_auth = "Basic dXNlcjpodW50ZXIy"  # user:hunter2
        self.lock = threading.Lock()

    def put(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        self.pages[path] = (body, content_type)

    def record(self, path: str, status: int) -> None:
        with self.lock:
            self.hits[path] = self.hits.get(path, 0) + 1
            self.statuses.setdefault(path, []).append(status)


def _handler(site: Site):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _send(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
            site.record(self.path.split("?", 1)[0], status)
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            if "Content-Length" not in (headers or {}):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeouts, size caps)
                    self.close_connection = True

        def do_GET(self):  # noqa: N802
            path = self.path.split("?", 1)[0]
            if path in site.pages:
                body, ctype = site.pages[path]
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    return self._send(304, headers={"ETag": etag})
                return self._send(
                    200,
                    body,
                    {"Content-Type": ctype, "ETag": etag, "Last-Modified": formatdate(1_700_000_000, usegmt=True)},
                )
            if path == "/missing":
                return self._send(404, b"not found")
            if path == "/error":
                return self._send(500, b"boom")
            if path == "/flaky":
                n = site.hits.get(path, 0)
                if n < site.flaky_failures:
                    return self._send(503, b"try later")
                body, ctype = site.pages["/reports/a.html"]
                return self._send(200, body, {"Content-Type": ctype})
            if path == "/slow":
                time.sleep(site.slow_s)
                return self._send(200, b"late")
            if path in ("/loop", "/loop2"):
                return self._send(302, headers={"Location": "/loop2" if path == "/loop" else "/loop"})
            if path == "/redirect":
                return self._send(301, headers={"Location": "/reports/b.html"})
            if path == "/to-file":
                return self._send(302, headers={"Location": "file:///etc/passwd"})
            if path == "/big":
                return self._send(200, b"x" * site.big_bytes, {"Content-Type": "text/plain"})
            if path == "/big-chunked":
                site.record(path, 200)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    for _ in range(site.big_bytes // 1000 + 1):
                        self.wfile.write(b"y" * 1000)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True
                return None
            if path in ("/trickle", "/trickle-headers"):  # one byte at a time, for ever (until the client goes)
                site.record(path, 200)
                try:
                    if path == "/trickle":
                        self.wfile.write(
                            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n"
                        )
                    for _ in range(200):
                        self.wfile.write(b"H" if path == "/trickle-headers" else b"x")
                        self.wfile.flush()
                        time.sleep(site.trickle_s)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True
                return None
            if path.startswith("/to-loopback"):
                return self._send(
                    302, headers={"Location": f"http://127.0.0.1:{self.server.server_address[1]}/reports/a.html"}
                )
            if path.startswith("/retry-after"):
                if site.hits.get(path, 0) == 0:
                    return self._send(
                        429 if path == "/retry-after" else 503, b"wait", {"Retry-After": site.retry_after}
                    )
                body, ctype = site.pages["/reports/a.html"]
                return self._send(200, body, {"Content-Type": ctype})
            if path.startswith("/auth"):
                if self.headers.get("Authorization") != site.basic_auth:
                    return self._send(401, b"who are you")
                body, ctype = site.pages["/reports/b.html"]
                return self._send(200, body, {"Content-Type": ctype})
            if path == "/mislabelled.pdf":
                body, _ = site.pages["/reports/a.html"]
                return self._send(200, body, {"Content-Type": "application/pdf"})
            if path == "/archive":
                return self._send(200, GZIP, {"Content-Type": "text/html"})
            return self._send(404, b"no such page")

    return Handler


class LocalServer:
    """``with LocalServer(site) as base_url: ...``: a threaded server on an ephemeral port."""

    def __init__(self, site: Site):
        self.site = site
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> str:
        self.thread.start()
        return self.url

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
