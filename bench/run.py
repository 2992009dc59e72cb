"""Benchmark xxgk on generated corpora and write bench/results/<date>.json and docs/benchmarks.md.

Every figure comes from running the real commands (`xxgk ingest`, `xxgk build`, `xxgk refresh`,
`xxgk sql`) as child processes on corpora made by the project's generator; peak memory is the
largest resident set of any process of a command (ru_maxrss of its process tree).

    make bench                      # the full run (about 25 minutes on 2 cores)
    .venv/bin/python bench/run.py --merge --only real --real-n 200   # real-file stage alone, a few minutes
    .venv/bin/python bench/run.py --quick    # small sizes, to check the script itself
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.real import bench_real  # noqa: E402
from ingest.synthetic import generate, load_truth  # noqa: E402

XXGK = [sys.executable, "-m", "warehouse.cli"]
WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks.md"


def run(cmd: list[str], env: dict | None = None) -> dict:
    """Run a command; return wall seconds, peak RSS (MB) of its process tree, and output."""
    t = time.perf_counter()
    # A fresh measuring parent per command, so ru_maxrss is this command's own peak.
    probe = (
        "import resource,subprocess,sys,json;"
        "p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
        "print(json.dumps({'rc':p.returncode,'out':p.stdout[-4000:],'err':p.stderr[-4000:],"
        "'rss_kb':resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
        "'cpu_s':resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime+resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, *cmd],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {}), "DO_NOT_TRACK": "1"},
        cwd=ROOT,
    )
    wall = time.perf_counter() - t
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    if info["rc"] != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({info['rc']}): {info['err'] or info['out']}")
    return {
        "seconds": round(wall, 3),
        "peak_rss_mb": round(info["rss_kb"] / 1024, 1),
        "out": info["out"],
        "cpu_s": round(info["cpu_s"], 2),
    }


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def corpus(name: str, n_reports: int, formats: tuple[str, ...], seed: int = 1) -> Path:
    """A generated corpus of about n_reports reports (agencies x 5 years), cached under bench/work."""
    out = WORK / name
    if (out / "truth.jsonl").exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    years = range(2021, 2026)
    generate(out, n_agencies=max(1, n_reports // len(years)), years=years, seed=seed, formats=formats, workers=2)
    return out


def n_files(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())


def ingest_startup() -> float:
    """Fixed cost of one `xxgk ingest` (interpreter, imports, lake setup, compaction check): an empty folder, median of 3."""
    empty = WORK / "empty"
    empty.mkdir(parents=True, exist_ok=True)
    times = []
    for i in range(3):
        home = WORK / f"home-empty-{i}"
        shutil.rmtree(home, ignore_errors=True)
        times.append(run([*XXGK, "ingest", str(empty), "--home", str(home), "--quiet"])["seconds"])
    return round(statistics.median(times), 3)


def bench_ingest(formats: list[str], n: int) -> list[dict]:
    rows = []
    startup = ingest_startup()
    for fmt in formats:
        c = corpus(f"ingest-{fmt}-{n}", n, (fmt,))
        files = n_files(c / "reports")
        per = {}
        for workers in (1, 2):
            # median of five runs for the fast formats (a run lasts seconds, so noise weighs); one for PDF
            tries = []
            for _ in range(1 if fmt == "pdf" else 5):
                home = WORK / f"home-ingest-{fmt}-{workers}"
                shutil.rmtree(home, ignore_errors=True)
                tries.append(
                    run(
                        [*XXGK, "ingest", str(c / "reports"), "--home", str(home), "--workers", str(workers), "--quiet"]
                    )
                )
            r = sorted(tries, key=lambda t: t["seconds"])[len(tries) // 2]
            r = {**r, "peak_rss_mb": max(t["peak_rss_mb"] for t in tries)}
            per[workers] = r
            rows.append(
                {
                    "format": fmt,
                    "workers": workers,
                    "reports": files,
                    "seconds": r["seconds"],
                    "reports_per_s": round(files / r["seconds"], 1),
                    "startup_s": startup,
                    "net_reports_per_s": round(files / max(1e-9, r["seconds"] - startup), 1),
                    "peak_rss_mb": r["peak_rss_mb"],
                }
            )
        rows[-1]["speedup_2_vs_1"] = round(per[1]["seconds"] / per[2]["seconds"], 2)
        rows[-1]["net_speedup_2_vs_1"] = round((per[1]["seconds"] - startup) / (per[2]["seconds"] - startup), 2)
        if fmt != "pdf":  # the machine's own two-process ceiling for this format, now
            from bench.ceiling import ceiling

            rows[-1]["parse_ceiling"] = ceiling(c)
        print(
            f"ingest {fmt}: {rows[-2]['reports_per_s']}/s with 1 worker, {rows[-1]['reports_per_s']}/s with 2",
            flush=True,
        )
    return rows


def bench_dask(n: int) -> dict:
    """The Dask executor against the local pool: n PDFs and n HTML reports with 2 workers each way (one run
    apiece), then n PDFs on a 1-worker and a 2-worker LocalCluster. Each command's fixed cost (an empty
    folder: interpreter, imports, lake setup, and for Dask the cluster's start) is measured and netted out."""
    pdf, html = corpus(f"ingest-pdf-{n}", n, ("pdf",)) / "reports", corpus(f"ingest-html-{n}", n, ("html",)) / "reports"
    empty = WORK / "empty"
    empty.mkdir(parents=True, exist_ok=True)

    def ingest(name: str, folders: list[Path], *opts: str) -> dict:
        home = WORK / f"home-dask-{name}"
        shutil.rmtree(home, ignore_errors=True)
        r = run([*XXGK, "ingest", *map(str, folders), "--home", str(home), "--quiet", *opts])
        print(f"dask stage, {name}: {r['seconds']} s, {r['cpu_s']} CPU s, load {os.getloadavg()[0]:.1f}", flush=True)
        return {
            "seconds": r["seconds"],
            "cpu_s": r["cpu_s"],
            "peak_rss_mb": r["peak_rss_mb"],
            "load_1min": os.getloadavg()[0],
        }

    dask2, dask1, pool2 = (
        ("--executor", "dask", "--workers", "2"),
        ("--executor", "dask", "--workers", "1"),
        ("--workers", "2"),
    )
    out = {
        "pdf": n_files(pdf),
        "html": n_files(html),
        "startup_pool_s": ingest("empty-pool", [empty], *pool2)["seconds"],
        "startup_dask_s": ingest("empty-dask", [empty], *dask2)["seconds"],
        "mixed_pool2": ingest("mixed-pool2", [pdf, html], *pool2),
        "mixed_dask2": ingest("mixed-dask2", [pdf, html], *dask2),
        "pdf_dask1": ingest("pdf-dask1", [pdf], *dask1),
        "pdf_dask2": ingest("pdf-dask2", [pdf], *dask2),
        "load_average": os.getloadavg(),
    }
    pool, dask = out["mixed_pool2"]["seconds"], out["mixed_dask2"]["seconds"]
    out["dask_vs_pool"] = round(dask / pool, 3)
    out["cpu_dask_vs_pool"] = round(out["mixed_dask2"]["cpu_s"] / out["mixed_pool2"]["cpu_s"], 3)
    out["net_dask_vs_pool"] = round((dask - out["startup_dask_s"]) / (pool - out["startup_pool_s"]), 3)
    one, two = out["pdf_dask1"]["seconds"], out["pdf_dask2"]["seconds"]
    out["speedup_2_vs_1"] = round(one / two, 2)
    out["net_speedup_2_vs_1"] = round((one - out["startup_dask_s"]) / (two - out["startup_dask_s"]), 2)
    return out


