"""Before/after equality of the lake, for changes meant to make parsing faster without changing a cell.

* A small generated corpus of every format is parsed; its lake rows (cells, findings, sections,
  statements, the report row; run-specific columns left out, rows sorted) must match the digests
  recorded in ``fixtures/parse_digests.json`` (made from generated data only). After an intended change
  of parse output, re-record them with
  ``XXGK_WRITE_DIGESTS=1 .venv/bin/python -m pytest tests/test_lake_equality.py -k digests``.
* Every real report beside the checkout is ingested into a lake and its cells must equal its golden
  file exactly (``test_fidelity.test_real_reports_equal_their_goldens``, on the lake scored there).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ingest.pipeline import parse_report
from parse_digest import canonical, digest

FIXTURE = Path(__file__).parent / "fixtures" / "parse_digests.json"
GEN = {
    "n_agencies": 3,
    "years": [2020, 2021, 2022, 2023, 2024],
    "seed": 16,
    "formats": ["text", "markdown", "html", "docx", "pdf"],
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, bytes]:
    from ingest.synthetic import generate

    root = tmp_path_factory.mktemp("equality")
    generate(root, n_agencies=GEN["n_agencies"], years=GEN["years"], seed=GEN["seed"], formats=tuple(GEN["formats"]))
    files = sorted(p for p in (root / "reports").rglob("*") if p.is_file())
    return {p.relative_to(root / "reports").as_posix(): p.read_bytes() for p in files}


def test_generated_corpus_has_every_format(generated):
    assert {Path(n).suffix for n in generated} == {".txt", ".md", ".html", ".docx", ".pdf"}


def test_generated_digests(generated):
    got = {name: digest(parse_report(data, name)) for name, data in generated.items()}
    if os.environ.get("XXGK_WRITE_DIGESTS") == "1":
        FIXTURE.write_text(
            json.dumps({"generator": GEN, "digests": got}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    recorded = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert recorded["generator"] == GEN, "the fixture was recorded for another generated corpus"
    assert set(got) == set(recorded["digests"])
    changed = sorted(n for n in got if got[n] != recorded["digests"][n])
    assert not changed, f"lake rows changed for {changed}; re-record only if the change is intended"


def test_digest_sees_one_changed_cell(generated):
    """The digest is not blind: one cell's value, or one finding, changed gives another digest."""
    name, data = next((n, d) for n, d in generated.items() if n.endswith(".html"))
    p = parse_report(data, name)
    before = digest(p)
    assert digest(parse_report(data, "elsewhere/" + name)) == before  # the path is run-specific
    values = p.cell_columns["value"]
    i = next(k for k, v in enumerate(values) if v is not None)
    values[i] = values[i] + 1
    assert digest(p) != before
    values[i] = values[i] - 1
    assert digest(p) == before
    p.findings.append({"rule_id": "x"})
    assert digest(p) != before
    assert canonical(p)["report"], "the report row is part of the digest"
