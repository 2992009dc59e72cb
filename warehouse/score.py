"""Fidelity against golden files: ingest into a temporary home, build, compare every golden cell with the marts.

A golden file (``<stem>.json`` beside the report's name) holds the expected
value of every cell of tables 二, 三 and 四 (null: the printed cell is blank),
plus cells nobody can determine (``unknown``). Per report the scorer counts
cells exact, wrong and missing, and non-zero cells the warehouse has that the
golden file does not (invented). The golden ``agency`` and ``report_year`` are
scored like cells (``meta|agency``, ``meta|report_year``): an agency is right
when the golden name contains, or is contained in, the name read or its
canonical full name (dim_agency.canonical_name); a report without an agency
has it wrong.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ingest.batch import ingest_paths

from .build import build
from .home import Home
from .serve import connect

# Where each table's cells stand in the marts: (fact, row key column, column key column, value expression).
# The value expression reads the fact under the alias ``f``.
FACTS = {
    "t2": ("fct_disclosures", "item", "measure", "coalesce(f.quantity, f.amount)"),
    "t3": ("fct_applications", "outcome", "applicant_type", "f.requests"),
    "t4": ("fct_appeals", "proceeding", "result", "f.cases"),
}


@dataclass
class Score:
    report: str
    golden_cells: int = 0
    exact: int = 0
    wrong: list[tuple[str, object, object]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    invented: list[tuple[str, object]] = field(default_factory=list)
    status: str = "scored"

    @property
    def exact_pct(self) -> float:
        return 100.0 * self.exact / self.golden_cells if self.golden_cells else 0.0


def golden_for(report: Path, golden_dir: Path) -> Path | None:
    cand = golden_dir / f"{report.stem}.json"
    if cand.exists():
        return cand
    for g in golden_dir.glob("*.json"):
        if Path(json.loads(g.read_text(encoding="utf-8")).get("source", "")).name == report.name:
            return g
    return None


def _same(expected, got_value, got_blank) -> bool:
    if expected is None:
        return bool(got_blank)
    return not got_blank and got_value is not None and abs(float(got_value) - float(expected)) < 1e-9


def score_files(files: list[Path], golden_dir: Path, home: Home | None = None) -> list[Score]:
    with tempfile.TemporaryDirectory(prefix="xxgk-score-") as tmp:
        home = home or Home.resolve(tmp)
        ingest_paths(files, home.root)
        build(home)
        scores = []
        with connect(home) as con:
            for f in files:
                scores.append(_score_one(con, f, golden_dir))
        return scores


def _score_one(con, f: Path, golden_dir: Path) -> Score:
    s = Score(f.name)
    g = golden_for(f, golden_dir)
    if g is None:
        s.status = "no golden file"
        return s
    gold = json.loads(g.read_text(encoding="utf-8"))
    sha = hashlib.sha256(f.read_bytes()).hexdigest()
    unknown = set(gold.get("unknown", []))
    found = con.execute("select count(*) from dim_report where source_sha256 = ?", [sha]).fetchone()[0]
    if not found:
        reason = con.execute(
            "select reason_code || ': ' || message from stg_rejects where source_sha256 = ?", [sha]
        ).fetchone()
        s.status = f"quarantined ({reason[0]})" if reason else "not in the warehouse"
    _score_metadata(con, s, gold, sha)
    for table, (fct, rk, ck, val) in FACTS.items():
        got = {
            f"{r}|{c}": (v, b)
            for r, c, v, b in con.execute(
                f"select f.{rk}, f.{ck}, {val}, f.is_blank from {fct} f join dim_report d using (report_id) "
                f"where d.source_sha256 = ?",
                [sha],
            ).fetchall()
        }
        for key, expected in gold.get(table, {}).items():
            s.golden_cells += 1
            if key not in got:
                s.missing.append(f"{table}|{key}")
            elif _same(expected, *got[key]):
                s.exact += 1
            else:
                s.wrong.append((f"{table}|{key}", expected, got[key][0] if not got[key][1] else None))
        for key, (v, blank) in got.items():
            if key not in gold.get(table, {}) and f"{table}|{key}" not in unknown and not blank and v:
                s.invented.append((f"{table}|{key}", v))
    return s


def agency_matches(expected: str, *got: str | None) -> bool:
    """The golden agency is right when it contains, or is contained in, a name read (printed or canonical)."""
    return any(g and (expected in g or g in expected) for g in got)


def _score_metadata(con, s: Score, gold: dict, sha: str) -> None:
    row = con.execute(
        """select d.agency_name, a.canonical_name, d.report_year
                         from dim_report d left join dim_agency a using (agency_id)
                         where d.source_sha256 = ? order by d.is_current desc limit 1""",
        [sha],
    ).fetchone()
    if "agency" in gold:
        s.golden_cells += 1
        if row is None:
            s.missing.append("meta|agency")
        elif agency_matches(gold["agency"], row[0], row[1]):
            s.exact += 1
        else:
            s.wrong.append(("meta|agency", gold["agency"], row[0]))
    if gold.get("report_year") is not None:
        s.golden_cells += 1
        if row is None:
            s.missing.append("meta|report_year")
        elif row[2] == gold["report_year"]:
            s.exact += 1
        else:
            s.wrong.append(("meta|report_year", gold["report_year"], row[2]))


def render_scores(scores: list[Score], verbose: bool = False) -> str:
    lines = [
        f"{'report':40} {'cells':>5} {'exact':>5} {'wrong':>5} {'missing':>7} {'invented':>8} {'exact%':>7}  status"
    ]
    tot = Score("TOTAL")
    for s in scores:
        lines.append(
            f"{s.report[:40]:40} {s.golden_cells:5} {s.exact:5} {len(s.wrong):5} {len(s.missing):7} "
            f"{len(s.invented):8} {s.exact_pct:7.2f}  {s.status}"
        )
        if verbose:
            lines += [f"    wrong {k}: expected {e!r}, got {g!r}" for k, e, g in s.wrong]
            lines += [f"    missing {k}" for k in s.missing]
            lines += [f"    invented {k}: {v!r}" for k, v in s.invented]
        tot.golden_cells += s.golden_cells
        tot.exact += s.exact
        tot.wrong += s.wrong
        tot.missing += s.missing
        tot.invented += s.invented
    lines.append(
        f"{'TOTAL':40} {tot.golden_cells:5} {tot.exact:5} {len(tot.wrong):5} {len(tot.missing):7} "
        f"{len(tot.invented):8} {tot.exact_pct:7.2f}"
    )
    return "\n".join(lines) + "\n"
