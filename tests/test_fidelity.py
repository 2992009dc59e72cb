"""Fidelity, measured: every real report with a golden file scores >= 99.5% exact cells and invents nothing."""

import pytest

from helpers import SHARED, golden_files, load_golden
from warehouse.score import render_scores, score_files

MIN_EXACT = 99.5


@pytest.fixture(scope="module")
def scores(shared_corpus, tmp_path_factory):
    from warehouse.home import Home

    files = [shared_corpus / load_golden(g)["source"] for g in golden_files()]
    home = Home.resolve(tmp_path_factory.mktemp("score"))
    result = score_files(files, shared_corpus / "golden", home=home)
    print(render_scores(result, verbose=True))
    return {s.report: s for s in result}


@pytest.mark.parametrize("golden", golden_files() or [None], ids=lambda g: g.stem if g else "no-corpus")
def test_real_report_fidelity(scores, golden):
    if golden is None:
        pytest.skip("../shared/corpus is not beside the checkout")
    name = (SHARED / load_golden(golden)["source"]).name
    s = scores[name]
    assert s.status == "scored"
    assert s.golden_cells > 0
    assert s.exact_pct >= MIN_EXACT, render_scores([s], verbose=True)
    assert not s.invented, s.invented
    # the golden agency and year are scored with the cells, and must be right
    assert not [k for k in s.missing + [w[0] for w in s.wrong] if k.startswith("meta|")], render_scores(
        [s], verbose=True
    )


def test_real_reports_equal_their_goldens(scores):
    """The lake of the real corpus before and after a change meant to keep every cell: the goldens are met
    exactly (no wrong, missing or invented cell), not only above the fidelity threshold."""
    if not golden_files():
        pytest.skip("../shared/corpus is not beside the checkout")
    assert len(scores) == len(golden_files())
    for s in scores.values():
        assert s.golden_cells > 0
        assert (s.exact, s.wrong, s.missing, s.invented) == (s.golden_cells, [], [], []), render_scores(
            [s], verbose=True
        )


def test_scorer_counts_wrong_missing_and_invented(tmp_path):
    """The scorer itself: a doctored golden file must show up as wrong, missing and invented cells."""
    import json

    from ingest.synthetic import generate
    from warehouse.home import Home

    truth = generate(tmp_path / "c", n_agencies=1, years=range(2024, 2025), seed=3, quirk_rates={})[0]
    report = tmp_path / "c" / truth.file
    gold = {
        "source": truth.file,
        "t2": {},
        "t3": {},
        "t4": {},
        "agency": truth.agency[-8:],
        "report_year": truth.year + 1,
    }  # agency right, year wrong
    for key, v in truth.cells.items():
        table, rk, ck = key.split("|")
        gold[table][f"{rk}|{ck}"] = v
    gold["t3"]["granted|total"] = (gold["t3"]["granted|total"] or 0) + 1  # wrong
    gold["t3"]["no_such_row|total"] = 1  # missing
    invented_key = next(k for k, v in gold["t3"].items() if v)  # invented (non-zero, dropped)
    del gold["t3"][invented_key]
    gdir = tmp_path / "golden"
    gdir.mkdir()
    (gdir / f"{report.stem}.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    (s,) = score_files([report], gdir, home=Home.resolve(tmp_path / "home"))
    assert [w[0] for w in s.wrong] == ["meta|report_year", "t3|granted|total"]
    assert s.missing == ["t3|no_such_row|total"]
    assert [i[0] for i in s.invented] == [f"t3|{invented_key}"]
    assert s.exact == s.golden_cells - 3


@pytest.mark.parametrize(
    "expected,got,ok",
    [
        ("洪泽区人民政府", ("淮安市洪泽区人民政府", None), True),  # golden inside the name read
        ("淮安市洪泽区人民政府", ("洪泽区人民政府", None), True),  # name read inside the golden
        ("上海市科学技术委员会", ("上海市科委", "上海市科学技术委员会"), True),  # by the canonical name
        ("洪泽区人民政府", ("淮安市人民政府", "淮安市人民政府"), False),
        ("洪泽区人民政府", (None, None), False),
    ],
)
def test_agency_matches(expected, got, ok):
    from warehouse.score import agency_matches

    assert agency_matches(expected, *got) == ok
