"""The web explorer without a browser: every route, its JSON API, downloads and bad input (Starlette TestClient)."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
from starlette.testclient import TestClient

from helpers import db
from warehouse.home import Home
from warehouse.web import create_app

NO_TRACE = ("Traceback", 'File "', "duckdb.", "Error:")


@pytest.fixture(scope="module")
def home(synthetic_home) -> Home:
    return synthetic_home["home"]


@pytest.fixture(scope="module")
def client(home):
    return TestClient(create_app(home, sql_timeout_s=0.5), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def ids(home):
    con = db(home)
    try:
        agency_id, report_id = con.execute(
            "select agency_id, report_id from agency_year where received is not null order by agency_id, report_year limit 1"
        ).fetchone()
        cell = con.execute(
            """select raw_text, match_method from stg_cells
                              where report_id = ? and table_id = 't3' and row_key = 'new_received' and col_key = 'total'""",
            [report_id],
        ).fetchone()
        return {"agency": agency_id, "report": report_id, "raw_text": cell[0], "match_method": cell[1]}
    finally:
        con.close()


def _csv_rows(body: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_home_coverage_and_trends_match_the_warehouse(client, home):
    r = client.get("/")
    assert r.status_code == 200 and "<svg" in r.text and 'class="synthetic-banner"' in r.text
    api = client.get("/api").json()
    con = db(home)
    try:
        by_year = dict(con.execute("select report_year, count(*) from agency_year group by 1").fetchall())
        received = dict(
            con.execute("select report_year, sum(received) from agency_year where is_synthetic group by 1").fetchall()
        )
    finally:
        con.close()
    assert {row["report_year"]: row["reports"] for row in api["tables"]["coverage_by_year"]["rows"]} == by_year
    assert {row["report_year"]: row["received"] for row in api["tables"]["trends"]["rows"]} == received
    # synthetic data is never shown as real: the real-only view of a synthetic home is empty
    real = client.get("/api?scope=real").json()
    assert real["tables"]["trends"]["rows"] == []


def test_search_finds_an_agency(client, home, ids):
    con = db(home)
    name = con.execute("select agency_name from dim_agency where agency_id = ?", [ids["agency"]]).fetchone()[0]
    con.close()
    r = client.get("/search", params={"q": name[-6:]})
    assert r.status_code == 200 and f"/agency/{ids['agency']}" in r.text
    found = client.get("/api/search", params={"q": name}).json()["tables"]["agencies"]["rows"]
    assert ids["agency"] in [a["agency_id"] for a in found]
    assert client.get("/api/search", params={"q": "不存在的机关名称xyz"}).json()["tables"]["agencies"]["rows"] == []


def test_agency_page_years_findings_peers_reports(client, home, ids):
    r = client.get(f"/agency/{ids['agency']}")
    assert r.status_code == 200 and r.text.count("<svg") == 3
    api = client.get(f"/api/agency/{ids['agency']}").json()["tables"]
    con = db(home)
    try:
        years = [
            y
            for (y,) in con.execute(
                "select report_year from agency_year where agency_id = ? order by 1", [ids["agency"]]
            ).fetchall()
        ]
        n_reports = con.execute("select count(*) from dim_report where agency_id = ?", [ids["agency"]]).fetchone()[0]
        n_findings = con.execute(
            """select count(*) from stg_findings join dim_report using (report_id)
                                    where agency_id = ? and is_current""",
            [ids["agency"]],
        ).fetchone()[0]
    finally:
        con.close()
    assert [m["report_year"] for m in api["measures"]["rows"]] == years
    assert len(api["reports"]["rows"]) == n_reports and len(api["findings"]["rows"]) == n_findings
    assert all(p["agency_id"] != ids["agency"] for p in api["peers"]["rows"])
    for row in api["reports"]["rows"]:
        assert f"/report/{row['report_id']}" in r.text


def test_report_numbers_link_to_their_provenance(client, ids):
    r = client.get(f"/report/{ids['report']}")
    assert r.status_code == 200
    link = f"/report/{ids['report']}/cell/t3/new_received/total"
    assert link in r.text
    cell = client.get(link)
    assert cell.status_code == 200
    assert f'id="printed-text">{ids["raw_text"]}' in cell.text
    assert f'id="match-method">{ids["match_method"]}<' in cell.text
    api = client.get("/api" + link).json()["tables"]["cell"]["rows"][0]
    assert api["raw_text"] == ids["raw_text"] and api["src_row"] is not None


def test_original_file_only_from_recorded_path_with_same_bytes(client, home, tmp_path, ids):
    con = db(home)
    path, sha = con.execute(
        "select source_path, source_sha256 from dim_report where report_id = ?", [ids["report"]]
    ).fetchone()
    con.close()
    r = client.get(f"/report/{ids['report']}/file")
    assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == sha
    original = open(path, "rb").read()
    moved, in_inbox = tmp_path / "moved", home.inbox / os.path.basename(path)
    os.replace(path, moved)
    try:
        gone = client.get(f"/report/{ids['report']}/file")
        assert gone.status_code == 404 and 'id="error"' in gone.text
        assert 'id="file-gone"' in client.get(f"/report/{ids['report']}").text
        # other bytes under the recorded name are not served as the original
        in_inbox.parent.mkdir(parents=True, exist_ok=True)
        in_inbox.write_bytes(original[:-1] + b"x")
        assert client.get(f"/report/{ids['report']}/file").status_code == 404
        # the same bytes in the inbox are
        in_inbox.write_bytes(original)
        assert hashlib.sha256(client.get(f"/report/{ids['report']}/file").content).hexdigest() == sha
    finally:
        os.replace(moved, path)
        in_inbox.unlink(missing_ok=True)


def test_compare_agencies_and_regions(client, home, ids):
    con = db(home)
    try:
        other, code = con.execute(
            """select agency_id, province_code from agency_year where agency_id <> ? and province_code is not null
                                     limit 1""",
            [ids["agency"]],
        ).fetchone()
        expect = dict(
            con.execute(
                "select report_year, disclosure_rate from agency_year where agency_id = ?", [ids["agency"]]
            ).fetchall()
        )
        pooled = dict(
            con.execute(
                """select report_year, sum(disclosed) / nullif(sum(handled) filter (where disclosed is not null), 0)
                                     from agency_year where province_code = ? group by 1""",
                [code],
            ).fetchall()
        )
    finally:
        con.close()
    params = [("measure", "disclosure_rate"), ("agency", ids["agency"]), ("agency", other), ("region", code)]
    r = client.get("/compare", params=params)
    assert r.status_code == 200 and "<svg" in r.text
    rows = client.get("/api/compare", params=params).json()["tables"]["compare"]["rows"]
    assert {x["report_year"]: x["value"] for x in rows if x["series_id"] == ids["agency"]} == pytest.approx(expect)
    assert {x["report_year"]: x["value"] for x in rows if x["series_id"] == code} == pytest.approx(pooled)


def test_query_box_runs_examples_in_the_sandbox(client):
    r = client.get("/query", params={"example": "reports_by_year"})
    assert r.status_code == 200 and 'id="query-result"' in r.text
    rows = client.get("/api/query", params={"sql": "select count(*) as n from dim_report"}).json()["tables"]["result"][
        "rows"
    ]
    assert rows[0]["n"] > 0
    denied = client.get("/query", params={"sql": "copy dim_report to '/tmp/x.csv'"})
    assert denied.status_code == 403 and "denied" in denied.text
    assert client.get("/query", params={"sql": "select * from read_csv('/etc/passwd')"}).status_code == 403
    slow = client.get("/query", params={"sql": "select count(*) from range(100000000000) a(i) where i % 7 = 3"})
    assert slow.status_code == 408 and "timeout" in slow.text
    bad = client.get("/query", params={"sql": "selec nonsense"})
    assert bad.status_code == 400 and 'id="error"' in bad.text
    assert client.get("/query", params={"example": "no_such_example"}).status_code == 400


def test_downloads_csv_and_parquet(client, home, ids):
    con = db(home)
    try:
        n = con.execute("select count(*) from agency_year").fetchone()[0]
        years = con.execute("select count(*) from agency_year where agency_id = ?", [ids["agency"]]).fetchone()[0]
    finally:
        con.close()
    page = client.get("/downloads")
    assert page.status_code == 200 and "/downloads/agency_year.csv" in page.text
    assert len(_csv_rows(client.get("/downloads/agency_year.csv").content)) == n
    assert pq.read_table(io.BytesIO(client.get("/downloads/agency_year.parquet").content)).num_rows == n
    r = client.get(f"/agency/{ids['agency']}", params={"format": "csv", "table": "measures"})
    assert r.headers["content-disposition"].startswith("attachment") and len(_csv_rows(r.content)) == years
    r = client.get(f"/agency/{ids['agency']}", params={"format": "parquet", "table": "measures"})
    assert pq.read_table(io.BytesIO(r.content)).num_rows == years


def test_language_switch(client):
    zh = client.get("/")
    assert 'lang="zh-CN"' in zh.text and "公开率" in zh.text
    c = TestClient(client.app)
    en = c.get("/", params={"lang": "en"})
    assert 'lang="en"' in en.text and "Disclosure rate" in en.text and "公开率" not in en.text
    assert 'lang="en"' in c.get("/downloads").text  # kept by a cookie


@pytest.mark.parametrize(
    "url, status",
    [
        ("/agency/ag_000000000000", 404),
        ("/agency/bad%20id;", 400),
        ("/report/0000000000000000", 404),
        ("/report/not-hex", 400),
        ("/report/0000000000000000/file", 404),
        ("/report/0000000000000000/cell/t9/granted/total", 400),
        ("/compare?measure=nope", 400),
        ("/compare?measure=received&region=12", 400),
        ("/?scope=everything", 400),
        ("/?format=xml", 400),
        ("/downloads?format=csv&table=nope", 400),
        ("/downloads/secrets.csv", 404),
        ("/no/such/page", 404),
        ("/api/agency/ag_000000000000", 404),
        ("/static/../pyproject.toml", 404),
    ],
)
def test_bad_input_gets_a_clear_answer(client, url, status):
    r = client.get(url)
    assert r.status_code == status
    assert not any(s in r.text for s in NO_TRACE), r.text[:500]
    if url.startswith("/api"):
        assert r.json()["status"] == status
    elif r.headers["content-type"].startswith("text/html"):
        assert 'id="error"' in r.text


def test_a_refresh_is_not_blocked_and_its_swap_shows_on_the_next_request(home, tmp_path):
    copy = Home.resolve(tmp_path / "home")
    shutil.copytree(home.root, copy.root, ignore=shutil.ignore_patterns(".build"))
    c = TestClient(create_app(copy), raise_server_exceptions=False)
    before = c.get("/api").json()["tables"]["coverage_by_year"]["rows"]
    year = before[0]["report_year"]
    # what a refresh does, in another process while the explorer is open: read the current warehouse
    # (attach read-only), copy it, change the copy, rename it over xxgk.duckdb
    script = f"""
