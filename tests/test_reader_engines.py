"""Before/after equality of the lake: the fast readers give what the reference readers give.

* Every real report beside the checkout and every file of a small generated corpus of all formats is
  read by both engines (``XXGK_READER_ENGINE=fast|reference``): the Documents and the lake rows of the
  two must be identical.
* The generated corpus's lake rows also match digests recorded in ``fixtures/parse_digests.json``
  (made from generated data only). After an intended change of parse output, re-record them with
  ``XXGK_WRITE_DIGESTS=1 .venv/bin/python -m pytest tests/test_reader_engines.py -k digests``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from parse_digest import canonical, digest, document_form

from ingest.pipeline import parse_report
from ingest.readers import ENGINES, engine, read, sniff

FIXTURE = Path(__file__).parent / "fixtures" / "parse_digests.json"
GEN = {"n_agencies": 3, "years": [2020, 2021, 2022, 2023, 2024], "seed": 16,
       "formats": ["text", "markdown", "html", "docx", "pdf"]}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, bytes]:
    from ingest.synthetic import generate

    root = tmp_path_factory.mktemp("engines")
    generate(root, n_agencies=GEN["n_agencies"], years=GEN["years"], seed=GEN["seed"],
             formats=tuple(GEN["formats"]))
    files = sorted(p for p in (root / "reports").rglob("*") if p.is_file())
    return {p.relative_to(root / "reports").as_posix(): p.read_bytes() for p in files}


def _both(monkeypatch, data: bytes, name: str) -> dict:
    out = {}
    for eng in ENGINES:
        monkeypatch.setenv("XXGK_READER_ENGINE", eng)
        fmt = sniff(data, name)
        out[eng] = (document_form(read(data, fmt)), canonical(parse_report(data, name)))
    return out


def _assert_same(monkeypatch, data: bytes, name: str) -> None:
    got = _both(monkeypatch, data, name)
    (doc_f, lake_f), (doc_r, lake_r) = got["fast"], got["reference"]
    assert doc_f == doc_r, f"{name}: the fast reader's Document differs from the reference reader's"
    assert lake_f == lake_r, f"{name}: the fast engine's lake rows differ from the reference engine's"


def test_engine_switch(monkeypatch):
    monkeypatch.delenv("XXGK_READER_ENGINE", raising=False)
    assert engine() == "fast"
    monkeypatch.setenv("XXGK_READER_ENGINE", "Reference")
    assert engine() == "reference"
    monkeypatch.setenv("XXGK_READER_ENGINE", "turbo")
    with pytest.raises(ValueError, match="turbo"):
        engine()


def test_generated_corpus_has_every_format(generated):
    assert {Path(n).suffix for n in generated} == {".txt", ".md", ".html", ".docx", ".pdf"}


def test_engines_agree_on_generated_corpus(generated, monkeypatch):
    for name, data in generated.items():
        _assert_same(monkeypatch, data, name)


def test_engines_agree_on_real_reports(shared_corpus, monkeypatch):
    files = sorted(p for p in (shared_corpus / "raw").iterdir() if p.is_file())
    assert files
    for path in files:
        _assert_same(monkeypatch, path.read_bytes(), path.name)


def test_generated_digests(generated, monkeypatch):
    monkeypatch.delenv("XXGK_READER_ENGINE", raising=False)
    got = {name: digest(parse_report(data, name)) for name, data in generated.items()}
    if os.environ.get("XXGK_WRITE_DIGESTS") == "1":
        FIXTURE.write_text(json.dumps({"generator": GEN, "digests": got}, indent=1, ensure_ascii=False) + "\n",
                           encoding="utf-8")
    recorded = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert recorded["generator"] == GEN, "the fixture was recorded for another generated corpus"
    changed = sorted(n for n in got if got[n] != recorded["digests"].get(n))
    assert set(got) == set(recorded["digests"])
    assert not changed, f"lake rows changed for {changed}; re-record only if the change is intended"