def bench_build(sizes: list[int]) -> list[dict]:
    rows = []
    for n in sizes:
        c = corpus(f"build-{n}", n, ("text", "html"))
        home = WORK / f"home-build-{n}"
        shutil.rmtree(home, ignore_errors=True)
        ing = run([*XXGK, "ingest", str(c / "reports"), "--home", str(home), "--workers", "2", "--quiet"])
        bld = run([*XXGK, "build", "--home", str(home)])
        files = n_files(c / "reports")
        rows.append(
            {
                "reports": files,
                "ingest_s": ing["seconds"],
                "build_s": bld["seconds"],
                "total_s": round(ing["seconds"] + bld["seconds"], 1),
                "ingest_peak_rss_mb": ing["peak_rss_mb"],
                "build_peak_rss_mb": bld["peak_rss_mb"],
                "home": str(home),
                "corpus": str(c),
            }
        )
        print(f"full build {files}: ingest {ing['seconds']:.1f}s + dbt {bld['seconds']:.1f}s", flush=True)
    for a, b in zip(rows, rows[1:]):
        b["exponent_vs_previous"] = round(
            math.log(b["total_s"] / a["total_s"]) / math.log(b["reports"] / a["reports"]), 3
        )
    return rows


def bench_refresh(build_row: dict) -> dict:
    """One new report, then one revised report, on the largest warehouse (needs `xxgk refresh`)."""
    home = Path(build_row["home"])
    inbox = home / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    extra = WORK / "refresh-extra"
    shutil.rmtree(extra, ignore_errors=True)
    # an agency-year the warehouse does not hold yet, so the report is added, not a revision
    corpus_dir = Path(build_row.get("corpus") or WORK / Path(build_row["home"]).name.removeprefix("home-"))
    held = {(t.agency, t.year) for t in load_truth(corpus_dir / "truth.jsonl")}
    truth = [
        t
        for t in generate(extra, n_agencies=200, years=range(2025, 2026), seed=99, quirk_rates={})
        if (t.agency, t.year) not in held
    ]
    run([*XXGK, "refresh", "--home", str(home), "--quiet"])  # first refresh: records the build state (a full build)
    new_file = inbox / Path(truth[0].file).name
    shutil.copy(extra / truth[0].file, new_file)
    first = run([*XXGK, "refresh", "--home", str(home)])  # one new report, incremental
    shutil.copy(extra / truth[0].file, new_file)
    with open(new_file, "ab") as f:  # a republished, corrected version
        f.write("\n更正说明：本报告于次年修订。\n".encode())
    revised = run([*XXGK, "refresh", "--home", str(home)])
    return {
        "reports": build_row["reports"],
        "one_new_s": first["seconds"],
        "one_revised_s": revised["seconds"],
        "full_build_s": build_row["total_s"],
        "new_vs_full": round(first["seconds"] / build_row["total_s"], 3),
        "one_new_run": _refresh_summary(first["out"]),
        "one_revised_run": _refresh_summary(revised["out"]),
        "peak_rss_mb": max(first["peak_rss_mb"], revised["peak_rss_mb"]),
    }


