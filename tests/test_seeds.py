"""The template seed carries exactly the canonical keys of ../shared/spec/template_keys.csv."""
import csv

import pytest

from helpers import ROOT

SPEC = ROOT.parent / "shared" / "spec" / "template_keys.csv"


def _rows(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_seed_keys_equal_spec():
    if not SPEC.exists():
        pytest.skip("../shared/spec is not beside the checkout")
    spec = {(r["template"], r["table"], r["kind"], r["key"], r["label_zh"], r["ordinal"]) for r in _rows(SPEC)}
    seed = {(r["template"], r["table"], r["kind"], r["key"], r["label_zh"], r["ordinal"])
            for r in _rows(ROOT / "seeds" / "template_keys.csv") if r["kind"] != "group"}
    assert seed == spec


def test_layout_shapes():
    from ingest.template import select

    assert len(select("2021", "t3", "row")) == 25 and len(select("2019", "t3", "row")) == 23
    assert len(select("2021", "t3", "column")) == 7
    assert len(select("2021", "t4", "row")) * len(select("2021", "t4", "column")) == 15
