"""Metamorphic suite: every presentation transform that keeps a report's numbers must give exactly its golden cells.

For each real report in ``../shared/corpus/raw`` (with its golden file) and a small sample of generated
reports (with their truth), each transform of ``transforms.TRANSFORMS`` re-presents the parsed document
(another format, the tables elsewhere, footers inside tables …); the result is parsed as a new file and
must give 100% of the golden cells and invent none. The table of results is printed at the end of the run.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest
from helpers import SHARED, cell_score, golden_files, load_golden
from transforms import TRANSFORMS

from ingest.pipeline import parse_report
from ingest.readers import read, sniff

RESULTS: dict[tuple[str, str], str] = {}     # (transform, report) -> "exact/total" or the reason it failed


def _real() -> list[str]:
    return [g.stem for g in golden_files() if (SHARED / load_golden(g)["source"]).exists()]


SYNTH = ["synthetic-2019", "synthetic-2021"]


@lru_cache(maxsize=1)
def _synthetic(root: str) -> dict[str, tuple[bytes, str, dict]]:
    """Two generated HTML reports, one of each layout, with goldens made from their truth."""
    from ingest.synthetic import generate

    truths = generate(Path(root), n_agencies=1, years=[2020, 2024], seed=5, formats=("html",), quirk_rates={})
    out = {}
    for t in truths:
        gold: dict = {"t2": {}, "t3": {}, "t4": {}}
        for key, v in t.cells.items():
            table, rk, ck = key.split("|")
            gold[table][f"{rk}|{ck}"] = v
        out[f"synthetic-{t.layout}"] = ((Path(root) / t.file).read_bytes(), t.file, gold)
    return out


@lru_cache(maxsize=None)
def _source(report: str, root: str):
    """(document, golden) of a report, read once."""
    if report.startswith("synthetic-"):
        data, name, gold = _synthetic(root)[report]
    else:
        gold = load_golden(SHARED / "golden" / f"{report}.json")
        path = SHARED / gold["source"]
        data, name = path.read_bytes(), path.name
    return read(data, sniff(data, name)), gold


@pytest.fixture(scope="module")
def synth_root(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("metamorphic"))


@pytest.mark.parametrize("report", _real() + SYNTH)
@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_transform_keeps_every_cell(transform, report, synth_root):
    doc, gold = _source(report, synth_root)
    data, name = TRANSFORMS[transform](doc)
    parsed = parse_report(data, name)
    if parsed.reject:
        RESULTS[(transform, report)] = parsed.reject["reason_code"]
        pytest.fail(f"{transform} of {report} was quarantined: {parsed.reject['reason_code']}: {parsed.reject['message']}")
    exact, total, problems = cell_score(parsed, gold)
    RESULTS[(transform, report)] = f"{exact}/{total}" + (f" +{sum(p.startswith('invented') for p in problems)}inv"
                                                         if any(p.startswith("invented") for p in problems) else "")
    assert total > 0
    assert not problems, f"{transform} of {report}: {exact}/{total} exact\n" + "\n".join(problems[:20])


def test_real_corpus_present_or_skipped(shared_corpus):
    """The suite covers every real report that has a golden file (skips where ../shared is absent)."""
    assert len(_real()) == len(golden_files()) > 0


def render_results() -> str:
    """Transform × report: exact/golden cells, or why the file was not read."""
    if not RESULTS:
        return ""
    reports = list(dict.fromkeys(r for _, r in RESULTS))
    transforms = sorted({t for t, _ in RESULTS})
    short = {r: r.replace("synthetic-", "syn") [:14] for r in reports}
    head = f"{'transform':32}" + "".join(f"{short[r]:>16}" for r in reports)
    lines = ["metamorphic suite: exact/golden cells per transform and report", head]
    for t in transforms:
        lines.append(f"{t:32}" + "".join(f"{RESULTS.get((t, r), '-')[:15]:>16}" for r in reports))
    return "\n".join(lines)
