"""The real-file benchmark's variants are distinct reports that still read: counts scaled, place renamed."""

from __future__ import annotations

import hashlib

import pytest

from bench.real import SHAPES, make_variants, variant
from ingest.pipeline import parse_report


def _cells(parsed) -> dict:
    c = parsed.cell_columns
    return {(t, r, k): v for t, r, k, v in zip(c["table_id"], c["row_key"], c["col_key"], c["value"])}


def test_variant_scales_counts_not_years_markup_or_decimals():
    html = '<td colspan="2">12</td><td>2023年</td><td>&#160;3.5</td><td>7件</td>'
    out = variant(html, 2, ("沭阳县", "东城区"), markup=True)
    assert out == '<td colspan="2">36</td><td>2023年</td><td>&#160;3.5</td><td>21件</td>'
    assert variant("沭阳县 本年 5 件，2024 年", 1, ("沭阳县", "东城区")) == "东城区 本年 10 件，2024 年"


@pytest.mark.parametrize("suffix", [".html", ".txt", ".md"])
def test_variants_of_real_reports(shared_corpus, tmp_path, suffix):
    src = next((p for p in sorted((shared_corpus / "raw").iterdir()) if p.suffix == suffix), None)
    if src is None:
        pytest.skip(f"no real {suffix} report")
    assert SHAPES[suffix]
    original = parse_report(src.read_bytes(), src.name)
    files = make_variants(src, 2, tmp_path)
    assert len({hashlib.sha256(f.read_bytes()).hexdigest() for f in files}) == 2
    base = _cells(original)
    for i, f in enumerate(files):
        p = parse_report(f.read_bytes(), f.name)
        assert p.status != "quarantined"
        assert p.report["agency_name"] != original.report["agency_name"]
        assert p.report["report_year"] == original.report["report_year"]
        got = _cells(p)
        assert got.keys() == base.keys()
        factor = i + 2
        counts = {k: v for k, v in base.items() if v is not None and v == int(v) and v < 10000}
        assert counts
        scaled = [k for k, v in counts.items() if got[k] == v * factor]
        assert len(scaled) >= 0.9 * len(counts), "the counts are scaled by the variant's factor"
        assert [k for k, v in base.items() if v is None] == [k for k, v in got.items() if v is None]
