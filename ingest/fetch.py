"""Download the reports listed in a sources file into the inbox, politely and safely.

The sources file is CSV with a header row: ``agency, year, url`` and an
optional ``format`` (a hint only: a saved file's format is sniffed from its
bytes, and its extension follows the sniffed format).

Each URL is fetched with a timeout per socket operation and a wall-clock
deadline for the whole download (its redirects, retries and waits included),
enforced while reading: the body is read in small pieces with the deadline
checked at each, and a watchdog shuts the socket when the deadline passes, so a
server trickling one byte at a time cannot hold a fetch. Also: a size cap (the
body is streamed and dropped as soon as it passes the cap), bounded retries
with exponential backoff on network errors, 5xx and 429 (``Retry-After``
honoured up to ``max_retry_after_s``; a longer wait asked for ends the
download), redirects followed by hand up to a bound (http and https only, loops
detected), and at most one request per ``min_interval_s`` to each host.
Connections go directly to the server (no proxy from the environment), and
only to public addresses: a host that resolves to a loopback, private,
link-local, multicast or reserved address is refused, at the first hop and at
every redirect, unless ``allow_private``. The address checked is the one
connected to. ETag and Last-Modified are kept per source (agency, year, URL),
so an unchanged page costs one 304, and one URL listed for two agencies gives
each its own file.

Credentials in a URL (``user:pass@``) are sent as HTTP basic auth to that
host only. They and query parameters that look like secrets (``token=``,
``key=``, ``sig=``, ``password=`` …) are redacted (``***``) in everything
recorded or printed: the ``fetches`` rows (so ``meta_fetches``), error
messages and logs.

File names come from the source row (year, agency, a hash of the URL), never
from the URL path or a response header, so nothing can escape the inbox. A
file is rewritten only when its bytes changed. Every attempt leaves one
provenance row in the lake table ``fetches``; a failure is recorded there and
does not stop the other downloads.
"""

from __future__ import annotations

import base64
import csv
import functools
import hashlib
import http.client
import ipaddress
import json
import os
import re
import socket
import threading
import time
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.client import HTTPException
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from . import __version__
from .home import HomeLayout
from .lake import Lake, new_batch_id
from .model import Quarantine
from .pipeline import MAX_BYTES
from .readers import sniff

EXTENSIONS = {
    "pdf": "pdf",
    "docx": "docx",
    "html": "html",
    "markdown": "md",
    "text": "txt",
    "mhtml": "mht",
    "doc": "doc",
    "markdown_html": "md",
    "text_html": "txt",
}
IMAGE_EXTENSIONS = {b"\x89PNG": "png", b"\xff\xd8\xff": "jpg", b"II*\x00": "tif", b"MM\x00*": "tif"}
REDIRECTS = {301, 302, 303, 307, 308}


def extension_for(fmt: str, body: bytes) -> str:
    """The file extension a download of this format is saved with (an image's from its magic bytes)."""
    if fmt == "image":
        return next((ext for magic, ext in IMAGE_EXTENSIONS.items() if body.startswith(magic)), "img")
    return EXTENSIONS[fmt]