def _refresh_summary(out: str) -> str:
    """The summary line of `xxgk refresh` (reports added and revised, build kind), to show what was measured."""
    lines = [line for line in out.splitlines() if line.startswith("refresh ")]
    return lines[-1] if lines else ""


def bench_queries(n_reports: int) -> list[dict]:
    """Example queries on a lake of n_reports reports written directly as Parquet, then built with dbt."""
    home = _query_home(n_reports)
    from warehouse.serve import load_examples

    rows = []
    examples = {name: ex.sql for name, ex in load_examples().items() if name != "tables"}
    for name, sql in examples.items():
        times = [_query_seconds(home, sql) for _ in range(5)]
        rows.append({"query": name, "median_s": round(statistics.median(times), 3), "reports": n_reports})
        print(f"query {name}: median {rows[-1]['median_s']}s", flush=True)
    return rows


def _query_seconds(home: Path, sql: str) -> float:
    import duckdb

    # lake views read paths relative to the home (warehouse/home.py)
    con = duckdb.connect(str(home / "xxgk.duckdb"), read_only=True, config={"file_search_path": str(home)})
    try:
        t = time.perf_counter()
        con.execute(sql).fetchall()
        return time.perf_counter() - t
    finally:
        con.close()


def _query_home(n_reports: int) -> Path:
    """A warehouse of n_reports reports written directly as Parquet, then built with dbt (cached)."""
    home = WORK / f"home-query-{n_reports}"
    if not (home / "xxgk.duckdb").exists():
        shutil.rmtree(home, ignore_errors=True)
        subprocess.run([sys.executable, str(ROOT / "bench" / "synth_lake.py"), str(home), str(n_reports)], check=True)
        run([*XXGK, "build", "--home", str(home)])
    return home


