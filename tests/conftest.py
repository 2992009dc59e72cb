"""Shared fixtures: the real corpus beside the checkout, and warehouses built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import SHARED


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    if not (SHARED / "raw").is_dir():
        pytest.skip("../shared/corpus is not beside the checkout")
    return SHARED


@pytest.fixture(scope="session")
def synthetic_home(tmp_path_factory):
    """Generated reports (both layouts, text and HTML, default quirks) ingested and built once.

    Seed 11 gives a revision, carry-over breaks and broken totals, which the end-to-end tests expect."""
    from ingest.batch import ingest_paths
    from ingest.synthetic import generate
    from warehouse.build import build
    from warehouse.home import Home

    root = tmp_path_factory.mktemp("synthetic")
    truth = generate(root / "corpus", n_agencies=8, years=range(2020, 2025), seed=11)
    home = Home.resolve(root / "home")
    summary = ingest_paths([root / "corpus" / "reports"], home.root)
    result = build(home)
    return {"home": home, "truth": truth, "summary": summary, "build": result, "corpus": root / "corpus"}


@pytest.fixture(scope="session")
def real_home(shared_corpus, tmp_path_factory):
    """The two foundation reports (Tai'an text, 沭阳县 HTML) ingested and built once."""
    from ingest.batch import ingest_paths
    from warehouse.build import build
    from warehouse.home import Home

    home = Home.resolve(tmp_path_factory.mktemp("real") / "home")
    files = [shared_corpus / "raw" / "2024_taian_xzspfwj.txt", shared_corpus / "raw" / "2023_shuyangxian_fgj.html"]
    summary = ingest_paths(files, home.root)
    build(home)
    return {"home": home, "files": files, "summary": summary}


# The slow tier: `make test` runs everything, `make test-fast` deselects these (-m "not slow"). Whole modules
# that build warehouses with dbt, start Dask clusters, drive a browser, run LibreOffice, OCR or the CLI in subprocesses, or parse
# every real report many times over; and, in other modules, each test using a warehouse built by a fixture.
SLOW_MODULES = {
    "test_analytics",
    "test_attacks",
    "test_dask",
    "test_dbt_unit_tests",
    "test_dbt_parse_cache",
    "test_duckdb_compat",
    "test_e2e_synthetic",
    "test_fidelity",
    "test_ingest_cli",
    "test_metamorphic",
    "test_notebooks",
    "test_ocr",
    "test_portability",
    "test_quality_warehouse",
    "test_reader_legacy_doc",
    "test_real_quality",
    "test_real_reports",
    "test_refresh",
    "test_refresh_crash",
    "test_reparse",
    "test_web",
    "test_web_browser",
    "test_synthetic",
    "test_bad_inputs",
}
SLOW_FIXTURES = {"synthetic_home", "real_home"}
# single tests of the unit modules that ingest batches, run OCR or a subprocess, or read every real report
SLOW_TESTS = {
    "test_lake::test_many_small_ingests_are_compacted",
    "test_metadata::test_real_reports_without_title_keep_agency_and_year",
    "test_properties::test_damaged_html_report_ends_as_report_or_reject",
    "test_properties::test_damaged_text_report_ends_as_report_or_reject",
    "test_reader_pdf::test_no_text_layer_is_quarantined",
    "test_reader_pdf::test_real_report_matches_golden",
    "test_reader_pdf_owner_password::test_owner_password_pdf_gives_golden_cells",
    "test_reader_text_dump::test_real_report_as_text_dump",
    "test_sql_safety::test_one_huge_value_is_denied_not_given_the_machine",
}


def pytest_collection_modifyitems(config, items):
    """Mark the slow tier (see SLOW_MODULES); a test may also carry ``@pytest.mark.slow`` itself."""
    for item in items:
        module = item.module.__name__
        if (
            module in SLOW_MODULES
            or f"{module}::{item.originalname}" in SLOW_TESTS
            or SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
        ):
            item.add_marker(pytest.mark.slow)


_METAMORPHIC: dict[tuple[str, str], str] = {}


def pytest_runtest_logreport(report):
    """Collect the metamorphic suite's results from the test reports (they reach the controller under xdist)."""
    if report.when == "call":
        for name, value in report.user_properties:
            if name == "metamorphic":
                transform, source, result = value
                _METAMORPHIC[(transform, source)] = result


def pytest_terminal_summary(terminalreporter):
    """The metamorphic suite's table (transform × report), when it ran."""
    if _METAMORPHIC:
        from transforms import render_results

        terminalreporter.write_sep("-", "metamorphic presentations")
        terminalreporter.write_line(render_results(_METAMORPHIC))