SOURCE_COLUMNS = ("agency", "year", "url")


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of one fetch run; the defaults suit unattended runs against government sites."""

    timeout_s: float = 30.0  # per socket operation (connect, each read)
    deadline_s: float = 300.0  # for one download (hops, retries, waits), however slowly the bytes trickle in
    max_bytes: int = MAX_BYTES
    retries: int = 3  # further attempts after the first, on network errors, 5xx and 429
    backoff_s: float = 2.0  # wait before retry n is backoff_s * 2**(n-1)
    max_redirects: int = 5
    min_interval_s: float = 1.0  # between two requests to the same host
    max_retry_after_s: float = 120.0  # longest Retry-After honoured; a longer one ends the download
    allow_private: bool = False  # allow loopback, private, link-local and reserved addresses
    read_size: int = 16384  # bytes per read of the body (the deadline is checked at each)
    user_agent: str = f"xxgk/{__version__} (annual report fetcher)"


@dataclass(frozen=True)
class Source:
    agency: str
    year: int | None
    url: str
    format_hint: str | None = None
    line: int = 0
    problem: str | None = None  # why the row cannot be fetched


class FetchError(Exception):
    def __init__(
        self,
        code: str,
        message: str,
        status: int | None = None,
        retryable: bool = False,
        final_url: str | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.code, self.status, self.retryable, self.final_url = code, status, retryable, final_url
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.code}: {self.args[0]}"


@dataclass
class FetchSummary:
    ok: int = 0  # downloaded, new or changed bytes
    unchanged: int = 0  # downloaded, same bytes as before
    not_modified: int = 0  # 304
    failed: int = 0
    rows: list[dict] = field(default_factory=list)

    @property
    def failures(self) -> list[dict]:
        return [r for r in self.rows if r["error"]]


def read_sources(path: str | Path) -> list[Source]:
    """Rows of a sources file; a row that cannot be fetched carries its ``problem``."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        missing = [c for c in SOURCE_COLUMNS if c not in header]
        if missing:
            raise ValueError(
                f"{path}: the sources file needs a header with columns agency, year, url "
                f"(and optionally format); missing {', '.join(missing)}"
            )
        out = []
        for n, raw in enumerate(reader, start=2):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
            if not any(row.values()):
                continue
            out.append(_source(row, n))
    return out


def _source(row: dict, line: int) -> Source:
    url, agency = row.get("url", ""), row.get("agency", "")
    hint = row.get("format") or None
    try:
        year = int(row.get("year", ""))
    except ValueError:
        return Source(agency, None, url, hint, line, f"line {line}: year {row.get('year')!r} is not a year")
    problem = None
    if not 2000 <= year <= 2100:
        problem = f"line {line}: year {year} is out of range"
    elif urlsplit(url).scheme.lower() not in ("http", "https") or not urlsplit(url).hostname:
        problem = f"line {line}: only http and https URLs are fetched, not {url!r}"
    return Source(agency, year, url, hint, line, problem)


def safe_stem(src: Source) -> str:
    """A file name stem from the source row alone: year, agency slug, a hash of the URL."""
    slug = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in unicodedata.normalize("NFKC", src.agency))
    slug = "_".join(p for p in slug.split("_") if p)[:60] or "report"
    return f"{src.year}_{slug}_{hashlib.sha256(src.url.encode()).hexdigest()[:10]}"


# --- addresses ---------------------------------------------------------------------------------------


def blocked_reason(ip: str) -> str | None:
    """Why an address may not be fetched from without ``allow_private`` (None: a public address)."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    for reason in ("loopback", "link_local", "private", "multicast", "unspecified", "reserved"):
        if getattr(addr, f"is_{reason}"):
            return reason.replace("_", "-")
    return None if addr.is_global else "reserved"


class BlockedAddress(OSError):
    """A host resolved to an address fetch is not allowed to connect to."""


def _resolve(host: str, port: int) -> list[str]:
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


class _Guard:
    """One request's connection: only to allowed addresses, and shut at the download's deadline."""

    def __init__(self, fetcher: Fetcher, deadline: float):
        self.fetcher, self.deadline = fetcher, deadline
        self.sock: socket.socket | None = None
        self.expired = False
        self._timer: threading.Timer | None = None

    def remaining(self) -> float:
        return self.deadline - self.fetcher.clock()

    def create_connection(self, address, timeout=None, source_address=None):
        host, port = address
        f = self.fetcher
        addresses = f.resolve(host, port)
        for ip in addresses:
            reason = f.address_check(ip, host)
            if reason and not f.policy.allow_private:
                raise BlockedAddress(f"{host} resolves to {ip}, a {reason} address (--allow-private allows it)")
        error: OSError = OSError(f"{host} has no address")
        for ip in addresses:
            try:
                sock = socket.create_connection(
                    (ip, port), timeout=max(0.01, min(timeout or 1e9, self.remaining())), source_address=source_address
                )
                break
            except OSError as exc:
                error = exc
        else:
            raise error
        self.watch(sock)
        return sock

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock`` when the deadline passes, whatever read or write is blocked on it."""
        self.sock = sock
        if self._timer is None:
            self._timer = threading.Timer(max(0.0, self.remaining()), self._expire)
            self._timer.daemon = True
            self._timer.start()

    def _expire(self) -> None:
        self.expired = True
        try:
            if self.sock is not None:
                self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def read_timeout(self) -> None:
        """Before a read: wait no longer than the socket timeout, nor past the deadline."""
        try:
            if self.sock is not None:
                self.sock.settimeout(max(0.01, min(self.fetcher.policy.timeout_s, self.remaining())))
        except OSError:
            pass

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