def bench_web(n_reports: int, rounds: int = 40) -> list[dict]:
    """Latency of the explorer's home, agency, report and compare pages over HTTP (`xxgk serve` as a child)."""
    import random
    import socket
    import urllib.request

    import duckdb

    home = _query_home(n_reports)
    con = duckdb.connect(str(home / "xxgk.duckdb"), read_only=True)
    try:
        agencies = [
            a
            for (a,) in con.execute("select agency_id from dim_agency using sample 200 rows (reservoir, 1)").fetchall()
        ]
        reports = [
            r
            for (r,) in con.execute("select report_id from dim_report using sample 200 rows (reservoir, 1)").fetchall()
        ]
        regions = [
            c
            for (c,) in con.execute(
                "select distinct province_code from dim_agency where province_code is not null"
            ).fetchall()
        ]
    finally:
        con.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [*XXGK, "serve", "--home", str(home), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "DO_NOT_TRACK": "1"},
    )
    base, rng = f"http://127.0.0.1:{port}", random.Random(1)
    pages = {
        "home": lambda: "/",
        "agency": lambda: f"/agency/{rng.choice(agencies)}",
        "report": lambda: f"/report/{rng.choice(reports)}",
        "compare": lambda: (
            "/compare?measure=disclosure_rate&"
            + "&".join(f"agency={a}" for a in rng.sample(agencies, min(3, len(agencies))))
            + (f"&region={rng.choice(regions)}" if regions else "")
        ),
    }
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/static/style.css", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("xxgk serve did not start") from None
                time.sleep(0.2)
        rows = []
        for name, url in pages.items():
            urllib.request.urlopen(base + url(), timeout=60).read()  # warm-up
            times = []
            for _ in range(rounds):
                t = time.perf_counter()
                with urllib.request.urlopen(base + url(), timeout=60) as resp:
                    resp.read()
                times.append(time.perf_counter() - t)
            times.sort()
            rows.append(
                {
                    "page": name,
                    "reports": n_reports,
                    "requests": rounds,
                    "median_ms": round(statistics.median(times) * 1000, 1),
                    "p95_ms": round(times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)] * 1000, 1),
                }
            )
            print(f"web {name}: median {rows[-1]['median_ms']} ms, p95 {rows[-1]['p95_ms']} ms", flush=True)
        return rows
    finally:
        server.terminate()
        server.wait(10)


def bench_pandas(n: int) -> dict:
    """Our HTML path against pandas.read_html with a hand mapping of table 三, on the same files."""
    from bench.pandas_baseline import compare

    c = corpus(f"ingest-html-{n}", n, ("html",))
    return compare(c)


def _ocr_pages(pages, ocr) -> dict:
    """CPU and wall seconds per page of reading each (number, page image, its dpi) by OCR, one process, median too."""
    per_page, wall = [], 0.0
    for pno, page, dpi in pages:
        t, w = time.process_time(), time.perf_counter()
        ocr.read_page_image(page, pno, dpi)
        per_page.append(time.process_time() - t)
        wall += time.perf_counter() - w
    n = max(1, len(per_page))
    return {
        "pages": len(per_page),
        "cpu_s_per_page": round(sum(per_page) / n, 2),
        "cpu_s_median_page": round(statistics.median(per_page), 2) if per_page else None,
        "cpu_s_max_page": round(max(per_page), 2) if per_page else None,
        "wall_s_per_page": round(wall / n, 2),
    }


