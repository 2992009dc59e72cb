"""The generator: every format parses back to its truth, the truth obeys the rules, quirks are recorded."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections import Counter, defaultdict

import pytest

from ingest.pipeline import parse_report
from ingest.synthetic import CARRY_BREAK_RULE, EXTENSIONS, format_plan, generate, load_agencies, load_truth
from ingest.synthetic.agencies import build_agencies
from ingest.synthetic.divisions import county_prefix, load_divisions, tree
from ingest.synthetic.figures import APPLICANTS
from ingest.template import select

YEARS = range(2019, 2026)
RATES = {
    "blank_zero": 0.3,
    "split_digits": 0.6,
    "missing_labels": 0.3,
    "annotated": 0.3,
    "broken_total": 0.15,
    "carry_break": 0.15,
    "revision": 0.1,
    "renamed": 0.6,
    "missing_year": 0.3,
    "legacy_t3": 0.3,
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen") / "corpus"
    truth = generate(out, n_agencies=12, years=YEARS, seed=5, formats={f: 1 for f in EXTENSIONS}, quirk_rates=RATES)
    parsed = {rep.file: parse_report((out / rep.file).read_bytes(), rep.file) for rep in truth}
    return {"out": out, "truth": truth, "parsed": parsed}


def _cells(p) -> dict[str, float | None]:
    return {f"{c['table_id']}|{c['row_key']}|{c['col_key']}": (None if c["is_blank"] else c["value"]) for c in p.cells}


def test_every_format_present_and_truth_file_matches(corpus):
    truth = corpus["truth"]
    assert Counter(r.fmt for r in truth).keys() == set(EXTENSIONS)
    assert load_truth(corpus["out"] / "truth.jsonl") == truth
    assert all((corpus["out"] / r.file).suffix == "." + EXTENSIONS[r.fmt] for r in truth)


def test_every_cell_parses_to_its_truth(corpus):
    for rep in corpus["truth"]:
        p = corpus["parsed"][rep.file]
        assert p.status != "quarantined", (rep.file, p.reject)
        got = _cells(p)
        assert set(got) == set(rep.cells), rep.file
        wrong = {k: (v, got[k]) for k, v in rep.cells.items() if got[k] != v}
        assert not wrong, (rep.file, rep.fmt, rep.quirks, wrong)


def test_metadata_layouts_and_marker(corpus):
    for rep in corpus["truth"]:
        r = corpus["parsed"][rep.file].report
        assert (r["agency_name"], r["report_year"], r["published_on"].isoformat()) == (
            rep.agency,
            rep.year,
            rep.published,
        )
        assert (r["t2_layout"], r["t3_layout"], r["t4_layout"]) == (
            rep.layouts["t2"],
            rep.layouts["t3"],
            rep.layouts["t4"],
        )
        assert r["template_version"] == rep.layout == ("2019" if rep.year <= 2020 else "2021")
        assert r["source_format"] == rep.fmt
        assert r["is_synthetic"] is True, rep.file


def test_fee_statement_parses(corpus):
    for rep in corpus["truth"]:
        st = corpus["parsed"][rep.file].statements
        assert len(st) == 1 and st[0]["amount_yuan"] == rep.info_fee["amount_yuan"], (rep.file, st)
        assert st[0]["cases"] == rep.info_fee["cases"]


def test_findings_are_exactly_the_injected_ones(corpus):
    for rep in corpus["truth"]:
        p = corpus["parsed"][rep.file]
        got = sorted((f["rule_id"], f["table_id"], f["row_key"], f["col_key"]) for f in p.findings)
        expected = sorted(
            (f["rule_id"], f["table_id"], f["row_key"], f["col_key"])
            for f in rep.findings
            if f["rule_id"] != CARRY_BREAK_RULE
        )
        assert got == expected, (rep.file, rep.quirks, got, expected)


def _violations(rep) -> set[tuple[str, str, str, str]]:
    """Every reconciliation rule checked on the truth itself, independently of the ingest rules."""
    v = {k: (x or 0) for k, x in rep.cells.items()}
    out = set()
    rows = [k.key for k in select(rep.layouts["t3"], "t3", "row")]
    leaves = [
        k.key
        for k in select(rep.layouts["t3"], "t3", "row")
        if k.group_key not in ("received", "total_processed", "carried_forward")
    ]
    for col in (*APPLICANTS, "total"):
        t = lambda r, col=col: v[f"t3|{r}|{col}"]
        if t("new_received") + t("carried_over") != t("total_processed") + t("carried_forward"):
            out.add(("t3_received_equals_handled_plus_carried", "t3", None, col))
        if sum(t(r) for r in leaves) != t("total_processed"):
            out.add(("t3_total_equals_sum_of_results", "t3", "total_processed", col))
    for r in rows:
        if sum(v[f"t3|{r}|{c}"] for c in APPLICANTS) != v[f"t3|{r}|total"]:
            out.add(("t3_total_column_equals_sum", "t3", r, "total"))
    for b in ("reconsideration", "litigation_direct", "litigation_after_reconsideration"):
        if sum(v[f"t4|{b}|{c}"] for c in ("upheld", "corrected", "other", "pending")) != v[f"t4|{b}|total"]:
            out.add(("t4_total_equals_sum", "t4", b, "total"))
    return out


def test_truth_obeys_every_rule_except_the_injected_breaks(corpus):
    truth = corpus["truth"]
    for rep in truth:
        expected = {
            (f["rule_id"], f["table_id"], f["row_key"], f["col_key"])
            for f in rep.findings
            if f["rule_id"] != CARRY_BREAK_RULE
        }
        assert _violations(rep) == expected, rep.file
    # carry-over chains, per agency, over the current versions of consecutive years
    current = {(r.agency_uid, r.year): r for r in truth if r.is_current}
    breaks, expected_breaks = set(), set()
    for (uid, year), rep in current.items():
        expected_breaks |= {(rep.file, f["col_key"]) for f in rep.findings if f["rule_id"] == CARRY_BREAK_RULE}
        prev = current.get((uid, year - 1))
        if prev is None:
            continue
        for col in (*APPLICANTS, "total"):
            if (rep.cells[f"t3|carried_over|{col}"] or 0) != (prev.cells[f"t3|carried_forward|{col}"] or 0):
                breaks.add((rep.file, col))
    assert breaks == expected_breaks and breaks


def test_quirks_are_injected_and_recorded(corpus):
    truth, parsed, out = corpus["truth"], corpus["parsed"], corpus["out"]
    seen = Counter(q for r in truth for q in r.quirks)
    for q in RATES:
        assert seen[q], f"quirk {q} never injected"
    for rep in truth:
        p = parsed[rep.file]
        if "blank_zero" in rep.quirks:
            assert any(v is None for v in rep.cells.values())
        else:
            assert all(v is not None for v in rep.cells.values())
        if "missing_labels" in rep.quirks:
            lost = set(rep.quirk_detail["missing_labels"])
            assert len(lost) == 4
            methods = {c["row_key"]: c["match_method"] for c in p.cells if c["table_id"] == "t3"}
            assert all(methods[r] == "position" for r in lost), (rep.file, methods)
        if "annotated" in rep.quirks:
            d = rep.quirk_detail["annotated"]
            cell = next(c for c in p.cells if (c["table_id"], c["row_key"], c["col_key"]) == ("t2", d["row"], d["col"]))
            assert cell["note"] and "其中修订" in cell["raw_text"]
        if "split_digits" in rep.quirks:
            data = (out / rep.file).read_bytes()
            assert rep.fmt in ("html", "docx")
            if rep.fmt == "html":
                assert b'</span><span style="font-family:' in data
            else:
                xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
                assert '</w:t></w:r><w:r><w:t xml:space="preserve">' in xml
        if "legacy_t3" in rep.quirks:
            assert rep.year >= 2021 and rep.layouts["t3"] == "2019" and "t3|other_processing|total" in rep.cells
        elif rep.year >= 2021:
            assert rep.layouts["t3"] == "2021" and "t3|other_other|total" in rep.cells


def test_revisions_renames_and_missing_years(corpus):
    truth, out = corpus["truth"], corpus["out"]
    by_slot = defaultdict(list)
    for r in truth:
        by_slot[(r.agency_uid, r.year)].append(r)
    for reps in by_slot.values():
        assert sum(r.is_current for r in reps) == 1
        if len(reps) == 2:
            first, second = sorted(reps, key=lambda r: r.version)
            assert "revised_later" in first.quirks and "revision" in second.quirks and second.is_current
            assert first.published < second.published and first.fmt == second.fmt
            d = second.quirk_detail["revision"]
            key = f"t3|{d['row']}|{d['col']}"
            assert (first.cells[key], second.cells[key]) == (d["printed"], d["corrected"])
            assert [k for k in first.cells if first.cells[k] != second.cells[k]] == [key]
    agencies = {a["uid"]: a for a in load_agencies(out / "agencies.csv")}
    with open(out / "renames.csv", encoding="utf-8") as f:
        renames = {(r["alias"], r["canonical_name"], int(r["changed_year"])) for r in csv.DictReader(f)}
    assert renames == {(a["old_name"], a["name"], int(a["renamed_in"])) for a in agencies.values() if a["renamed_in"]}
    assert renames
    for uid, a in agencies.items():
        names = {r.year: r.agency for r in truth if r.agency_uid == uid}
        gap = int(a["missing_year"]) if a["missing_year"] else None
        assert sorted(names) == [y for y in YEARS if y != gap]
        if a["renamed_in"]:
            assert {n for y, n in names.items() if y < int(a["renamed_in"])} == {a["old_name"]}
            assert {n for y, n in names.items() if y >= int(a["renamed_in"])} == {a["name"]}
        else:
            assert set(names.values()) == {a["name"]}
        if gap:
            nxt = [r for r in truth if r.agency_uid == uid and r.year == gap + 1]
            assert all("missing_year" in r.quirks and r.quirk_detail["missing_year"] == gap for r in nxt)
    assert any(a["missing_year"] for a in agencies.values())


def test_distributions_look_like_real_reports(corpus):
    truth = [r for r in corpus["truth"] if r.is_current]
    agencies = {a["uid"]: a for a in load_agencies(corpus["out"] / "agencies.csv")}
    by_level = defaultdict(list)
    for r in truth:
        a = agencies[r.agency_uid]
        by_level["township" if a["level"] == "township" else a["kind"]].append(r.cells["t3|new_received|total"])
    assert sum(by_level["government"]) / len(by_level["government"]) > 3 * sum(by_level["township"]) / len(
        by_level["township"]
    )
    received = sum(r.cells["t3|new_received|total"] for r in truth)
    appeals = sum(r.cells[f"t4|{b}|total"] for r in truth for b in ("reconsideration", "litigation_direct"))
    assert 0 < appeals < 0.1 * received
    fees = [r.info_fee["amount_yuan"] for r in truth]
    assert sum(f == 0 for f in fees) >= 0.7 * len(fees)
    assert all(f == 0 for r, f in zip(truth, fees) if r.year < 2021)


def test_hierarchy_of_the_demo_size():
    divs = load_divisions()
    agencies = build_agencies(random.Random(7), 300, tree(divs), county_prefix(divs))
    assert len(agencies) == 300 and len({a.name for a in agencies}) == 300
    assert len({a.province_code for a in agencies}) >= 3
    levels = Counter(a.level for a in agencies)
    assert (
        levels["prefecture"] > levels["province"]
        and levels["county"] > levels["prefecture"]
        and 3 <= levels["township"] <= 15
    )
    kinds = Counter(a.kind for a in agencies)
    assert (
        kinds["department"] > kinds["government"] > 20
        and kinds["government"] == kinds["government_office"] + levels["township"]
    )
    uids = {a.uid for a in agencies}
    by_code = {d.code: d for d in divs}
    for a in agencies:
        assert a.parent_uid is None or a.parent_uid in uids
        place = a.county_code or a.prefecture_code or a.province_code
        assert by_code[place].name in a.name, (a.name, place)
        assert a.name.startswith(
            (a.province_name, a.prefecture_name or a.province_name, a.county_name or a.province_name)
        )


def test_format_plan_keeps_the_stated_proportions():
    plan = format_plan(random.Random(1), {"html": 0.4, "pdf": 0.2, "docx": 0.15, "markdown": 0.1, "text": 0.15}, 200)
    assert Counter(plan) == {"html": 80, "pdf": 40, "docx": 30, "markdown": 20, "text": 30}
    with pytest.raises(ValueError):
        format_plan(random.Random(1), ("html", "rtf"), 4)


def test_same_seed_same_bytes_serial_or_parallel(tmp_path):
    kw = dict(n_agencies=4, years=range(2020, 2022), seed=3, formats={f: 1 for f in EXTENSIONS}, quirk_rates=RATES)
    a = generate(tmp_path / "a", **kw)
    b = generate(tmp_path / "b", workers=2, **kw)
    assert a == b
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) >= len(a) + 3
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    c = generate(tmp_path / "c", **{**kw, "seed": 4})
    assert [r.cells for r in c] != [r.cells for r in a]


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_total_equals_the_files_written(tmp_path, workers):
    """Missing years write no file and revisions a second one: the announced total and the progress both count files."""
    rates = {"revision": 0.4, "missing_year": 0.6}
    totals, steps = [], []
    truth = generate(
        tmp_path / "c",
        n_agencies=8,
        years=range(2020, 2024),
        seed=3,
        quirk_rates=rates,
        progress=steps.append,
        workers=workers,
        total=totals.append,
    )
    written = [p for p in (tmp_path / "c" / "reports").rglob("*") if p.is_file()]
    revisions = sum(r.version == 2 for r in truth)
    missing = sum(1 for a in load_agencies(tmp_path / "c" / "agencies.csv") if a.get("missing_year"))
    assert revisions and missing  # both cases occur
    assert totals == [len(truth)] == [len(written)] == [sum(steps)]
    assert len(truth) == 8 * 4 - missing + revisions and len(steps) == 8  # one step per agency, by its files
