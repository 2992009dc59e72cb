"""A canonical, run-independent form of what ``parse_report`` gives for one file, and its digest.

Run-specific columns (parser version, source path) are left out; cells, findings, sections and
statements are sorted, so two parses of the same bytes compare equal exactly when their lake rows would.
"""

from __future__ import annotations

import hashlib
import json

RUN_SPECIFIC = {"parser_version", "source_path"}


def _key(row) -> str:
    return json.dumps(row, ensure_ascii=False, sort_keys=True, default=str)


def _rows(rows: list[dict]) -> list[list]:
    return sorted(([[k, v] for k, v in sorted(r.items()) if k not in RUN_SPECIFIC] for r in rows), key=_key)


def canonical(parsed) -> dict:
    """The lake rows of one parse, sorted, without run-specific columns."""
    out = {
        "status": parsed.status,
        "cells": _rows(parsed.cells),
        "findings": _rows(parsed.findings),
        "sections": _rows(parsed.sections),
        "statements": _rows(parsed.statements),
    }
    out["report"] = sorted([k, v] for k, v in (parsed.report or {}).items() if k not in RUN_SPECIFIC)
    out["reject"] = sorted([k, v] for k, v in (parsed.reject or {}).items() if k not in RUN_SPECIFIC)
    return json.loads(json.dumps(out, ensure_ascii=False, default=str))


def digest(parsed) -> str:
    text = json.dumps(canonical(parsed), ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
