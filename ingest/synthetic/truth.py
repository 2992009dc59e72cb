"""What the generator wrote, so tests can check the warehouse against it.

``truth.jsonl``: one :class:`SynthReport` per file (every version of a
revised report), with the value of every printed cell, the layouts, the
quirks injected and the findings the warehouse must report for them.
``agencies.csv``: every agency with its place in the hierarchy and its traits.
``renames.csv``: old → new names, in the columns of ``seeds/agency_aliases.csv``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .agencies import Agency

CARRY_BREAK_RULE = "carry_over_break"  # cross-year: carried_over differs from last year's carried_forward


@dataclass
class SynthReport:
    file: str  # path under the corpus folder
    agency: str  # name printed in this report
    year: int
    layout: str  # template version (the layout of table 二)
    fmt: str
    published: str  # ISO date under the signature
    cells: dict[str, float | None]  # "t3|row|col" -> value, None = printed blank
    quirks: list[str] = field(default_factory=list)
    info_fee: dict = field(default_factory=dict)
    agency_uid: str = ""  # stable id of the agency across renames
    agency_current: str = ""  # the agency's latest name
    layouts: dict[str, str] = field(default_factory=dict)  # per table: t2, t3, t4
    version: int = 1  # 2 for a revision
    is_current: bool = True  # the newest version of its agency-year
    findings: list[dict] = field(default_factory=list)  # inconsistencies the warehouse must find
    quirk_detail: dict = field(default_factory=dict)
    title: str = ""


def write_truth(out: Path, reports: list[SynthReport], agencies: list[Agency]) -> None:
    with open(out / "truth.jsonl", "w", encoding="utf-8") as f:
        for rep in reports:
            f.write(json.dumps(asdict(rep), ensure_ascii=False) + "\n")
    cols = [f.name for f in fields(Agency)]
    with open(out / "agencies.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for a in agencies:
            w.writerow(
                ["" if getattr(a, c) is None else round(a.scale, 3) if c == "scale" else getattr(a, c) for c in cols]
            )
    with open(out / "renames.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["alias", "canonical_name", "changed_year", "note"])
        for a in agencies:
            if a.old_name and a.renamed_in:
                w.writerow([a.old_name, a.name, a.renamed_in, "synthetic rename"])


def load_truth(path: str | Path) -> list[SynthReport]:
    with open(path, encoding="utf-8") as f:
        return [SynthReport(**json.loads(line)) for line in f if line.strip()]


def load_agencies(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))
