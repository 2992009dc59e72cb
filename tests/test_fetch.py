"""`xxgk fetch` against a local HTTP server: downloads, conditional requests, and every failure kind."""

from __future__ import annotations

import hashlib
import time

import pyarrow.parquet as pq
import pytest

from ingest.fetch import Fetcher, FetchPolicy, Source, blocked_reason, read_sources, safe_stem
from ingest.synthetic import generate
from local_server import LocalServer, Site

# The test server is on 127.0.0.1, so the tests allow private addresses (refused by default).
FAST = FetchPolicy(
    timeout_s=0.5,
    deadline_s=5,
    max_bytes=100_000,
    retries=2,
    backoff_s=0.01,
    max_redirects=3,
    min_interval_s=0.0,
    allow_private=True,
)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("fetch-corpus")
    truth = generate(root, n_agencies=2, years=range(2023, 2024), seed=3, formats=("html", "text"))
    by_format = {t.fmt: (root / t.file).read_bytes() for t in truth}
    return [by_format["html"], by_format["text"]]


@pytest.fixture()
def server(reports):
    site = Site()
    site.put("/reports/a.html", reports[0])
    site.put("/reports/b.html", reports[1], "text/plain; charset=utf-8")
    with LocalServer(site) as url:
        yield site, url


def _fetch(home, sources, policy=FAST, sleep=time.sleep):
    return Fetcher(home, policy, sleep=sleep).fetch_all(sources)


def _src(url, agency="某市教育局", year=2023, fmt=None):
    return Source(agency, year, url, fmt)


def test_downloads_follow_redirects_and_sniff_content(tmp_path, server, reports):
    site, base = server
    s = _fetch(
        tmp_path,
        [
            _src(base + "/reports/a.html"),
            _src(base + "/redirect", "乙局"),
            _src(base + "/mislabelled.pdf", "丙局", fmt="pdf"),
        ],
    )
    assert (s.ok, s.failed) == (3, 0)
    a, redirected, mislabelled = s.rows
    assert a["status"] == 200 and a["format"] == "html" and a["sha256"] == hashlib.sha256(reports[0]).hexdigest()
    assert (tmp_path / "inbox" / a["file"]).read_bytes() == reports[0]
    assert redirected["final_url"] == base + "/reports/b.html" and redirected["format"] == "text"
    assert redirected["file"].endswith(".txt")
    # served as application/pdf with a .pdf URL and a pdf hint: saved by what the bytes are
    assert mislabelled["content_type"] == "application/pdf" and mislabelled["format"] == "html"
    assert mislabelled["file"].endswith(".html")
    lake_rows = pq.read_table(next((tmp_path / "lake" / "fetches").glob("b*.parquet"))).to_pylist()
    assert {r["url"] for r in lake_rows} == {r["url"] for r in s.rows}
    assert all(r["fetched_at"] is not None and r["bytes"] > 0 for r in lake_rows)


def test_every_failure_is_recorded_and_the_rest_go_on(tmp_path, server):
    site, base = server
    site.slow_s = 2.0
    paths = ["/missing", "/error", "/slow", "/loop", "/big", "/big-chunked", "/archive", "/to-file"]
    sources = [_src(base + p, f"局{i}") for i, p in enumerate(paths)]
    sources += [
        Source("坏行", 2023, "ftp://example.org/x.pdf", problem="only http and https URLs are fetched"),
        _src(base + "/reports/a.html", "最后一局"),
    ]
    s = _fetch(tmp_path, sources)
    codes = {r["url"].removeprefix(base): (r["error"] or "").split(":")[0] for r in s.rows}
    assert codes == {
        "/missing": "http_404",
        "/error": "http_500",
        "/slow": "timeout",
        "/loop": "redirect_loop",
        "/big": "too_large",
        "/big-chunked": "too_large",
        "/archive": "unsupported_content",
        "/to-file": "bad_scheme",
        "ftp://example.org/x.pdf": "bad_source",
        "/reports/a.html": "",
    }
    assert (s.ok, s.failed) == (1, 9)
    by = {r["url"].removeprefix(base): r for r in s.rows}
    assert by["/missing"]["attempts"] == 1 and by["/missing"]["status"] == 404  # 4xx: no retry
    assert by["/error"]["attempts"] == 3 and site.hits["/error"] == 3  # 5xx: bounded retries
    assert by["/slow"]["attempts"] == 3
    assert by["/loop"]["attempts"] == 1 and site.hits["/loop"] + site.hits["/loop2"] == 2  # a loop is not retried
    assert sorted(p.name for p in (tmp_path / "inbox").rglob("*") if p.is_file()) == [f"{safe_stem(sources[-1])}.html"]


