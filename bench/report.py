"""Render a benchmark result (bench/results/<date>.json) as the Markdown table in docs/benchmarks.md."""

from __future__ import annotations

TARGETS = {
    "text_html_per_core": 300,
    "pdf_per_core": 5,
    "two_worker_speedup": 1.7,
    "pandas_ratio": 3.0,
    "ocr_cpu_s_per_page": 2.0,
    "build_100k_s": 600,
    "exponent": 1.1,
    "refresh_new_s": 30,
    "refresh_fraction": 0.10,
    "query_s": 1.0,
    "ingest_rss_mb": 1024,
    "web_median_ms": 300,
    "web_p95_ms": 1000,
    "real_html_ms": 1000 / 300,
    "real_pdf_ms": 100,
    "dask_overhead": 1.15,
}


def _real(real: dict, title: str) -> list[str]:
    """The real-file stage: variants of the reports in ../shared/corpus/raw (bench/real.py)."""
    out = [f"## {title}", ""]
    if real.get("skipped"):
        return out + [f"Skipped: {real['skipped']}.", ""]
    out += [
        "Each shape's real reports, as distinct variants (place renamed, counts scaled; PDF variants differ by a "
        "trailing comment only). *Parse* is in-process `parse_report` CPU time on one core (median of rounds, on a "
        "sample of the variants); *ingest* is the whole `xxgk ingest` command, interpreter start and lake write "
        "included; *net of start-up* subtracts the same command on an empty folder (its wall and CPU seconds)."
        + (
            f" One-minute load average at the end of the stage: {real['load_avg_1m']} on {real['cores']} cores "
            "(other jobs shared the machine: absolute times are inflated by that much)."
            if "load_avg_1m" in real
            else ""
        ),
        "",
        "| shape | sources | reports | parse ms per report (1 core) | ingest 1 worker (/s) | ingest 2 workers (/s) | "
        "speed-up | 1 worker, net of start-up: ms (CPU ms) per report | peak RSS (MB) | target |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in real["rows"]:
        target = {"html": TARGETS["real_html_ms"], "pdf": TARGETS["real_pdf_ms"]}.get(row["shape"])
        verdict = "" if target is None else f"≤ {target:.1f} ms: {_ok(row['parse_ms_per_report'] <= target)}"
        net = row.get("ingest_1w_net_ms")
        if row["shape"] == "html":
            per_s = row.get("ingest_1w_net_per_s", row["ingest_1w_per_s"])
            verdict += f"; whole process net of start-up ≥ 300/s: {_ok(per_s >= 300)}"
        net_cell = "" if net is None else f"{net} ({row.get('ingest_1w_net_cpu_ms', '')})"
        out.append(
            f"| {row['shape']} | {', '.join(row['sources'])} | {row['reports']} | {row['parse_ms_per_report']} | "
            f"{row['ingest_1w_per_s']} | {row['ingest_2w_per_s']} | {row['speedup_2_vs_1']}× | {net_cell} | "
            f"{row['peak_rss_mb']} | {verdict} |"
        )
    if real.get("note"):
        out += ["", f"- {real['note']}."]
    if real.get("ab_cpu_ms"):
        ab = real["ab_cpu_ms"]
        out += [
            "",
            f"Before and after, measured fairly on a shared machine: {ab['how']}",
            "",
            "| shape | variants | before (CPU ms per report) | after | change |",
            "|---|---|---|---|---|",
        ]
        out += [
            f"| {shape} | {v['n']} | {v['before_ms']} | {v['after_ms']} | {round(100 * (v['after_ms'] / v['before_ms'] - 1), 1)}% |"
            for shape, v in ab["shapes"].items()
        ]
        out.append("")
    out += [f"- {n}" for n in real.get("notes", [])]
    for row in real["rows"]:
        prof = row.get("profile")
        if prof:
            areas = ", ".join(f"{k} {v}%" for k, v in prof["areas_pct"].items() if v >= 1)
            top = ", ".join(f"`{t['function']}` {t['pct']}%" for t in prof["top_own_time"][:6])
            out += [
                f"- Profile of `parse_report` on real {row['shape']} (cProfile, own time; compiled lxml code counts "
                f"in its Python caller): {areas}. Top functions: {top}."
            ]
    for row in real["rows"]:
        if "pandas_read_html_ms" in row:
            out += [
                "",
                f"- `pandas.read_html` alone on the same real pages: {row['pandas_read_html_ms']} ms a page; xxgk's whole "
                f"parse is {row['pandas_ratio_parse']}× faster in-process, and the whole `xxgk ingest` (1 worker, "
                f"net of its start-up) {row['pandas_ratio_ingest_1w']}× faster than read_html alone; target ≥ {TARGETS['pandas_ratio']}×: "
                f"{_ok(row['pandas_ratio_ingest_1w'] >= TARGETS['pandas_ratio'])}.",
            ]
    return out + [""]


def _ok(flag: bool) -> str:
    return "met" if flag else "**missed**"


def markdown(r: dict) -> str:
    m = r["machine"]
    out = [
        "# Benchmarks",
        "",
        f"One run of `make bench` ({r['started'][:19]} UTC{', quick sizes' if r.get('quick') else ''}) on "
        f"{m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB memory, Python {m['python']}.",
        "Every figure comes from the real commands on corpora made by the generator; machines here are noisy, "
        "so ratios within one run matter more than absolute times. Raw figures: `bench/results/`.",
        *[
            f"Re-run later (`bench/run.py --merge --only {' '.join(x['stages'])}`): {', '.join(x['stages'])} at "
            f"{x['at'][:19]} UTC"
            + (f" on {x['machine']['cpu']}, {x['machine']['cores']} cores" if x.get("machine") else "")
            + "."
            for x in r.get("rerun", [])
        ],
        "",
    ]
    if "ingest" in r:
        rows = r["ingest"]
        startup = rows[0].get("startup_s")
        out += [
            "## Ingest throughput (reports per second)",
            "",
            "Whole `xxgk ingest` commands (hash, parse, write the lake, compact), the median of five runs "
            "(one for PDF). *Net* subtracts the fixed cost "
            f"of one command, measured on an empty folder ({startup} s: interpreter, imports, lake setup), which "
            "a 1,000-report run of a fast format cannot amortise.",
            "",
            "| format | reports | 1 worker | 2 workers | speed-up | net 1 worker | net 2 workers | net speed-up | peak RSS (MB) | target |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for one, two in zip(rows[::2], rows[1::2]):
            target = (
                TARGETS["pdf_per_core"]
                if one["format"] in ("pdf",)
                else TARGETS["text_html_per_core"]
                if one["format"] in ("text", "html")
                else None
            )
            net1, net2 = (
                one.get("net_reports_per_s", one["reports_per_s"]),
                two.get("net_reports_per_s", two["reports_per_s"]),
            )
            speed = two.get("net_speedup_2_vs_1", two.get("speedup_2_vs_1", 0))
            verdict = (
                "" if target is None else f"{target}/s per core (net): {_ok(net1 >= target)}; "
            ) + f"2 workers ≥ {TARGETS['two_worker_speedup']}× (net): {_ok(speed >= TARGETS['two_worker_speedup'])}"
            out.append(
                f"| {one['format']} | {one['reports']} | {one['reports_per_s']} | {two['reports_per_s']} | "
                f"{two.get('speedup_2_vs_1')}× | {net1} | {net2} | {speed}× | "
                f"{max(one['peak_rss_mb'], two['peak_rss_mb'])} | {verdict} |"
            )
        ceilings = [(two["format"], two["parse_ceiling"]) for two in rows[1::2] if two.get("parse_ceiling")]
        if ceilings:
            out += [
                "",
                "The machine's own ceiling, measured right after each format's runs (`bench/ceiling.py`): the same "
                "files parsed in-process by one process, then split between two processes started together "
                "(no pool, hashing or lake writes); the median of three rounds. No two-worker ingest can beat this ratio "
                "at that moment.",
                "",
                "| format | files | ms per file (1 process) | 2 processes vs 1 |",
                "|---|---|---|---|",
            ]
            out += [f"| {fmt} | {c['files']} | {c['ms_per_file']} | {c['speedup']}× |" for fmt, c in ceilings]
        out.append("")
    if "build" in r:
        out += [
            "## Full build (ingest with 2 workers + dbt build)",
            "",
            "| reports | ingest (s) | dbt build (s) | total (s) | exponent vs previous | ingest peak RSS (MB) | build peak RSS (MB) |",
            "|---|---|---|---|---|---|---|",
        ]
        for b in r["build"]:
            out.append(
                f"| {b['reports']} | {b['ingest_s']} | {b['build_s']} | {b['total_s']} | {b.get('exponent_vs_previous', '')} | "
                f"{b['ingest_peak_rss_mb']} | {b['build_peak_rss_mb']} |"
            )
        last = r["build"][-1]
        exps = [b["exponent_vs_previous"] for b in r["build"] if "exponent_vs_previous" in b]
        out += [
            "",
            f"- Largest build within {TARGETS['build_100k_s']} s: {_ok(last['total_s'] <= TARGETS['build_100k_s'])} ({last['total_s']} s).",
            f"- Scaling exponent ≤ {TARGETS['exponent']}: {_ok(all(e <= TARGETS['exponent'] for e in exps))} "
            f"({', '.join(map(str, exps))}).",
            f"- Ingest peak RSS under {TARGETS['ingest_rss_mb']} MB at every size: "
            f"{_ok(all(b['ingest_peak_rss_mb'] < TARGETS['ingest_rss_mb'] for b in r['build']))}.",
            "",
        ]
    if "refresh" in r:
        f = r["refresh"]
        out += [
            "## Incremental refresh",
            "",
            "| warehouse | one new report (s) | one revised report (s) | full build (s) | new / full |",
            "|---|---|---|---|---|",
            f"| {f['reports']} reports | {f['one_new_s']} | {f['one_revised_s']} | {f['full_build_s']} | {f['new_vs_full']} |",
            "",
            f"- Within {TARGETS['refresh_new_s']} s: {_ok(f['one_new_s'] <= TARGETS['refresh_new_s'])}; "
            f"at most {int(TARGETS['refresh_fraction'] * 100)}% of the full build: {_ok(f['new_vs_full'] <= TARGETS['refresh_fraction'])}.",
        ]
        for key, label in (("one_new_run", "one new report"), ("one_revised_run", "one revised report")):
            if f.get(key):
                out.append(f"- {label}, as `xxgk refresh` reported it: `{f[key]}`")
        if f.get("peak_rss_mb"):
            out.append(f"- Peak RSS of a refresh: {f['peak_rss_mb']} MB.")
        out.append("")
    if "queries" in r:
        out += [
            "## Query latency (median of 5, read-only connection)",
            "",
            "| query | reports | median (s) | within 1 s |",
            "|---|---|---|---|",
        ]
        for q in r["queries"]:
            out.append(
                f"| {q['query']} | {q['reports']} | {q['median_s']} | {_ok(q['median_s'] <= TARGETS['query_s'])} |"
            )
        out.append("")
    if "web" in r:
        out += [
            "## Web explorer latency (`xxgk serve`, over HTTP, one request at a time)",
            "",
            "| page | reports | requests | median (ms) | p95 (ms) | target |",
            "|---|---|---|---|---|---|",
        ]
        for w in r["web"]:
            ok = w["median_ms"] <= TARGETS["web_median_ms"] and w["p95_ms"] <= TARGETS["web_p95_ms"]
            out.append(
                f"| {w['page']} | {w['reports']} | {w['requests']} | {w['median_ms']} | {w['p95_ms']} | "
                f"≤ {TARGETS['web_median_ms']} ms median, ≤ {TARGETS['web_p95_ms']} ms p95: {_ok(ok)} |"
            )
        out.append("")
    if "ocr" in r:
        o = r["ocr"]
        out += [
            "## OCR of scanned pages (docs/ocr.md)",
            "",
            f"- {o['pages']} scanned pages of generated PDF reports at {o['dpi']} dpi, {o['threads']} onnxruntime thread: "
            f"{o['cpu_s_per_page']} CPU s per page ({o['wall_s_per_page']} s wall); target ≤ {TARGETS['ocr_cpu_s_per_page']} s: "
            f"{_ok(o['cpu_s_per_page'] <= TARGETS['ocr_cpu_s_per_page'])}.",
        ]
        if "real" in o:
            q = o["real"]
            out.append(
                f"- {q['pages']} pages of the {q['reports']} real PDFs (../shared/corpus/raw) scanned at {o['dpi']} dpi "
                f"(tilted, noisy, JPEG'd, as tests/test_ocr.py): {q['cpu_s_per_page']} CPU s per page (median "
                f"{q['cpu_s_median_page']}, slowest {q['cpu_s_max_page']}); target ≤ {TARGETS['ocr_cpu_s_per_page']} s: "
                f"{_ok(q['cpu_s_per_page'] <= TARGETS['ocr_cpu_s_per_page'])}."
            )
        if "engine_load_cpu_s" in o:
            out.append(
                f"- engine load (once per worker process): {o['engine_load_cpu_s']} CPU s; "
                f"load average at the end of the stage: {o.get('load_average')}."
            )
        out.append("")
    if "pandas" in r:
        p = r["pandas"]
        out += [
            "## Against pandas.read_html with a hand mapping of table 三",
            "",
            "| path | reports | ms per report | table 三 cells exact |",
            "|---|---|---|---|",
            f"| xxgk (whole report: all tables, metadata, rules) | {p['xxgk']['reports']} | "
            f"{p['xxgk']['ms_per_report']} | {p['xxgk']['t3_exact_pct']}% |",
            f"| pandas.read_html (table 三 only) | {p['pandas']['reports']} | "
            f"{p['pandas']['ms_per_report']} | {p['pandas']['t3_exact_pct']}% |",
            "",
            f"- xxgk is {p['speed_ratio']}× faster; target ≥ {TARGETS['pandas_ratio']}×: "
            f"{_ok(p['speed_ratio'] >= TARGETS['pandas_ratio'])}.",
            "",
        ]
    if "real" in r:
        out += _real(r["real"], "Real reports (variants of ../shared/corpus/raw)")
    if "real_before" in r:
        out += _real(
            r["real_before"], f"Real reports, baseline run before this round ({r['real_before'].get('commit', '')})"
        )
    if "dask" in r:
        d = r["dask"]
        out += [
            "## Ingest on a Dask cluster (`xxgk ingest --executor dask`, docs/scaling.md)",
            "",
            f"{d['pdf']} generated PDFs and {d['html']} HTML reports, one run each; the machine's load average "
            f"during the stage was {', '.join(f'{x:.1f}' for x in d['load_average'])} (1, 5, 15 min) on "
            f"{m['cores']} cores, so these figures are noisy. *Net* subtracts each command's fixed cost on an empty "
            f"folder: {d['startup_pool_s']} s for the pool, {d['startup_dask_s']} s with Dask (a LocalCluster starts).",
            "",
            "| run | what | seconds | CPU seconds (all processes) | cores busy (CPU s / s) | load (1 min) at the end "
            "| peak RSS of the command (MB) |",
            "|---|---|---|---|---|---|---|",
        ]
        for key, run, what in (
            ("mixed_pool2", "local pool, 2 processes", "PDF + HTML"),
            ("mixed_dask2", "Dask LocalCluster, 2 workers", "PDF + HTML"),
            ("pdf_dask1", "Dask LocalCluster, 1 worker", "PDF"),
            ("pdf_dask2", "Dask LocalCluster, 2 workers", "PDF"),
        ):
            x = d[key]
            busy = f"{x['cpu_s'] / x['seconds']:.2f}" if x.get("cpu_s") else ""
            out.append(
                f"| {run} | {what} | {x['seconds']} | {x.get('cpu_s', '')} | {busy} | {x.get('load_1min', 0):.1f} | {x['peak_rss_mb']} |"
            )
        out += [
            "",
            f"- Dask at most {round((TARGETS['dask_overhead'] - 1) * 100)}% slower than the pool: "
            f"{_ok(d['dask_vs_pool'] <= TARGETS['dask_overhead'])} ({d['dask_vs_pool']}× the pool's time; net of start-up "
            f"{d['net_dask_vs_pool']}×; CPU seconds of all processes, the cluster's start and its workers' own imports included: "
            f"{d.get('cpu_dask_vs_pool', '?')}×).",
            f"- 2 workers against 1 on the PDFs ≥ {TARGETS['two_worker_speedup']}×: "
            f"{_ok(d['speedup_2_vs_1'] >= TARGETS['two_worker_speedup'])} ({d['speedup_2_vs_1']}×; net of start-up "
            f"{d['net_speedup_2_vs_1']}×).",
        ]
        two = [
            d[k]["cpu_s"] / d[k]["seconds"] for k in ("mixed_pool2", "mixed_dask2", "pdf_dask2") if d[k].get("cpu_s")
        ]
        if two:
            out.append(
                f"- The runs with two processes kept {min(two):.2f} to {max(two):.2f} cores busy on average (CPU seconds "
                f"over wall seconds): the speed-up of a second worker can only show when a second core is free."
            )
        out.append("")
    if r.get("notes"):
        out += ["## Notes", ""] + [f"- {n}" for n in r["notes"]] + [""]
    return "\n".join(out)
