"""Download the reports listed in a sources file into the inbox, politely and safely.

The sources file is CSV with a header row: ``agency, year, url`` and an
optional ``format`` (a hint only: a saved file's format is sniffed from its
bytes, and its extension follows the sniffed format).

Each URL is fetched with a timeout per socket operation and a deadline for
the whole download, a size cap (the body is streamed and dropped as soon as it
passes the cap), bounded retries with exponential backoff on network errors,
5xx and 429, redirects followed by hand up to a bound (http and https only,
loops detected), and at most one request per ``min_interval_s`` to each host.
ETag and Last-Modified are kept per URL, so an unchanged page costs one 304.

File names come from the source row (year, agency, a hash of the URL), never
from the URL path or a response header, so nothing can escape the inbox. A
file is rewritten only when its bytes changed. Every attempt leaves one
provenance row in the lake table ``fetches``; a failure is recorded there and
does not stop the other downloads.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import socket
import time
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.client import HTTPException
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from . import __version__
from .lake import Lake, new_batch_id
from .model import Quarantine
from .pipeline import MAX_BYTES
from .readers import sniff

EXTENSIONS = {"pdf": "pdf", "docx": "docx", "html": "html", "markdown": "md", "text": "txt", "mhtml": "mht", "doc": "doc",
              "markdown_html": "md", "text_html": "txt"}
REDIRECTS = {301, 302, 303, 307, 308}
SOURCE_COLUMNS = ("agency", "year", "url")


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of one fetch run; the defaults suit unattended runs against government sites."""

    timeout_s: float = 30.0          # per socket operation (connect, each read)
    deadline_s: float = 300.0        # for one download, however slowly the bytes trickle in
    max_bytes: int = MAX_BYTES
    retries: int = 3                 # further attempts after the first, on network errors, 5xx and 429
    backoff_s: float = 2.0           # wait before retry n is backoff_s * 2**(n-1)
    max_redirects: int = 5
    min_interval_s: float = 1.0      # between two requests to the same host
    user_agent: str = f"xxgk/{__version__} (annual report fetcher)"


@dataclass(frozen=True)
class Source:
    agency: str
    year: int | None
    url: str
    format_hint: str | None = None
    line: int = 0
    problem: str | None = None       # why the row cannot be fetched


class FetchError(Exception):
    def __init__(self, code: str, message: str, status: int | None = None, retryable: bool = False,
                 final_url: str | None = None):
        super().__init__(message)
        self.code, self.status, self.retryable, self.final_url = code, status, retryable, final_url

    def __str__(self) -> str:
        return f"{self.code}: {self.args[0]}"


