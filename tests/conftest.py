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
