"""Metamorphic suite: every presentation transform that keeps a report's numbers must give exactly its golden cells.

For each real report in ``../shared/corpus/raw`` (with its golden file) and a small sample of generated
reports (with their truth), each transform of ``transforms.TRANSFORMS`` re-presents the parsed document
(another format, the tables elsewhere, footers inside tables …); the result is parsed as a new file and
must give 100% of the golden cells and invent none. The table of results is printed at the end of the run.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

import pytest

from helpers import SHARED, cell_score, golden_files, load_golden
from ingest.pipeline import parse_report
from ingest.readers import read, sniff
from transforms import TRANSFORMS


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


@cache
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
def test_transform_keeps_every_cell(transform, report, synth_root, record_property):
    """Each result is recorded on the test report; conftest prints them as one table (also under xdist)."""
    doc, gold = _source(report, synth_root)
    data, name = TRANSFORMS[transform](doc)
    parsed = parse_report(data, name)
    if parsed.reject:
        record_property("metamorphic", (transform, report, parsed.reject["reason_code"]))
        pytest.fail(
            f"{transform} of {report} was quarantined: {parsed.reject['reason_code']}: {parsed.reject['message']}"
        )
    exact, total, problems = cell_score(parsed, gold)
    invented = sum(p.startswith("invented") for p in problems)
    record_property("metamorphic", (transform, report, f"{exact}/{total}" + (f" +{invented}inv" if invented else "")))
    assert total > 0
    assert not problems, f"{transform} of {report}: {exact}/{total} exact\n" + "\n".join(problems[:20])


def test_real_corpus_present_or_skipped(shared_corpus):
    """The suite covers every real report that has a golden file (skips where ../shared is absent)."""
    assert len(_real()) == len(golden_files()) > 0