def test_unchanged_page_costs_one_304(tmp_path, server):
    site, base = server
    src = [_src(base + "/reports/a.html")]
    first = _fetch(tmp_path, src)
    saved = tmp_path / "inbox" / first.rows[0]["file"]
    mtime = saved.stat().st_mtime_ns
    hits = site.hits["/reports/a.html"]
    second = _fetch(tmp_path, src)
    assert second.not_modified == 1 and second.rows[0]["status"] == 304 and second.rows[0]["bytes"] == 0
    assert second.rows[0]["sha256"] == first.rows[0]["sha256"]
    assert site.hits["/reports/a.html"] == hits + 1 and site.statuses["/reports/a.html"][-1] == 304
    assert saved.stat().st_mtime_ns == mtime


def test_changed_page_replaces_the_same_file(tmp_path, server, reports):
    site, base = server
    src = [_src(base + "/reports/a.html")]
    first = _fetch(tmp_path, src)
    site.put("/reports/a.html", reports[0].replace("年度报告".encode(), "年度报告（修订）".encode(), 1))
    second = _fetch(tmp_path, src)
    assert second.ok == 1 and second.rows[0]["status"] == 200
    assert second.rows[0]["file"] == first.rows[0]["file"] and second.rows[0]["sha256"] != first.rows[0]["sha256"]
    assert "（修订）" in (tmp_path / "inbox" / second.rows[0]["file"]).read_text(encoding="utf-8")


def test_retries_back_off_then_succeed(tmp_path, server):
    site, base = server
    waits: list[float] = []
    s = _fetch(tmp_path, [_src(base + "/flaky")], sleep=waits.append)
    assert s.ok == 1 and s.rows[0]["attempts"] == 3 and site.statuses["/flaky"] == [503, 503, 200]
    assert waits == [0.01, 0.02]


def test_per_host_rate_limit(tmp_path, server):
    site, base = server
    waits: list[float] = []

    def sleep(s):
        waits.append(s)
        time.sleep(s)

    policy = FetchPolicy(timeout_s=1, retries=0, min_interval_s=0.3, backoff_s=0.01, allow_private=True)
    _fetch(tmp_path, [_src(base + "/reports/a.html"), _src(base + "/reports/b.html", "乙局")], policy, sleep)
    assert len(waits) == 1 and 0 < waits[0] <= 0.3  # the second request to the host waited its turn


def test_file_names_cannot_escape_the_inbox(tmp_path, server):
    site, base = server
    evil = [_src(base + "/reports/a.html", "../../../etc/passwd"), _src(base + "/reports/b.html", "a/b\\c/..")]
    s = _fetch(tmp_path, evil)
    assert s.ok == 2
    for row in s.rows:
        saved = (tmp_path / "inbox" / row["file"]).resolve()
        assert saved.parent == (tmp_path / "inbox" / "2023").resolve()
        assert ".." not in saved.name and "/" not in row["file"].split("/", 1)[1]
    assert not (tmp_path / "etc").exists()