class _GuardedHTTP(http.client.HTTPConnection):
    def __init__(self, *args, guard: _Guard, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = guard.create_connection


class _GuardedHTTPS(http.client.HTTPSConnection):
    def __init__(self, *args, guard: _Guard, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = guard.create_connection
        self._guard = guard

    def connect(self):
        super().connect()
        self._guard.sock = self.sock  # the TLS socket, once wrapped


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, fetcher: Fetcher):
        super().__init__()
        self.fetcher = fetcher

    def http_open(self, req):
        return self.do_open(functools.partial(_GuardedHTTP, guard=self.fetcher._guard), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, fetcher: Fetcher):
        super().__init__()
        self.fetcher = fetcher

    def https_open(self, req):
        return self.do_open(functools.partial(_GuardedHTTPS, guard=self.fetcher._guard), req, context=self._context)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are followed by :class:`Fetcher` itself, so each hop is checked."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# --- secrets in URLs ------------------------------------------------------------------------------

SECRET_NAME = re.compile(r"(token|secret|passw(or)?d|pwd|sig(nature)?|key|credentials?|auth(orization)?|session(id)?)$")


def _secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(unquote(name).strip().lower().replace("-", "_")))


def _redact_params(text: str) -> str:
    return "&".join(
        p.split("=", 1)[0] + "=***" if "=" in p and _secret_name(p.split("=", 1)[0]) else p for p in text.split("&")
    )


def redact_url(url: str | None) -> str | None:
    """``url`` with user:password@ and secret-looking query (and fragment) values replaced by ``***``."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, netloc, parts.path, _redact_params(parts.query), _redact_params(parts.fragment)))


def url_secrets(url: str) -> set[str]:
    """The secret strings in ``url`` (as written and decoded): user, password, secret parameter values."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return {url}
    found = set()
    if "@" in parts.netloc:
        found.update(x for x in parts.netloc.rsplit("@", 1)[0].split(":", 1) if x)
    for text in (parts.query, parts.fragment):
        for p in text.split("&"):
            name, _, value = p.partition("=")
            if value and _secret_name(name):
                found.add(value)
    return found | {unquote(x) for x in found}


class Redactor:
    """Collects the secrets of every URL a download touched; scrubs them out of recorded text."""

    def __init__(self):
        self.secrets: set[str] = set()

    def add(self, url: str) -> str:
        self.secrets |= url_secrets(url)
        return url

    def scrub(self, text: str | None) -> str | None:
        if text is None:
            return None
        for secret in sorted(self.secrets, key=len, reverse=True):
            if len(secret) >= 3:
                text = text.replace(secret, "***")
        return text


