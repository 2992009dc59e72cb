"""The web explorer in a real browser (Playwright driving Debian's chromium), as a person would use it.

Screenshots of every page go to test-output/web/ (git-ignored). Skips with the reason where
chromium or Playwright is absent; Playwright's own browser download is never used.
"""

from __future__ import annotations

import csv
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from helpers import ROOT, db

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "test-output" / "web"

if not CHROMIUM.exists():
    pytest.skip(f"chromium not installed: {CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python) not installed: make setup")


@pytest.fixture(scope="module")
def server(synthetic_home):
    """The explorer on a free local port, in a thread of this process."""
    import uvicorn

    from warehouse.web import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(
        uvicorn.Config(
            create_app(synthetic_home["home"], sql_timeout_s=0.5), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the explorer did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="module")
def ids(synthetic_home):
    con = db(synthetic_home["home"])
    try:
        agency_id, name, report_id = con.execute(
            "select agency_id, agency_name, report_id from agency_year order by agency_id, report_year limit 1"
        ).fetchone()
        return {"agency": agency_id, "name": name, "report": report_id}
    finally:
        con.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_every_page_opens_and_is_saved(page, server, ids):
    pages = {
        "home": "/",
        "agency": f"/agency/{ids['agency']}",
        "report": f"/report/{ids['report']}",
        "cell": f"/report/{ids['report']}/cell/t3/new_received/total",
        "compare": f"/compare?measure=disclosure_rate&agency={ids['agency']}",
        "query": "/query?example=disclosure_rate",
        "downloads": "/downloads",
        "search": "/search?q=" + ids["name"][:2],
    }
    for name, url in pages.items():
        response = page.goto(server + url)
        assert response.status == 200, url
        assert page.locator("h1").inner_text().strip(), url
        assert page.locator("#error").count() == 0, url
        shot(page, name)
    assert (SHOTS / "home.png").stat().st_size > 10_000


def test_search_an_agency(page, server, ids):
    page.goto(server + "/")
    page.fill("input[name=q]", ids["name"][-5:])
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/search?q=*")
    page.locator("#search-results a", has_text=ids["name"]).first.click()
    page.wait_for_url(f"**/agency/{ids['agency']}")
    assert page.locator("h1").inner_text() == ids["name"]
    assert page.locator("#table-measures tbody tr").count() >= 1


def test_follow_a_number_to_its_provenance(page, server, ids):
    page.goto(server + f"/report/{ids['report']}")
    link = page.locator("#grid-t3 a.cell").first
    printed = link.inner_text().strip()
    link.click()
    page.wait_for_url("**/cell/t3/**")
    assert page.locator("#printed-text").inner_text().startswith(printed)
    assert page.locator("#match-method").inner_text() in ("label", "variant", "position")
    with page.expect_download() as d:
        page.click("#download-file")
    assert Path(d.value.path()).stat().st_size > 0


def test_run_an_example_query(page, server):
    page.goto(server + "/query")
    page.locator("a.example[data-name=reports_by_year]").click()
    page.wait_for_selector("#query-result")
    assert page.locator("#query-result tbody tr").count() >= 1
    assert "reports_by_year" not in page.locator("textarea").input_value()  # the SQL itself is shown
    page.fill("textarea", "delete from dim_report")
    page.click("#query-form button")
    page.wait_for_selector("#error")
    assert "denied" in page.locator("#error").inner_text()


def test_download_a_csv_and_check_its_rows(page, server, ids, tmp_path):
    page.goto(server + f"/agency/{ids['agency']}")
    shown = page.locator("#table-measures tbody tr").count()
    with page.expect_download() as d:
        page.locator("#table-measures").locator("xpath=../following-sibling::p[1]").locator("a.dl-csv").click()
    target = tmp_path / "measures.csv"
    shutil.copy(d.value.path(), target)
    rows = list(csv.DictReader(target.open(encoding="utf-8-sig")))
    assert len(rows) == shown and {r["report_year"] for r in rows} == {
        c.strip() for c in page.locator("#table-measures tbody tr td:first-child").all_inner_texts()
    }


def test_switch_language(page, server):
    page.goto(server + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.click("#lang-switch")
    page.wait_for_url("**lang=en*")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("nav").inner_text().count("Home") == 1
    shot(page, "home-en")
    page.goto(server + "/compare")  # the choice is kept
    assert page.locator("html").get_attribute("lang") == "en"


@pytest.mark.parametrize(
    "url, status",
    [
        ("/agency/ag_000000000000", 404),
        ("/compare?measure=nope", 400),
        ("/query?sql=drop+table+dim_report", 403),
        ("/query?sql=select+count(*)+from+range(100000000000)+a(i)+where+i%25+7+%3D+3", 408),
    ],
)
def test_bad_input_is_a_clear_page(page, server, url, status):
    response = page.goto(server + url)
    assert response.status == status
    assert page.locator("#error").is_visible()
    assert "Traceback" not in page.content()