def test_read_sources(tmp_path):
    good = tmp_path / "sources.csv"
    good.write_text(
        "agency,year,url,format\n甲局,2023,https://x.gov.cn/a.pdf,pdf\n乙局,二〇二三,http://x/b,\n"
        "丙局,2023,file:///etc/passwd,\n\n",
        encoding="utf-8",
    )
    rows = read_sources(good)
    assert [(r.agency, r.year, r.format_hint, r.problem is None) for r in rows] == [
        ("甲局", 2023, "pdf", True),
        ("乙局", None, None, False),
        ("丙局", 2023, None, False),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("name,link\nx,y\n")
    with pytest.raises(ValueError, match="agency, year, url"):
        read_sources(bad)


def test_cli_fetch_exit_codes(tmp_path, server):
    from warehouse.cli import main

    site, base = server
    ok = tmp_path / "ok.csv"
    ok.write_text(f"agency,year,url\n甲局,2023,{base}/reports/a.html\n", encoding="utf-8")
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(f"agency,year,url\n甲局,2023,{base}/reports/a.html\n乙局,2023,{base}/missing\n", encoding="utf-8")
    home = str(tmp_path / "home")
    common = ["--home", home, "--timeout", "0.5", "--retries", "0", "--min-interval", "0", "--quiet", "--allow-private"]
    assert main(["fetch", "--sources", str(ok), *common]) == 0
    assert main(["fetch", "--sources", str(mixed), *common]) == 4
    assert main(["fetch", "--sources", str(tmp_path / "nope.csv"), *common]) == 2


# --- hardening: deadlines, addresses, secrets, Retry-After, one URL for two agencies ---------------


@pytest.mark.parametrize("path", ["/trickle", "/trickle-headers"])
def test_a_trickling_server_cannot_hold_a_fetch_past_its_deadline(tmp_path, server, path):
    """One byte every 0.2 s never trips the 1 s socket timeout; the 1.5 s deadline stops the download."""
    site, base = server
    policy = FetchPolicy(timeout_s=1.0, deadline_s=1.5, retries=2, backoff_s=0.01, min_interval_s=0, allow_private=True)
    t0 = time.monotonic()
    s = _fetch(tmp_path, [_src(base + path)], policy)
    elapsed = time.monotonic() - t0
    row = s.rows[0]
    # under load a gap can also trip the socket timeout first; either way the deadline ends the fetch
    assert row["error"].startswith("timeout:") and "1.5 s" in row["error"] and "deadline" in row["error"], row["error"]
    assert elapsed < 3.0 and row["attempts"] == 1  # no retry once the deadline has passed
    assert not list((tmp_path / "inbox").rglob("*.*"))


def test_private_addresses_are_refused_unless_allowed(tmp_path, server):
    site, base = server
    strict = FetchPolicy(timeout_s=0.5, retries=0, min_interval_s=0)
    s = _fetch(tmp_path / "a", [_src(base + "/reports/a.html")], strict)
    assert s.rows[0]["error"].startswith("private_address:") and "loopback" in s.rows[0]["error"]
    assert site.hits.get("/reports/a.html", 0) == 0  # refused before connecting
    assert _fetch(tmp_path / "b", [_src(base + "/reports/a.html")], FAST).ok == 1


def test_a_redirect_to_loopback_is_refused(tmp_path, server):
    """A public host (public.test, which the test resolves to the local server) redirects to 127.0.0.1."""
    site, base = server
    port = int(base.rsplit(":", 1)[1])
    strict = FetchPolicy(timeout_s=0.5, retries=0, min_interval_s=0)
    fetcher = Fetcher(
        tmp_path,
        strict,
        resolve=lambda host, p: ["127.0.0.1"],
        address_check=lambda ip, host: None if host == "public.test" else blocked_reason(ip),
    )
    s = fetcher.fetch_all([_src(f"http://public.test:{port}/to-loopback")])
    row = s.rows[0]
    assert row["error"] == (
        "private_address: 127.0.0.1 resolves to 127.0.0.1, a loopback address (--allow-private allows it)"
    )
    assert site.hits["/to-loopback"] == 1 and site.hits.get("/reports/a.html", 0) == 0
    assert row["final_url"] == f"http://127.0.0.1:{port}/reports/a.html"
    assert [
        blocked_reason(ip)
        for ip in (
            "10.1.2.3",
            "169.254.169.254",
            "::1",
            "::ffff:192.168.0.1",
            "100.64.0.1",
            "224.0.0.1",
            "fe80::1",
            "93.184.216.34",
            "2606:4700::1111",
        )
    ] == ["private", "link-local", "loopback", "private", "reserved", "multicast", "link-local", None, None]


def test_credentials_and_query_secrets_never_recorded_or_printed(tmp_path, server, capsys):
    from warehouse.cli import main

    site, base = server
    authed = base.replace("http://", "http://user:hunter2@") + "/auth?token=tok-123456&page=2"
    signed = base + "/reports/a.html?access_token=acc-777777&X-Amz-Signature=sig-888888&lang=zh"
    failing = base + "/missing?api_key=key-999999"
    sources = tmp_path / "sources.csv"
    sources.write_text(
        f"agency,year,url\n甲局,2023,{authed}\n乙局,2023,{signed}\n丙局,2023,{failing}\n", encoding="utf-8"
    )
    home = tmp_path / "home"
    code = main(
        [
            "fetch",
            "--home",
            str(home),
            "--sources",
            str(sources),
            "--allow-private",
            "--retries",
            "0",
            "--min-interval",
            "0",
            "--timeout",
            "1",
            "--log-file",
            str(tmp_path / "fetch.log"),
        ]
    )
    out = capsys.readouterr()
    assert code == 4  # /missing fails; the basic-auth page was fetched
    rows = pq.read_table(next((home / "lake" / "fetches").glob("b*.parquet"))).to_pylist()
    assert [r["error"] is None for r in rows] == [True, True, False]
    assert rows[0]["url"] == base.replace("http://", "http://***@") + "/auth?token=***&page=2"
    assert rows[1]["url"].endswith("/reports/a.html?access_token=***&X-Amz-Signature=***&lang=zh")
    recorded = "\n".join(
        [
            out.out,
            out.err,
            (tmp_path / "fetch.log").read_text(encoding="utf-8"),
            repr(rows),
            (home / ".state" / "fetch_state.json").read_text(),
        ]
    )
    assert "/missing?api_key=***" in recorded
    for secret in ("hunter2", "tok-123456", "acc-777777", "sig-888888", "key-999999"):
        assert secret not in recorded, secret


def test_retry_after_is_honoured_up_to_a_cap(tmp_path, server):
    site, base = server
    waits: list[float] = []
    s = _fetch(tmp_path, [_src(base + "/retry-after")], sleep=waits.append)
    assert s.ok == 1 and s.rows[0]["attempts"] == 2 and waits == [1.0]  # not the 0.01 s backoff
    site.retry_after = "3600"
    capped = _fetch(tmp_path, [_src(base + "/retry-after-long", "乙局")], sleep=waits.append)
    row = capped.rows[0]
    assert row["error"].startswith("http_503:") and "retry after 3600 s" in row["error"] and row["attempts"] == 1
    assert waits == [1.0]


def test_one_url_for_two_agencies_keeps_both_files(tmp_path, server, reports):
    site, base = server
    both = [_src(base + "/reports/a.html", "甲局"), _src(base + "/reports/a.html", "乙局")]
    first = _fetch(tmp_path, both)
    files = [r["file"] for r in first.rows]
    assert first.ok == 2 and len(set(files)) == 2
    again = _fetch(tmp_path, both)
    assert again.not_modified == 2 and [r["file"] for r in again.rows] == files
    assert all((tmp_path / "inbox" / f).read_bytes() == reports[0] for f in files)
