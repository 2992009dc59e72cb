"""The Parquet lake: fixed schemas, atomic batch writes, and what is already in it.

Layout under ``<home>/lake/``::

    reports/report_year=YYYY/<batch>.parquet     one row per source document
    cells/report_year=YYYY/<batch>.parquet       one row per table cell
    sections/…, findings/…, statements/…         text of 五/六, quality findings, stated fees
    sources/<batch>.parquet                      every path each content hash was seen at
    rejects/<batch>.parquet                      quarantined files with reason codes
    fetches/<batch>.parquet                      downloads by `xxgk fetch` (provenance)
    refresh_runs/<batch>.parquet                 runs of `xxgk refresh`
    _batches/<batch>.json                        commit marker, written last

A batch is visible only once its marker exists; files of a batch without a
marker (a crash mid-write) are removed by the next writer. Each file is
written to a temporary name and renamed into place.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SCHEMAS: dict[str, pa.Schema] = {
    "reports": pa.schema(
        [
            ("report_id", pa.string()),
            ("source_sha256", pa.string()),
            ("source_path", pa.string()),
            ("source_format", pa.string()),
            ("source_bytes", pa.int64()),
            ("encoding", pa.string()),
            ("agency_name", pa.string()),
            ("agency_source", pa.string()),
            ("year_source", pa.string()),
            ("title", pa.string()),
            ("template_version", pa.string()),
            ("t2_layout", pa.string()),
            ("t3_layout", pa.string()),
            ("t4_layout", pa.string()),
            ("published_on", pa.date32()),
            ("published_source", pa.string()),
            ("parser_version", pa.string()),
            ("status", pa.string()),
            ("is_synthetic", pa.bool_()),
            ("n_cells", pa.int32()),
            ("rules_passed", pa.int32()),
            ("rules_failed", pa.int32()),
            ("ingested_at", pa.timestamp("us", tz="UTC")),
            ("batch_id", pa.string()),
            ("ocr_pages", pa.string()),  # pages read by OCR, e.g. "1,2,5"; null: none
        ]
    ),
    "cells": pa.schema(
        [
            ("report_id", pa.string()),
            ("table_id", pa.string()),
            ("layout", pa.string()),
            ("row_key", pa.string()),
            ("col_key", pa.string()),
            ("value", pa.float64()),
            ("is_blank", pa.bool_()),
            ("raw_text", pa.string()),
            ("unit", pa.string()),
            ("note", pa.string()),
            ("src_table_index", pa.int32()),
            ("src_row", pa.int32()),
            ("src_col", pa.int32()),
            ("match_method", pa.string()),
            ("src_page", pa.int32()),
            ("batch_id", pa.string()),
            ("ocr_confidence", pa.float64()),  # OCR engine's confidence in the cell's text; null: not OCR'd
        ]
    ),
    "sections": pa.schema(
        [("report_id", pa.string()), ("section", pa.string()), ("text", pa.string()), ("batch_id", pa.string())]
    ),
    "findings": pa.schema(
        [
            ("report_id", pa.string()),
            ("rule_id", pa.string()),
            ("severity", pa.string()),
            ("table_id", pa.string()),
            ("row_key", pa.string()),
            ("col_key", pa.string()),
            ("expected", pa.float64()),
            ("actual", pa.float64()),
            ("message", pa.string()),
            ("batch_id", pa.string()),
        ]
    ),
    "statements": pa.schema(
        [
            ("report_id", pa.string()),
            ("kind", pa.string()),
            ("amount_yuan", pa.float64()),
            ("cases", pa.int64()),
            ("stated", pa.string()),
            ("batch_id", pa.string()),
        ]
    ),
    "sources": pa.schema(
        [
            ("source_sha256", pa.string()),
            ("source_path", pa.string()),
            ("outcome", pa.string()),
            ("seen_at", pa.timestamp("us", tz="UTC")),
            ("batch_id", pa.string()),
        ]
    ),
    "rejects": pa.schema(
        [
            ("source_sha256", pa.string()),
            ("source_path", pa.string()),
            ("reason_code", pa.string()),
            ("message", pa.string()),
            ("quarantined_path", pa.string()),
            ("rejected_at", pa.timestamp("us", tz="UTC")),
            ("batch_id", pa.string()),
            ("parser_version", pa.string()),
        ]
    ),
    # Written by `xxgk fetch`: one row per download attempt of a source URL (provenance).
    "fetches": pa.schema(
        [
            ("url", pa.string()),
            ("final_url", pa.string()),
            ("status", pa.int32()),
            ("fetched_at", pa.timestamp("us", tz="UTC")),
            ("sha256", pa.string()),
            ("bytes", pa.int64()),
            ("error", pa.string()),
            ("agency", pa.string()),
            ("year", pa.int32()),
            ("format_hint", pa.string()),
            ("format", pa.string()),
            ("content_type", pa.string()),
            ("file", pa.string()),
            ("attempts", pa.int32()),
            ("elapsed_s", pa.float64()),
            ("batch_id", pa.string()),
        ]
    ),
    # Written by `xxgk refresh`: a row when a run starts and one when it ends (the latest row wins).
    "refresh_runs": pa.schema(
        [
            ("run_id", pa.string()),
            ("status", pa.string()),
            ("started_at", pa.timestamp("us", tz="UTC")),
            ("finished_at", pa.timestamp("us", tz="UTC")),
            ("duration_s", pa.float64()),
            ("files_new", pa.int32()),
            ("files_changed", pa.int32()),
            ("files_unchanged", pa.int32()),
            ("files_quarantined", pa.int32()),
            ("files_duplicate", pa.int32()),
            ("reports_added", pa.int32()),
            ("reports_revised", pa.int32()),
            ("downloads_ok", pa.int32()),
            ("downloads_not_modified", pa.int32()),
            ("downloads_failed", pa.int32()),
            ("build", pa.string()),
            ("exit_code", pa.int32()),
            ("error", pa.string()),
            ("pid", pa.int32()),
            ("host", pa.string()),
            ("recorded_at", pa.timestamp("us", tz="UTC")),
        ]
    ),
}
PARTITIONED = {"reports", "cells", "sections", "findings", "statements"}
# The rows of a report's cells, sections, findings and statements carry the batch of the parse that made
# them (filled in by write_batch), so a file parsed again supersedes its old rows (macros/parses.sql).
# Zero-row files keep every table readable before any data arrives.
EMPTY_PARTITION = "report_year=0"


class Lake:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.markers = self.root / "_batches"  # commit markers, written by :meth:`_commit` alone

    def init(self) -> None:
        for table, schema in SCHEMAS.items():
            d = self.root / table / (EMPTY_PARTITION if table in PARTITIONED else "")
            d.mkdir(parents=True, exist_ok=True)
            f = d / "_empty.parquet"
            # rewritten when the schema gained a column, so every column is readable in older lakes too
            if not f.exists() or not pq.read_schema(f).equals(schema, check_metadata=False):
                _atomic_write(pa.Table.from_pylist([], schema=schema), f)
        self.markers.mkdir(parents=True, exist_ok=True)
        self.finish_compactions()
        self.sweep_uncommitted()

    def discard_attempt(self, batch_id: str) -> list[Path]:
        """Remove what an earlier attempt at a batch left (its writer died, and the batch is written again):
        the commit markers of the batch and of its retries (``<batch>-r``, ``<batch>-w``) first, then their
        data files. Returns the paths removed."""
        names = (f"{batch_id}.", f"{batch_id}-")
        gone = [p for p in self.markers.glob(f"{batch_id}*.json*") if p.name.startswith(names)]
        for table in SCHEMAS:
            for pattern in (f"{batch_id}*.parquet*", f"report_year=*/{batch_id}*.parquet*"):
                gone += [p for p in (self.root / table).glob(pattern) if p.name.startswith(names)]
        for p in gone:
            p.unlink(missing_ok=True)
        return gone

    def initialised(self) -> bool:
        """Whether :meth:`init` has made this lake."""
        return self.markers.is_dir()

    def finish_compactions(self) -> None:
        """Delete files a committed compaction replaced (a writer killed mid-compaction leaves them)."""
        for marker in self.markers.glob("*-compact.json"):
            try:
                replaced = json.loads(marker.read_text()).get("supersedes", [])
            except (OSError, ValueError):
                continue
            for rel in replaced:
                (self.root / rel).unlink(missing_ok=True)

    def compact(self, min_files: int = 8, small_bytes: int = 64 * 2**20) -> int:
        """Merge the small batch files of each partition into one file; return how many files were merged.

        Many ingests leave many small files, and every scan pays per file. The merged file is a batch of
        its own whose marker names the files it replaces; they are deleted once it is committed.
        Size-tiered (:func:`merge_candidates`): a big file is not rewritten to absorb a few tiny ones.
        """
        merged = 0
        done = self.committed_batches()  # never a file of a batch another writer has not committed
        for table, schema in SCHEMAS.items():
            base = self.root / table
            parts = [d for d in base.glob("report_year=*") if d.is_dir()] if table in PARTITIONED else [base]
            for part in parts:
                small = merge_candidates(
                    [p for p in part.glob("*.parquet") if p.name.split(".")[0] in done], min_files, small_bytes
                )
                if not small:
                    continue
                batch_id = new_batch_id() + "-compact"
                _stream_merge(small, schema, part / f"{batch_id}.parquet")
                self._commit(batch_id, [part / f"{batch_id}.parquet"], supersedes=small)
                for p in small:
                    p.unlink(missing_ok=True)
                merged += len(small)
        return merged

    def committed_batches(self) -> set[str]:
        return {p.stem for p in self.markers.glob("*.json")}

    def sweep_uncommitted(self) -> list[Path]:
        """Remove data files whose batch has no commit marker (left by a killed writer)."""
        done = self.committed_batches()
        removed = []
        for p in self.root.rglob("*.parquet*"):
            if p.name.startswith("_empty"):
                continue
            batch = p.name.split(".")[0]
            if p.name.endswith(".tmp") or batch not in done:
                p.unlink(missing_ok=True)
                removed.append(p)
        return removed

    def known_hashes(self, parser_version: str | None = None) -> dict[str, str]:
        """sha256 -> 'report' or 'reject' for everything already in the lake.

        With ``parser_version``, a reject counts only if that version rejected it:
        a file quarantined by an older parser is tried again.
        """
        known: dict[str, str] = {}
        for f in self._files("rejects"):
            cols = ["source_sha256"] + (["parser_version"] if "parser_version" in pq.read_schema(f).names else [])
            t = pq.read_table(f, columns=cols).to_pydict()
            versions = t.get("parser_version", [None] * len(t["source_sha256"]))
            for sha, version in zip(t["source_sha256"], versions):
                if parser_version is None or version == parser_version:
                    known[sha] = "reject"
        for f in self._files("reports"):
            for sha in pq.read_table(f, columns=["source_sha256"]).column(0).to_pylist():
                known[sha] = "report"
        return known

    def _files(self, table: str) -> list[Path]:
        return sorted(p for p in (self.root / table).rglob("*.parquet") if not p.name.startswith("_empty"))

    def write_batch(self, rows: dict[str, list[dict] | dict[str, list]], batch_id: str | None = None) -> str:
        """Write one batch of rows for every table, then its commit marker.

        A table's rows are a list of dicts, or its columns (name -> list of values, ``report_year``
        among them for partitioned tables), which is far cheaper for the many rows of ``cells``.
        """
        batch_id = batch_id or new_batch_id()
        written = []
        # reports last among data files: facts never appear without their report
        for table in sorted(rows, key=lambda t: t == "reports"):
            cols = _columns(table, rows[table])
            n = max((len(v) for v in cols.values()), default=0)
            if not n:
                continue
            schema = SCHEMAS[table]
            if "batch_id" in schema.names and not any(cols.get("batch_id") or ()):
                cols = {**cols, "batch_id": [batch_id] * n}
            data = pa.Table.from_arrays(
                [pa.array(cols[f.name] if f.name in cols else [None] * n, type=f.type) for f in schema], schema=schema
            )
            if table in PARTITIONED:
                years = pa.array([int(y) for y in cols["report_year"]], type=pa.int64())
                for year in pc.unique(years).to_pylist():
                    part = data.filter(pc.equal(years, year))
                    written.append(self._write(part, self.root / table / f"report_year={year}" / f"{batch_id}.parquet"))
            else:
                written.append(self._write(data, self.root / table / f"{batch_id}.parquet"))
        self._commit(batch_id, written)
        return batch_id

    def _commit(self, batch_id: str, files: list[Path], supersedes: Sequence[Path] = ()) -> None:
        """Write a batch's commit marker (atomically, after its files): the batch becomes visible, and files
        it ``supersedes`` (a compaction's inputs) are to be deleted."""
        marker = self.markers / f"{batch_id}.json"
        tmp = marker.with_suffix(".json.tmp")
        body = {"batch_id": batch_id, "files": [str(p.relative_to(self.root)) for p in files]}
        if supersedes:
            body["supersedes"] = [str(p.relative_to(self.root)) for p in supersedes]
        tmp.write_text(json.dumps({**body, "committed_at": datetime.now(UTC).isoformat()}))
        os.replace(tmp, marker)

    def _write(self, data: pa.Table, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(data, path)
        return path


def merge_candidates(files: list[Path], min_files: int, small_bytes: int) -> list[Path]:
    """The files of one partition worth merging: those under ``small_bytes``, leaving out any file more
    than twice as big as all the smaller ones together (so a row is rewritten about log(n) times over
    many ingests, not at each); none when fewer than ``min_files`` remain."""
    sized = sorted((p.stat().st_size, p) for p in files)
    sized = [(size, p) for size, p in sized if size < small_bytes]
    while len(sized) >= min_files and sized[-1][0] > 2 * sum(size for size, _ in sized[:-1]):
        sized.pop()
    return sorted(p for _, p in sized) if len(sized) >= min_files else []


def _columns(table: str, rows: list[dict] | dict[str, list]) -> dict[str, list]:
    """A table's rows column by column (rows given as dicts are transposed)."""
    if isinstance(rows, dict):
        return rows
    names = SCHEMAS[table].names + (["report_year"] if table in PARTITIONED else [])
    return {name: [r.get(name) for r in rows] for name in names}


def _stream_merge(files: list[Path], schema: pa.Schema, path: Path) -> None:
    """Write ``files`` into one Parquet file one input at a time, so memory holds a single small file."""
    tmp = path.with_name(path.name + ".tmp")
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for f in files:
            writer.write_table(_conform(pq.read_table(f), schema), row_group_size=1_000_000)
    os.replace(tmp, path)


def _conform(t: pa.Table, schema: pa.Schema) -> pa.Table:
    """A table in the lake schema: columns an older file lacks become nulls (hive partition columns dropped)."""
    cols = [t.column(f.name).cast(f.type) if f.name in t.column_names else pa.nulls(len(t), f.type) for f in schema]
    return pa.Table.from_arrays(cols, schema=schema)


def new_batch_id() -> str:
    return datetime.now(UTC).strftime("b%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


def _atomic_write(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
    except BaseException:  # a full disk keeps no half-written file
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