def _strip_userinfo(url: str) -> tuple[str, str | None]:
    """(url without user:password@, the Basic auth header value for it or None)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, _, password = userinfo.partition(":")
    token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode()
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment)), f"Basic {token}"


def source_key(src: Source) -> str:
    """The state key of a source: one URL listed for two agencies (or years) is two sources."""
    return hashlib.sha256(f"{src.agency}\n{src.year}\n{src.url}".encode()).hexdigest()[:32]


def _retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class Fetcher:
    """Downloads sources into ``<home>/inbox``; see the module docstring for the rules."""

    def __init__(
        self,
        home: HomeLayout | str | Path,
        policy: FetchPolicy = FetchPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        resolve: Callable[[str, int], list[str]] = _resolve,
        address_check: Callable[[str, str], str | None] = lambda ip, host: blocked_reason(ip),
    ):
        self.home = HomeLayout.of(home)
        self.inbox = self.home.inbox
        self.state_path = self.home.state / "fetch_state.json"
        self.policy = policy
        self.sleep, self.clock = sleep, clock
        self.resolve, self.address_check = resolve, address_check
        self._last_request: dict[str, float] = {}
        self._guard: _Guard | None = None
        # no proxy from the environment: the address check must see the address connected to
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), _NoRedirect, _HTTPHandler(self), _HTTPSHandler(self)
        )
        self._opener.addheaders = [("User-Agent", policy.user_agent), ("Accept-Encoding", "identity")]

    # --- state -----------------------------------------------------------------------------------
    def _load_state(self) -> dict[str, dict]:
        """Per source key; entries of the older per-URL state (URLs with their secrets) are dropped."""
        try:
            state = json.loads(self.state_path.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return {k: v for k, v in state.items() if re.fullmatch(r"[0-9a-f]{32}", k)} if isinstance(state, dict) else {}

    def _save_state(self, state: dict) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_name(self.state_path.name + ".tmp")
        tmp.write_text(json.dumps(state, ensure_ascii=False, indent=0, sort_keys=True))
        os.replace(tmp, self.state_path)

    # --- run -------------------------------------------------------------------------------------
    def fetch_all(self, sources: list[Source], progress: Callable[[int], None] | None = None) -> FetchSummary:
        """Fetch every source; record one provenance row each in the lake."""
        self.inbox.mkdir(parents=True, exist_ok=True)
        state = self._load_state()
        summary = FetchSummary()
        batch_id = new_batch_id()
        try:
            for src in sources:
                row = self.fetch_one(src, state)
                row["batch_id"] = batch_id
                summary.rows.append(row)
                if row["error"]:
                    summary.failed += 1
                elif row["status"] == 304:
                    summary.not_modified += 1
                elif row.get("_changed"):
                    summary.ok += 1
                else:
                    summary.unchanged += 1
                if progress:
                    progress(1)
        finally:
            self._save_state(state)
            if summary.rows:
                lake = Lake(self.home.lake)
                if not lake.initialised():
                    lake.init()
                lake.write_batch(
                    {"fetches": [{k: v for k, v in r.items() if not k.startswith("_")} for r in summary.rows]}, batch_id
                )
        return summary

    def fetch_one(self, src: Source, state: dict) -> dict:
        started = self.clock()
        self._deadline = started + self.policy.deadline_s
        self._redactor = red = Redactor()
        red.add(src.url)
        row = {
            "url": src.url,
            "final_url": None,
            "status": None,
            "fetched_at": datetime.now(UTC),
            "sha256": None,
            "bytes": 0,
            "error": None,
            "agency": src.agency,
            "year": src.year,
            "format_hint": src.format_hint,
            "format": None,
            "content_type": None,
            "file": None,
            "attempts": 0,
            "elapsed_s": None,
        }
        if src.problem:
            row["error"] = f"bad_source: {src.problem}"
            return _scrubbed(row, red)
        key = source_key(src)
        known = state.get(key, {})
        previous = self.inbox / known["file"] if known.get("file") else None
        headers = {}
        if previous is not None and previous.is_file():
            if known.get("etag"):
                headers["If-None-Match"] = known["etag"]
            if known.get("last_modified"):
                headers["If-Modified-Since"] = known["last_modified"]
        try:
            status, final_url, resp_headers, body, attempts = self._get(src.url, headers)
            row.update(
                status=status, final_url=final_url, attempts=attempts, content_type=resp_headers.get("Content-Type")
            )
            if status == 304:
                row.update(sha256=known.get("sha256"), file=known.get("file"), format=known.get("format"))
            else:
                self._store(src, body, row, known, previous)
                state[key] = {
                    "etag": resp_headers.get("ETag"),
                    "last_modified": resp_headers.get("Last-Modified"),
                    "file": row["file"],
                    "sha256": row["sha256"],
                    "format": row["format"],
                }
        except FetchError as exc:
            row.update(
                error=str(exc),
                status=exc.status,
                final_url=exc.final_url,
                attempts=getattr(exc, "attempts", row["attempts"]),
            )
        row["elapsed_s"] = round(self.clock() - started, 3)
        return _scrubbed(row, red)

    def _store(self, src: Source, body: bytes, row: dict, known: dict, previous: Path | None) -> None:
        try:
            fmt = sniff(body, src.url)
        except Quarantine as q:
            raise FetchError(
                "unsupported_content",
                f"{q.message} (Content-Type {row['content_type']!r})",
                status=row["status"],
                final_url=row["final_url"],
            ) from None
        sha = hashlib.sha256(body).hexdigest()
        rel = Path(str(src.year)) / f"{safe_stem(src)}.{extension_for(fmt, body)}"
        dest = self.inbox / rel
        if dest.resolve().parent != (self.inbox / str(src.year)).resolve():
            raise FetchError("unsafe_name", f"refusing to write outside the inbox: {rel}")
        changed = not (dest.is_file() and known.get("sha256") == sha and dest.stat().st_size == len(body))
        if changed:
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
            tmp.write_bytes(body)
            os.replace(tmp, dest)
        if previous is not None and previous != dest and previous.resolve().is_relative_to(self.inbox.resolve()):
            previous.unlink(missing_ok=True)
        row.update(sha256=sha, bytes=len(body), format=fmt, file=str(rel), _changed=changed)

    # --- HTTP ------------------------------------------------------------------------------------
    def _get(self, url: str, headers: dict) -> tuple[int, str, dict, bytes, int]:
        """GET with retries within the download's deadline: (status, final url, headers, body, attempts)."""
        p = self.policy
        for attempt in range(1, p.retries + 2):
            try:
                return (*self._follow(url, headers), attempt)
            except FetchError as exc:
                exc.attempts = attempt
                if not exc.retryable or attempt > p.retries:
                    raise
                wait = p.backoff_s * 2 ** (attempt - 1)
                if exc.retry_after is not None:
                    if exc.retry_after > p.max_retry_after_s:
                        exc.args = (
                            f"{exc.args[0]}; the server asked to retry after {exc.retry_after:g} s, "
                            f"longer than the {p.max_retry_after_s:g} s honoured",
                        )
                        raise
                    wait = max(wait, exc.retry_after)
                if self.clock() + wait > self._deadline:
                    exc.args = (f"{exc.args[0]}; no time left to retry within the {p.deadline_s:g} s deadline",)
                    raise
            self.sleep(wait)
        raise AssertionError("unreachable")

    def _follow(self, url: str, headers: dict) -> tuple[int, str, dict, bytes]:
        seen = {url}
        current = url
        origin = (urlsplit(url).hostname or "").lower()
        for _ in range(self.policy.max_redirects + 1):
            self._redactor.add(current)
            parts = urlsplit(current)
            if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
                raise FetchError(
                    "bad_scheme", f"only http and https are followed, not {redact_url(current)!r}", final_url=current
                )
            target, auth = _strip_userinfo(current)
            hop = dict(headers)
            if auth and parts.hostname.lower() == origin:  # credentials go to the host they were written for
                hop["Authorization"] = auth
            status, resp_headers, body = self._request(target, hop)
            if status in REDIRECTS:
                location = resp_headers.get("Location")
                if not location:
                    raise FetchError("bad_redirect", f"HTTP {status} without a Location", status, final_url=current)
                nxt = self._redactor.add(urljoin(current, location))
                if nxt in seen:
                    raise FetchError(
                        "redirect_loop", f"redirect loop back to {redact_url(nxt)}", status, final_url=current
                    )
                seen.add(nxt)
                current = nxt
                continue
            return status, current, resp_headers, body
        raise FetchError("too_many_redirects", f"more than {self.policy.max_redirects} redirects", final_url=current)

    def _wait_turn(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None:
            wait = self.policy.min_interval_s - (self.clock() - last)
            if wait > 0:
                self.sleep(wait)
        self._last_request[host] = self.clock()

    def _late(self, url: str, status: int | None = None) -> FetchError:
        return FetchError(
            "timeout",
            f"the download took longer than its deadline of {self.policy.deadline_s:g} s",
            status,
            final_url=url,
        )

    def _request(self, url: str, headers: dict) -> tuple[int, dict, bytes]:
        """One HTTP request, no redirects followed: (status, headers, body). Body only for 200."""
        self._wait_turn(urlsplit(url).netloc.lower())
        if self.clock() >= self._deadline:
            raise self._late(url)
        guard = self._guard = _Guard(self, self._deadline)
        try:
            return self._exchange(urllib.request.Request(url, headers=headers), url, guard)
        finally:
            guard.cancel()
            self._guard = None

    def _exchange(self, req: urllib.request.Request, url: str, guard: _Guard) -> tuple[int, dict, bytes]:
        p = self.policy
        try:
            resp = self._opener.open(req, timeout=max(0.01, min(p.timeout_s, guard.remaining())))
        except urllib.error.HTTPError as exc:
            status, hdrs = exc.code, dict(exc.headers.items()) if exc.headers else {}
            retry_after = _retry_after(exc.headers.get("Retry-After")) if exc.headers else None
            exc.close()
            if status in REDIRECTS or status == 304:
                return status, hdrs, b""
            raise FetchError(
                f"http_{status}",
                f"HTTP {status} {exc.reason}",
                status,
                retryable=status >= 500 or status == 429,
                final_url=url,
                retry_after=retry_after,
            ) from None
        except (urllib.error.URLError, OSError, HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, BlockedAddress):
                raise FetchError("private_address", str(reason), final_url=url) from None
            if guard.expired:
                raise self._late(url) from None
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise FetchError(
                    "timeout", f"no response within {p.timeout_s:g} s", retryable=True, final_url=url
                ) from None
            raise FetchError("network", f"{type(reason).__name__}: {reason}", retryable=True, final_url=url) from None
        with resp:
            status, hdrs = resp.status, dict(resp.headers.items())
            if status != 200:
                raise FetchError(f"http_{status}", f"unexpected HTTP {status}", status, final_url=url)
            declared = hdrs.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > p.max_bytes:
                raise FetchError(
                    "too_large",
                    f"Content-Length {declared} is over the limit of {p.max_bytes} bytes",
                    status,
                    final_url=url,
                )
            chunks, total = [], 0
            try:
                while True:
                    guard.read_timeout()
                    chunk = resp.read1(p.read_size)
                    if self.clock() > self._deadline or guard.expired:
                        raise self._late(url, status)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > p.max_bytes:
                        raise FetchError(
                            "too_large",
                            f"the body passed the limit of {p.max_bytes} bytes; download stopped",
                            status,
                            final_url=url,
                        )
                    chunks.append(chunk)
            except (OSError, HTTPException) as exc:
                if guard.expired:
                    raise self._late(url, status) from None
                kind = "timeout" if isinstance(exc, (TimeoutError, socket.timeout)) else "network"
                raise FetchError(
                    kind, f"reading the body failed: {type(exc).__name__}: {exc}", status, retryable=True, final_url=url
                ) from None
        return status, hdrs, b"".join(chunks)


def _scrubbed(row: dict, red: Redactor) -> dict:
    """The row as recorded and printed: URLs redacted, secrets gone from the error text."""
    row["url"], row["final_url"] = red.scrub(redact_url(row["url"])), red.scrub(redact_url(row["final_url"]))
    row["error"] = red.scrub(row["error"])
    return row
