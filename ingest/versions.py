"""The parser version, and which files already in the lake a run must parse again.

The parser version is ``<package version>+<12 hex digits>``: a hash of the ingest code that reads a
file (every ``.py`` under ``ingest/`` except the fetcher, the batch and lake plumbing and the
synthetic generator) and of the seeds it reads (every ``seeds/*.csv`` except those only dbt reads).
It is computed once per process. Any change to a reader, the layout mapping, the rules or a seed
therefore gives a new version, and the files parsed by an older one are parsed again by the next
`xxgk ingest` or `xxgk refresh`; their new rows supersede the old ones (staging keeps the newest parse
of each file, macros/parses.sql).

A file is parsed when (:func:`parse_reason`): its content is new to the lake; the newest parse of it
was made by another parser version (``stale_version``); it was quarantined for a program error
(``reader_error``, retried by every run until it reads or fails for a reason of its own); or
re-parsing is forced (``--reparse``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import pyarrow.parquet as pq

from . import __version__, project

PACKAGE = Path(__file__).resolve().parent
SEEDS = project.SEEDS
# Modules that do not read file contents: a change to them must not re-parse the lake.
NOT_PARSE_CODE = {
    "fetch.py",
    "batch.py",
    "fingerprint.py",
    "lake.py",
    "manifest.py",
    "versions.py",
    "home.py",
    "project.py",
}
NOT_PARSE_DIRS = {"synthetic", "__pycache__"}
# Seeds only dbt reads.
NOT_PARSE_SEEDS = {"key_harmonisation.csv"}
RETRIED_REASONS = {"reader_error"}


def parse_inputs() -> list[Path]:
    """The files the parser version is a hash of, in a fixed order."""
    code = [
        p
        for p in PACKAGE.rglob("*.py")
        if p.name not in NOT_PARSE_CODE and not NOT_PARSE_DIRS & set(p.relative_to(PACKAGE).parts[:-1])
    ]
    seeds = [p for p in SEEDS.glob("*.csv") if p.name not in NOT_PARSE_SEEDS]
    return sorted(code) + sorted(seeds)


@lru_cache(maxsize=1)
def parser_version() -> str:
    """``<package version>+<hash of the parse code and seeds>``, computed once per process."""
    h = hashlib.sha256()
    for p in parse_inputs():
        name = str(p.relative_to(PACKAGE.parent)) if p.is_relative_to(PACKAGE) else f"seeds/{p.name}"
        h.update(name.encode() + b"\0" + p.read_bytes() + b"\0")
    return f"{__version__}+{h.hexdigest()[:12]}"


@dataclass(frozen=True)
class ParseState:
    """The newest parse of one file content in the lake."""

    kind: str  # report | reject
    parser_version: str | None
    reason_code: str | None  # for a reject
    at: datetime | None


def _rows(lake, table: str, columns: list[str]):
    """Rows of the committed files of a lake table (columns an older file lacks are None)."""
    done = lake.committed_batches()
    for f in sorted((lake.root / table).rglob("*.parquet")):
        if f.name.startswith("_empty") or f.name.split(".")[0] not in done:
            continue
        names = pq.read_schema(f).names
        t = pq.read_table(f, columns=[c for c in columns if c in names]).to_pydict()
        n = len(t[columns[0]])
        yield from zip(*[t.get(c, [None] * n) for c in columns])


def parse_states(lake) -> dict[str, ParseState]:
    """sha256 -> the newest parse (report or reject) of every file content in ``lake``."""
    states: dict[str, ParseState] = {}

    def when(state: ParseState) -> float:
        return state.at.timestamp() if state.at else float("-inf")

    def keep(sha: str, state: ParseState) -> None:
        if sha not in states or when(state) >= when(states[sha]):
            states[sha] = state

    for sha, version, reason, at in _rows(
        lake, "rejects", ["source_sha256", "parser_version", "reason_code", "rejected_at"]
    ):
        keep(sha, ParseState("reject", version, reason, at))
    for sha, version, at in _rows(lake, "reports", ["source_sha256", "parser_version", "ingested_at"]):
        keep(sha, ParseState("report", version, None, at))
    return states


def parse_reason(state: ParseState | None, version: str, reparse: bool = False) -> str | None:
    """Why a file content with this newest parse is parsed again now, or None when it is not."""
    if state is None:
        return "new"
    if reparse:
        return "forced"
    if state.kind == "reject" and state.reason_code in RETRIED_REASONS:
        return "retry_" + state.reason_code
    if state.parser_version != version:
        return "stale_version"
    return None


class ParsePlan:
    """Which file contents a run parses: :func:`parse_reason` over the lake's newest parses."""

    def __init__(self, lake, reparse: bool = False):
        self.states = parse_states(lake)
        self.version = parser_version()
        self.reparse = reparse

    def reason(self, sha: str) -> str | None:
        """new, forced, retry_reader_error or stale_version; None: the lake holds this parser's reading."""
        return parse_reason(self.states.get(sha), self.version, self.reparse)

    def known(self, sha: str) -> bool:
        return sha in self.states

    def was_reject(self, sha: str) -> bool:
        return sha in self.states and self.states[sha].kind == "reject"
