"""Notebooks: committed without outputs, run top to bottom against a small generated home into HTML
and PNG, and chart Chinese text with a font that has every glyph."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest
import yaml

from helpers import ROOT

NOTEBOOKS = ROOT / "notebooks"
EXPECTED = ["01_trends", "02_agencies", "03_appeals_and_fees", "04_data_quality"]
YEARS = range(2020, 2022)  # both layouts
N_AGENCIES = 64  # enough for the percentile bands, more than the coverage grid's labelled rows


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


@pytest.fixture(scope="module")
def nb_home(tmp_path_factory):
    """Generated reports for 2020-2021 (both layouts) ingested and built once; no agency renamed, so each
    generated agency is one agency in the warehouse."""
    from ingest.batch import ingest_paths
    from ingest.synthetic import generate
    from ingest.synthetic.corpus import DEFAULT_QUIRK_RATES
    from warehouse.build import build
    from warehouse.home import Home

    root = tmp_path_factory.mktemp("notebooks")
    generate(
        root / "corpus", n_agencies=N_AGENCIES, years=YEARS, seed=5, quirk_rates={**DEFAULT_QUIRK_RATES, "renamed": 0}
    )
    home = Home.resolve(root / "home")
    ingest_paths([root / "corpus" / "reports"], home.root, workers=2)
    build(home)
    return home


@pytest.fixture(scope="module")
def rendered(nb_home):
    from warehouse.nbrun import render_all

    return render_all(nb_home, progress=lambda msg: None)


# --- as committed ---------------------------------------------------------------------------------


def test_the_four_notebooks_are_there():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_committed_without_outputs(name):
    for cell in _cells(NOTEBOOKS / f"{name}.ipynb"):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{name}: a code cell has outputs; clear them before committing"
            assert cell["execution_count"] is None, f"{name}: a code cell has an execution count"


@pytest.mark.parametrize("name", EXPECTED)
def test_every_chart_states_its_question_and_what_it_shows(name):
    cells = _cells(NOTEBOOKS / f"{name}.ipynb")
    assert cells[0]["cell_type"] == "markdown" and "**Question.**" in _source(cells[0])
    charts = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and "nb.save(" in _source(c)]
    assert charts, f"{name} saves no chart"
    for i in charts:
        question = next(_source(c) for c in reversed(cells[:i]) if c["cell_type"] == "markdown")
        answer = next((_source(c) for c in cells[i + 1 :] if c["cell_type"] == "markdown"), "")
        assert "**Question.**" in question or "**Question.**" in _source(cells[0])
        assert "**What the chart" in answer and "**How far the data supports it.**" in answer, (
            f"{name}: the chart of cell {i} is not followed by what it shows and how far the data supports it"
        )


def test_exposures_name_each_notebook_and_the_marts_it_reads():
    exposures = yaml.safe_load((ROOT / "models" / "exposures.yml").read_text(encoding="utf-8"))["exposures"]
    models = {p.stem for p in (ROOT / "models").rglob("*.sql")}
    by_path = {}
    for e in exposures:
        path = re.search(r"notebooks/\S+\.ipynb", e["description"]).group(0)
        by_path[path] = {re.fullmatch(r"ref\('(\w+)'\)", d).group(1) for d in e["depends_on"]}
    assert sorted(by_path) == [f"notebooks/{n}.ipynb" for n in EXPECTED]
    helper = (ROOT / "warehouse" / "notebook.py").read_text(encoding="utf-8")
    for path, depends in by_path.items():
        code = helper + "".join(_source(c) for c in _cells(ROOT / path) if c["cell_type"] == "code")
        read = {m for m in models if re.search(rf"\b(from|join)\s+{m}\b", code)}
        assert read == depends, f"{path} reads {sorted(read)}, exposure declares {sorted(depends)}"


# --- executed against a generated home ------------------------------------------------------------


def test_every_notebook_runs_top_to_bottom(rendered):
    assert [r.notebook.stem for r in rendered] == EXPECTED
    failed = {r.notebook.name: r.error for r in rendered if r.error}
    assert not failed, "\n\n".join(f"{k}:\n{v}" for k, v in failed.items())
    for r in rendered:
        errors = [o for c in r.executed.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors


def test_reports_hold_html_and_png_charts(rendered, nb_home):
    reports = nb_home.root / "reports"
    for r in rendered:
        assert r.html == reports / f"{r.notebook.stem}.html"
        html = r.html.read_text(encoding="utf-8")
        assert "data:image/png;base64" in html and "**Question.**" not in html and "<strong>Question.</strong>" in html
        assert r.figures, f"{r.notebook.name} saved no PNG"
        for png in r.figures:
            assert png.parent == reports and png.name.startswith(r.notebook.stem[:2])
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    # the checkout's notebooks stay without outputs after a run
    for name in EXPECTED:
        assert all(not c.get("outputs") for c in _cells(NOTEBOOKS / f"{name}.ipynb"))


def test_no_glyph_is_missing_in_any_chart(rendered):
    for r in rendered:
        for cell in r.executed.cells:
            for out in cell.get("outputs", []):
                text = out.get("text", "") if out.get("output_type") == "stream" else ""
                assert "missing from font" not in text, f"{r.notebook.name}: {text}"


def test_synthetic_data_is_called_out(rendered):
    for r in rendered:
        shown = "".join(
            o.get("data", {}).get("text/markdown", "") for c in r.executed.cells for o in c.get("outputs", [])
        )
        assert "SYNTHETIC DATA" in shown and f"{N_AGENCIES} agencies" in shown


# --- the helper -----------------------------------------------------------------------------------


def test_sql_is_read_only_and_short_lived(nb_home, monkeypatch):
    import duckdb

    from warehouse import notebook as nb
    from warehouse.errors import XxgkError

    monkeypatch.setenv("XXGK_HOME", str(nb_home.root))
    df = nb.sql("select count(*) as n from dim_report where is_current and report_year = $y", {"y": 2021})
    assert int(df.n[0]) == N_AGENCIES
    with pytest.raises(duckdb.Error):
        nb.sql("create table scratch as select 1 as x")
    # no connection is left open: a writer can take the file
    con = duckdb.connect(str(nb_home.db))
    assert con.execute("select count(*) from information_schema.tables where table_name = 'scratch'").fetchone()[0] == 0
    con.close()
    monkeypatch.setenv("XXGK_HOME", str(nb_home.root / "nowhere"))
    with pytest.raises(XxgkError, match="no warehouse"):
        nb.sql("select 1")


def test_home_defaults_to_the_demo_home(monkeypatch):
    from warehouse import notebook as nb

    monkeypatch.delenv("XXGK_HOME", raising=False)
    assert nb.home().root == ROOT / "data" / "demo"
    monkeypatch.setenv("XXGK_HOME", "/tmp/elsewhere")
    assert nb.home().root == Path("/tmp/elsewhere")


def test_wilson_interval():
    from warehouse.notebook import wilson

    lo, hi = wilson([0, 5, 3], [10, 10, 0])
    assert lo[0] == pytest.approx(0, abs=1e-12) and hi[0] == pytest.approx(0.2775, abs=1e-4)
    assert (lo[1], hi[1]) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    assert lo[2] != lo[2] and hi[2] != hi[2]  # NaN: no trials


def test_layout_change_is_marked_only_inside_the_years_drawn():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from warehouse import notebook as nb

    fig, (a, b) = plt.subplots(1, 2)
    nb.year_axis(a, range(2019, 2026))
    nb.year_axis(b, range(2022, 2026))
    assert [line.get_xdata()[0] for line in a.get_lines()] == [2020.5]
    assert b.get_lines() == []
    plt.close(fig)


# --- Chinese text in charts -----------------------------------------------------------------------


def _chinese_text() -> str:
    """Every non-ASCII character the notebooks and helper print, and every division name in the seeds."""
    parts = [(ROOT / "warehouse" / "notebook.py").read_text(encoding="utf-8")]
    parts += [_source(c) for name in EXPECTED for c in _cells(NOTEBOOKS / f"{name}.ipynb")]
    parts.append((ROOT / "seeds" / "admin_divisions.csv").read_text(encoding="utf-8"))
    return "".join(sorted({ch for ch in "".join(parts) if ord(ch) > 127}))


def test_cjk_font_has_every_character_used():
    from warehouse import notebook as nb

    text = _chinese_text()
    assert len(text) > 1000  # the division names alone use over a thousand distinct characters
    assert nb.cjk_font_path().name == "NotoSansCJKsc-Regular.otf"
    assert nb.missing_glyphs(text) == set()


def test_glyph_check_finds_what_a_latin_font_lacks():
    import matplotlib

    from warehouse import notebook as nb

    dejavu = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    assert nb.missing_glyphs("公开率 rate", dejavu) == {"公", "开", "率"}


def _render_warnings(tmp_path, text: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title(text)
    ax.set_xlabel(text)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(tmp_path / "chart.png")
    plt.close(fig)
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_charts_render_chinese_without_missing_glyphs(tmp_path):
    import matplotlib as mpl
    from matplotlib import font_manager

    from warehouse import notebook as nb

    sample = "政府信息公开 不予公开率（合成数据）沭阳县 亳州市 濉溪县 ≥ × ÷ – —"
    with mpl.rc_context():
        name = nb.setup_charts()
        assert name == "Noto Sans CJK SC"
        found = font_manager.findfont(font_manager.FontProperties(family=mpl.rcParams["font.family"]))
        assert Path(found).name == "NotoSansCJKsc-Regular.otf"
        assert _render_warnings(tmp_path, sample) == []
        # the same text with a Latin-only font falls back to boxes, and matplotlib says so
        mpl.rcParams["font.sans-serif"] = ["DejaVu Sans"]
        assert _render_warnings(tmp_path, sample)


def test_a_failing_cell_fails_the_run(nb_home, tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from warehouse.nbrun import render_all

    nb = new_notebook(
        cells=[
            new_code_cell("import os; print(os.environ['XXGK_HOME'])"),
            new_code_cell("raise ValueError('broken cell')"),
        ]
    )
    nbformat.write(nb, tmp_path / "09_broken.ipynb")
    [result] = render_all(nb_home, notebooks_dir=tmp_path, progress=lambda msg: None)
    assert "broken cell" in result.error
    assert result.executed.cells[0]["outputs"][0]["text"].strip() == str(nb_home.root)
    assert "broken cell" in result.html.read_text(encoding="utf-8")


def test_strip_clears_outputs(rendered, tmp_path):
    import nbformat

    from warehouse.nbrun import strip

    path = tmp_path / "01_trends.ipynb"
    nbformat.write(rendered[0].executed, path)
    assert any(c.get("outputs") for c in _cells(path))
    assert strip(path) is True
    assert all(
        c.get("outputs") == [] and c.get("execution_count") is None for c in _cells(path) if c["cell_type"] == "code"
    )
    assert strip(path) is False


# --- honest charts: what each figure drew (the JSON beside its PNG) ------------------------------------


def _figures(home) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in (home.root / "reports").glob("*.json")}


def _assert_supported(figures: dict[str, dict]) -> None:
    """No figure draws a band, median, rate or national word that its own n and coverage do not support."""
    import math

    from warehouse import chartrules as rules

    need = {"10-90": rules.MIN_WIDE_BAND_N, "25-75": rules.MIN_BAND_N, "95": rules.MIN_BAND_N, "99.8": rules.MIN_BAND_N}
    dpi = 150
    for name, m in figures.items():
        cov = m["coverage"]
        national = cov["provinces_every_year"] >= math.ceil(rules.NATIONAL_SHARE * cov["provinces_total"])
        assert cov["national"] == national, name
        words = " ".join(m["texts"])
        if not national:
            assert "全国" not in words and "national" not in words.lower(), f"{name}: {words}"
        assert f"{cov['reports']:,} reports" in m["titles"][0], name
        for b in m.get("bands", []):
            for band in b["bands"]:
                assert b["n"] >= need[band], f"{name}: band {band} drawn from {b['n']}"
            assert not b.get("median") or b["n"] >= rules.MIN_MEDIAN_N, name
        for r in m.get("rates", []):
            assert not r["drawn"] or r["n"] >= rules.MIN_RATE_N, f"{name}: rate drawn from {r['n']}"
        if "labels" in m:
            assert m["labels"]["overlaps"] == 0, name
        w, h = m["size_px"]
        assert w <= (rules.MAX_FIGURE_IN[0] + 2) * dpi and h <= (rules.MAX_FIGURE_IN[1] + 2) * dpi, f"{name}: {w}x{h}"


def test_demo_home_draws_the_bands_its_data_supports(rendered, nb_home):
    from warehouse import chartrules as rules

    figures = _figures(nb_home)
    assert {r.notebook.stem for r in rendered} and len(figures) == sum(len(r.figures) for r in rendered)
    _assert_supported(figures)
    spread = figures["01_trends_disclosure_rate"]["bands"]
    assert [b["year"] for b in spread] == list(YEARS)
    assert all(b["bands"] == ["10-90", "25-75"] and b["median"] and b["n"] >= rules.MIN_WIDE_BAND_N for b in spread)
    assert figures["02_agencies_funnel"]["bands"][0]["bands"] == ["95", "99.8"]
    assert figures["02_agencies_funnel"]["labels"]["placed"] > 0
    # more agencies than labelled rows: one row per province, within the size cap
    grid = figures["04_dq_coverage"]["grid"]
    assert grid["agencies"] == N_AGENCIES > rules.GRID_MAX_ROWS and not grid["per_agency"]
    assert 1 <= grid["rows"] <= rules.GRID_MAX_ROWS
    # the generator places these agencies in one province: nothing may say national
    assert not any(m["coverage"]["national"] for m in figures.values())


@pytest.fixture(scope="module")
def six_home(shared_corpus, tmp_path_factory):
    """The six shared real reports alone, ingested, built and rendered."""
    from ingest.batch import ingest_paths
    from warehouse.build import build
    from warehouse.home import Home
    from warehouse.nbrun import render_all

    home = Home.resolve(tmp_path_factory.mktemp("six") / "home")
    ingest_paths([shared_corpus / "raw"], home.root)
    build(home)
    return home, render_all(home, progress=lambda msg: None)


def test_six_real_reports_get_no_band_and_no_national_title(six_home):
    home, rendered = six_home
    assert not [r.error for r in rendered if r.error]
    figures = _figures(home)
    assert len(figures) == sum(len(r.figures) for r in rendered) >= 15
    _assert_supported(figures)
    for name, m in figures.items():
        assert m["coverage"]["reports"] == 6 and not m["coverage"]["national"], name
        assert "6 reports" in m["titles"][0] and "全国" not in m["titles"][0], name
        assert all(not b["bands"] and not b.get("median") for b in m.get("bands", [])), f"{name}: {m['bands']}"
    spread = figures["01_trends_disclosure_rate"]["bands"]
    assert spread and max(b["n"] for b in spread) < 5
    assert figures["04_dq_coverage"]["grid"]["per_agency"]


def test_national_means_nearly_every_province_in_every_year():
    import duckdb

    from warehouse import chartrules as rules

    total = rules.mainland_provinces()
    assert total == 31
    con = duckdb.connect()
    con.execute("create table agency_year (agency_id varchar, report_year int, province_code varchar)")
    need = -(-int(rules.NATIONAL_SHARE * 100) * total // 100)
    rows = [(f"a{y}{p}", y, f"{p:02d}0000") for y in (2023, 2024) for p in range(need)]
    con.executemany("insert into agency_year values (?, ?, ?)", rows)
    cov = rules.coverage(con)
    assert cov.national and cov.label().startswith("全国") and rules.scoped_title("T", cov).startswith("T\n全国")
    con.execute("delete from agency_year where report_year = 2024 and province_code = '000000'")
    cov = rules.coverage(con)
    assert not cov.national and "全国" not in cov.label() and f"in {need} of {total} provinces" in cov.label()
    assert rules.coverage(con, years=[2023]).national
    assert not rules.coverage(con, "false").national


def test_band_and_rate_thresholds():
    from warehouse import chartrules as rules

    assert rules.bands_for(rules.MIN_BAND_N - 1) == []
    assert rules.bands_for(rules.MIN_BAND_N) == [(25, 75)]
    assert rules.bands_for(rules.MIN_WIDE_BAND_N) == [(10, 90), (25, 75)]
    assert not rules.rate_ok(rules.MIN_RATE_N - 1) and rules.rate_ok(rules.MIN_RATE_N)
    assert not rules.rate_ok(None) and not rules.rate_ok(float("nan"))


def test_labels_never_overlap_and_the_rest_are_counted():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from warehouse import notebook as nb

    with matplotlib.rc_context():
        nb.setup_charts()
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.scatter([1, 1.01, 1.02, 2], [1, 1.0, 1.01, 2])
        items = [(1 + i / 100, 1.0, f"一个很长的机关名称 {i}") for i in range(30)] + [(2, 2, "独立 alone")]
        labels = nb.place_labels(ax, items)
    assert labels["overlaps"] == 0 and labels["placed"] + len(labels["left_out"]) == len(items)
    assert labels["left_out"] and "独立 alone" not in labels["left_out"]
    boxes = [t.get_window_extent() for t in ax.texts]
    assert len(boxes) == labels["placed"]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    plt.close(fig)