@dataclass
class FetchSummary:
    ok: int = 0                      # downloaded, new or changed bytes
    unchanged: int = 0               # downloaded, same bytes as before
    not_modified: int = 0            # 304
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
            raise ValueError(f"{path}: the sources file needs a header with columns agency, year, url "
                             f"(and optionally format); missing {', '.join(missing)}")
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are followed by :class:`Fetcher` itself, so each hop is checked."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Fetcher:
    def __init__(self, home: str | Path, policy: FetchPolicy = FetchPolicy(),
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic):
        self.home = Path(home)
        self.inbox = self.home / "inbox"
        self.state_path = self.home / ".state" / "fetch_state.json"
        self.policy = policy
        self.sleep, self.clock = sleep, clock
        self._last_request: dict[str, float] = {}
        self._opener = urllib.request.build_opener(_NoRedirect)
        self._opener.addheaders = [("User-Agent", policy.user_agent), ("Accept-Encoding", "identity")]

    # --- state -----------------------------------------------------------------------------------
    def _load_state(self) -> dict[str, dict]:
        try:
            return json.loads(self.state_path.read_text())
        except (FileNotFoundError, ValueError):
            return {}

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
                lake = Lake(self.home / "lake")
                if not (lake.root / "_batches").is_dir():
                    lake.init()
                lake.write_batch({"fetches": [{k: v for k, v in r.items() if not k.startswith("_")} for r in summary.rows]},
                                 batch_id)
        return summary

    def fetch_one(self, src: Source, state: dict) -> dict:
        started = self.clock()
        row = {"url": src.url, "final_url": None, "status": None, "fetched_at": datetime.now(timezone.utc),
               "sha256": None, "bytes": 0, "error": None, "agency": src.agency, "year": src.year,
               "format_hint": src.format_hint, "format": None, "content_type": None, "file": None, "attempts": 0,
               "elapsed_s": None}
        if src.problem:
            row["error"] = f"bad_source: {src.problem}"
            return row
        known = state.get(src.url, {})
        previous = self.inbox / known["file"] if known.get("file") else None
        headers = {}
        if previous is not None and previous.is_file():
            if known.get("etag"):
                headers["If-None-Match"] = known["etag"]
            if known.get("last_modified"):
                headers["If-Modified-Since"] = known["last_modified"]
        try:
            status, final_url, resp_headers, body, attempts = self._get(src.url, headers)
            row.update(status=status, final_url=final_url, attempts=attempts,
                       content_type=resp_headers.get("Content-Type"))
            if status == 304:
                row.update(sha256=known.get("sha256"), file=known.get("file"), format=known.get("format"))
            else:
                self._store(src, body, row, known, previous)
                state[src.url] = {"etag": resp_headers.get("ETag"), "last_modified": resp_headers.get("Last-Modified"),
                                  "file": row["file"], "sha256": row["sha256"], "format": row["format"]}
        except FetchError as exc:
            row.update(error=str(exc), status=exc.status, final_url=exc.final_url,
                       attempts=getattr(exc, "attempts", row["attempts"]))
        row["elapsed_s"] = round(self.clock() - started, 3)
        return row

    def _store(self, src: Source, body: bytes, row: dict, known: dict, previous: Path | None) -> None:
        try:
            fmt = sniff(body, src.url)
        except Quarantine as q:
            raise FetchError("unsupported_content", f"{q.message} (Content-Type {row['content_type']!r})",
                             status=row["status"], final_url=row["final_url"]) from None
        sha = hashlib.sha256(body).hexdigest()
        rel = Path(str(src.year)) / f"{safe_stem(src)}.{EXTENSIONS[fmt]}"
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
        """GET with retries: (status, final url, headers, body, attempts)."""
        p = self.policy
        for attempt in range(1, p.retries + 2):
            try:
                return (*self._follow(url, headers), attempt)
            except FetchError as exc:
                exc.attempts = attempt
                if not exc.retryable or attempt > p.retries:
                    raise
            self.sleep(p.backoff_s * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def _follow(self, url: str, headers: dict) -> tuple[int, str, dict, bytes]:
        seen = {url}
        current = url
        for _ in range(self.policy.max_redirects + 1):
            parts = urlsplit(current)
            if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
                raise FetchError("bad_scheme", f"only http and https are followed, not {current!r}", final_url=current)
            status, resp_headers, body = self._request(current, headers)
            if status in REDIRECTS:
                location = resp_headers.get("Location")
                if not location:
                    raise FetchError("bad_redirect", f"HTTP {status} without a Location", status, final_url=current)
                nxt = urljoin(current, location)
                if nxt in seen:
                    raise FetchError("redirect_loop", f"redirect loop back to {nxt}", status, final_url=current)
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

    def _request(self, url: str, headers: dict) -> tuple[int, dict, bytes]:
        """One HTTP request, no redirects followed: (status, headers, body). Body only for 200."""
        p = self.policy
        self._wait_turn(urlsplit(url).netloc.lower())
        req = urllib.request.Request(url, headers=headers)
        deadline = self.clock() + p.deadline_s
        try:
            resp = self._opener.open(req, timeout=p.timeout_s)
        except urllib.error.HTTPError as exc:
            status, hdrs = exc.code, dict(exc.headers.items()) if exc.headers else {}
            exc.close()
            if status in REDIRECTS or status == 304:
                return status, hdrs, b""
            raise FetchError(f"http_{status}", f"HTTP {status} {exc.reason}", status,
                             retryable=status >= 500 or status == 429, final_url=url) from None
        except (urllib.error.URLError, OSError, HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise FetchError("timeout", f"no response within {p.timeout_s:g} s", retryable=True, final_url=url) from None
            raise FetchError("network", f"{type(reason).__name__}: {reason}", retryable=True, final_url=url) from None
        with resp:
            status, hdrs = resp.status, dict(resp.headers.items())
            if status != 200:
                raise FetchError(f"http_{status}", f"unexpected HTTP {status}", status, final_url=url)
            declared = hdrs.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > p.max_bytes:
                raise FetchError("too_large", f"Content-Length {declared} is over the limit of {p.max_bytes} bytes",
                                 status, final_url=url)
            chunks, total = [], 0
            try:
                while chunk := resp.read(65536):
                    total += len(chunk)
                    if total > p.max_bytes:
                        raise FetchError("too_large", f"the body passed the limit of {p.max_bytes} bytes; download stopped",
                                         status, final_url=url)
                    if self.clock() > deadline:
                        raise FetchError("timeout", f"the download took longer than {p.deadline_s:g} s", status,
                                         retryable=True, final_url=url)
                    chunks.append(chunk)
            except (OSError, HTTPException) as exc:
                kind = "timeout" if isinstance(exc, (TimeoutError, socket.timeout)) else "network"
                raise FetchError(kind, f"reading the body failed: {type(exc).__name__}: {exc}", status,
                                 retryable=True, final_url=url) from None
        return status, hdrs, b"".join(chunks)