def bench_ocr(n_reports: int) -> dict:
    """OCR CPU seconds per page at 200 dpi, one onnxruntime thread: generated PDF reports scanned (tilted, noisy,
    JPEG'd) read page by page, and the same for the real PDFs in ../shared/corpus/raw where present (scanned as
    tests/test_ocr.py scans them; each page as the PDF reader hands it to OCR). Engine load is timed apart."""
    import numpy as np

    sys.path.insert(0, str(ROOT / "tests"))
    from ingest.readers import ocr
    from scans import degrade, render_pages, scanned_pdf

    t = time.process_time()
    ocr.engine()
    load = time.process_time() - t
    c = corpus(f"ocr-pdf-{n_reports}", n_reports, ("pdf",))

    def generated():
        for f in sorted(c.rglob("*.pdf"))[:n_reports]:
            for i, img in enumerate(render_pages(f.read_bytes(), 200)):
                yield i + 1, np.array(degrade(img, seed=i).convert("RGB")), 200

    out = {"dpi": 200, "threads": ocr.THREADS, "engine_load_cpu_s": round(load, 2), **_ocr_pages(generated(), ocr)}
    raw = sorted((ROOT.parent / "shared" / "corpus" / "raw").glob("*.pdf"))
    if raw:
        import pypdfium2

        def real():
            for f in raw:
                scan = scanned_pdf(f.read_bytes(), 200, seed=7)
                doc = pypdfium2.PdfDocument(scan)
                n = len(doc)
                doc.close()
                for pno in range(1, n + 1):
                    yield pno, *ocr.pdf_page_image(scan, pno)

        out["real"] = {"reports": len(raw), **_ocr_pages(real(), ocr)}
    out["load_average"] = [round(x, 1) for x in os.getloadavg()]
    return out


def write_outputs(result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{result['started'][:10]}.json"  # the run's start date, also past midnight
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    from bench.report import markdown

    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(markdown(result), encoding="utf-8")
    print(f"wrote {path} and {DOC}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes, to check the script")
    ap.add_argument("--only", nargs="*", help="stages: ingest build refresh queries web pandas ocr real dask")
    ap.add_argument(
        "--real-n", type=int, default=None, help="variants per real shape (default 1000; PDF a tenth; --quick: 100)"
    )
    ap.add_argument(
        "--merge",
        action="store_true",
        help="keep the other stages of today's (else the latest) result file (re-run some stages)",
    )
    ap.add_argument(
        "--dask-size", type=int, help="PDFs and HTML reports each in the dask stage (default 1000; 100 quick)"
    )
    args = ap.parse_args()
    stages = set(args.only or ["ingest", "build", "refresh", "queries", "web", "pandas", "ocr", "real", "dask"])
    n_real = args.real_n or (100 if args.quick else 1000)
    n_ingest = 100 if args.quick else 1000
    sizes = [100, 300, 1000] if args.quick else [1000, 10000, 100000]
    n_query = 2000 if args.quick else 1_000_000
    n_web = 2000 if args.quick else 100_000
    WORK.mkdir(parents=True, exist_ok=True)
    result: dict = {"started": datetime.now(UTC).isoformat(), "machine": machine(), "quick": args.quick}
    today = RESULTS / f"{date.today().isoformat()}.json"
    if args.merge and not today.exists() and list(RESULTS.glob("*.json")):
        today = max(RESULTS.glob("*.json"))  # the latest run gains the re-run stages
    if args.merge and today.exists():
        result = json.loads(today.read_text())
        result.setdefault("rerun", []).append(
            {"stages": sorted(stages), "at": datetime.now(UTC).isoformat(), "machine": machine()}
        )
    plan = [
        ("ingest", lambda: bench_ingest(["text", "html", "markdown", "docx", "pdf"], n_ingest)),
        ("build", lambda: bench_build(sizes)),
        ("refresh", lambda: bench_refresh(result["build"][-1])),
        ("queries", lambda: bench_queries(n_query)),
        ("web", lambda: bench_web(n_web)),
        ("pandas", lambda: bench_pandas(n_ingest)),
        ("ocr", lambda: bench_ocr(2 if args.quick else 5)),
        (
            "real",
            lambda: bench_real(WORK, n_real, max(6, n_real // 10), run, XXGK, n_html=n_real if args.quick else None),
        ),
        ("dask", lambda: bench_dask(args.dask_size or n_ingest)),
    ]
    if "refresh" in stages:
        stages.add("build")
    for stage, fn in plan:
        if stage in stages:
            t = time.perf_counter()
            try:
                result[stage] = fn()
            except Exception as exc:  # a failed stage is reported, not hidden; the others still run
                result.setdefault("notes", []).append(f"stage {stage} failed: {exc}")
            result.setdefault("stage_seconds", {})[stage] = round(time.perf_counter() - t, 1)
            write_outputs(result)  # after every stage, so a long run keeps what it measured
    result["finished"] = datetime.now(UTC).isoformat()
    write_outputs(result)


if __name__ == "__main__":
    main()