import duckdb, os, shutil
duckdb.connect('{copy.db}').close()      # the explorer holds no lock between requests, not even a shared one
con = duckdb.connect(":memory:")
con.execute("attach '{copy.db}' as cur (read_only)")
assert con.execute("select count(*) from cur.agency_year").fetchone()[0] > 0
con.close()
shutil.copyfile('{copy.db}', '{tmp_path / "new.duckdb"}')
w = duckdb.connect('{tmp_path / "new.duckdb"}')
w.execute("delete from agency_year where report_year = {year}")
w.close()
os.replace('{tmp_path / "new.duckdb"}', '{copy.db}')
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    after = c.get("/api").json()["tables"]["coverage_by_year"]["rows"]
    assert year not in [r["report_year"] for r in after]
    assert len(after) == len(before) - 1


def test_missing_warehouse_is_a_clear_page(tmp_path):
    c = TestClient(create_app(Home.resolve(tmp_path / "empty")), raise_server_exceptions=False)
    r = c.get("/")
    assert r.status_code == 503 and "xxgk build" in r.text


def test_home_charts_say_what_the_reports_cover(client, home):
    from warehouse import chartrules as rules

    con = db(home)
    try:
        cov = rules.coverage(con, "is_synthetic")
    finally:
        con.close()
    assert not cov.national
    page = client.get("/", params={"scope": "synthetic"}).text
    assert "全国" not in page and "National" not in page
    assert page.count(f"{cov.reports:,} reports, {cov.agencies:,} agencies in {cov.provinces} of 31 provinces") >= 4
    assert f"≥ {rules.MIN_RATE_N}" in page


def test_compare_chart_leaves_out_rates_from_few_requests(client, home):
    import re

    from warehouse import chartrules as rules

    con = db(home)
    try:
        agency, known, enough = con.execute(f"""
            select agency_id, count(disclosure_rate), count(disclosure_rate) filter (where handled >= {rules.MIN_RATE_N})
            from agency_year group by 1 order by count(disclosure_rate) - count(disclosure_rate) filter
            (where handled >= {rules.MIN_RATE_N}) desc, 1 limit 1""").fetchone()
    finally:
        con.close()
    params = {"measure": "disclosure_rate", "agency": agency}
    page = client.get("/compare", params=params).text
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert len(re.findall(r"<circle ", svg)) == enough and f"n ≥ {rules.MIN_RATE_N}" in svg
    rows = client.get("/api/compare", params=params).json()["tables"]["compare"]["rows"]
    assert sum(r["value"] is not None for r in rows) == known  # the table keeps every rate, with its n
    assert all(r["n"] is not None for r in rows if r["value"] is not None)
