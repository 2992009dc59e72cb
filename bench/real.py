"""Real-file stage of `make bench`: variants of each real report in ../shared/corpus/raw, per shape.

Each variant is a distinct report: its agency's place name is swapped for another county of the
divisions seed and every count is multiplied by the variant's factor (sums, the 勾稽 relations, stay
true; years and dates are kept). PDF content streams are compressed and their digits are font glyphs,
so a PDF variant is the original with a distinct trailing comment: same figures, distinct file hash.

Figures: in-process ``parse_report`` ms per report on one core per shape (CPU time, on a sample of the
variants), whole `xxgk ingest` with one and two workers (speed-up, peak RSS) and, net of the command's fixed
cost (the same command on an empty folder), ms per report in wall and CPU time; and ``pandas.read_html``
alone on the same HTML pages. HTML's whole-process figure uses :data:`HTML_WHOLE` variants, so the fixed
start-up does not dominate it.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT.parent / "shared" / "corpus" / "raw"
SHAPES = {".html": "html", ".htm": "html", ".pdf": "pdf", ".txt": "text", ".md": "markdown"}
# a count: digits not inside a longer number, a decimal, a date or a year
HTML_WHOLE = 2000  # HTML variants ingested whole (the in-process figures use a sample of them)
SAMPLE = 200  # variants timed in-process and by pandas
_TEXT = re.compile(r">([^<]*)<")
_COUNT = re.compile(r"(?<![\d.０-９#&])(\d{1,4})(?![\d.０-９]|\s*[年月日号%％])")


def _places() -> list[str]:
    from ingest.synthetic.divisions import load_divisions

    return [d.name for d in load_divisions() if d.level == "county" and len(d.name) >= 2][:2000]


def _agency(data: bytes, name: str) -> str | None:
    from ingest.pipeline import parse_report

    return (parse_report(data, name).report or {}).get("agency_name")


def _rename(agency: str | None, place: str) -> tuple[str, str] | None:
    """(old, new): the agency's place (up to its first 省/市/县/区) replaced by ``place``."""
    if not agency:
        return None
    m = re.match(r"^.{1,6}?[省市县区]", agency)
    return (m.group(0), place) if m else None


def variant(text: str, i: int, rename: tuple[str, str] | None, markup: bool = False) -> str:
    """The ``i``-th variant of a text-like report (i >= 1): counts times ``i + 1``, the place renamed."""
    factor = i + 1

    def scale(m: re.Match) -> str:
        v = int(m.group(1))
        return m.group(1) if 1900 <= v <= 2100 else str(v * factor)

    if markup:  # text between tags only: attributes (colspan, width) and entities keep their digits
        text = _TEXT.sub(lambda m: ">" + _COUNT.sub(scale, m.group(1)) + "<", text)
    else:
        text = _COUNT.sub(scale, text)
    if rename:
        text = text.replace(rename[0], rename[1])
    return text


def make_variants(src: Path, n: int, out: Path) -> list[Path]:
    """``n`` distinct variants of the real report ``src`` under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    data = src.read_bytes()
    paths = []
    if SHAPES[src.suffix.lower()] == "pdf":
        for i in range(n):
            p = out / f"{src.stem}-v{i:05d}{src.suffix}"
            p.write_bytes(data + f"\n%xxgk-bench-variant {i}\n".encode("ascii"))
            paths.append(p)
        return paths
    text = data.decode("utf-8")
    places = _places()
    agency = _agency(data, src.name)
    for i in range(n):
        ren = _rename(agency, places[(i * 7919) % len(places)])
        p = out / f"{src.stem}-v{i:05d}{src.suffix}"
        p.write_text(variant(text, i + 1, ren, markup=SHAPES[src.suffix.lower()] == "html"), encoding="utf-8")
        paths.append(p)
    return paths


def parse_ms(files: list[Path], rounds: int = 3) -> float:
    """Median over ``rounds`` of the in-process ``parse_report`` CPU ms per file (one core, after a warm-up)."""
    from ingest.pipeline import parse_report

    datas = [(f.read_bytes(), f.name) for f in files]
    parse_report(*datas[0])
    times = []
    for _ in range(rounds):
        t = time.process_time()
        for d, name in datas:
            parse_report(d, name)
        times.append(time.process_time() - t)
    return round(1000 * statistics.median(times) / len(datas), 3)


def pandas_ms(files: list[Path], rounds: int = 3) -> float:
    """``pandas.read_html`` alone (every table of the page, no mapping), CPU ms per page, median of rounds."""
    from io import StringIO

    import pandas as pd

    texts = [f.read_text(encoding="utf-8") for f in files]
    pd.read_html(StringIO(texts[0]), flavor="lxml")
    times = []
    for _ in range(rounds):
        t = time.process_time()
        for s in texts:
            pd.read_html(StringIO(s), flavor="lxml")
        times.append(time.process_time() - t)
    return round(1000 * statistics.median(times) / len(texts), 3)


def sample(files: list[Path], n: int = SAMPLE) -> list[Path]:
    """``n`` of the files, spread evenly over them (every source report keeps its share)."""
    step = max(1, len(files) // n)
    return files[::step][:n]


_GROUPS = (
    ("pdfminer/", "pdfminer (content streams, fonts)"),
    ("pdfplumber/", "pdfplumber (objects, tables, text lines)"),
    ("ingest/readers/pdf_geometry.py", "PDFium geometry (characters and paths)"),
    ("pypdfium2/", "pypdfium2"),
    ("ingest/readers/", "xxgk readers"),
    ("ingest/layout.py", "layout mapping"),
    ("ingest/rules.py", "rules"),
    ("ingest/metadata.py", "metadata"),
    ("ingest/", "other xxgk"),
    ("lxml", "lxml"),
)


def profile(files: list[Path], rounds: int = 1) -> dict:
    """Where ``parse_report`` spends its time on these files: own time per area (%) and the top functions."""
    import cProfile
    import pstats

    from ingest.pipeline import parse_report

    datas = [(f.read_bytes(), f.name) for f in files]
    parse_report(*datas[0])
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(rounds):
        for d, name in datas:
            parse_report(d, name)
    prof.disable()
    stats = pstats.Stats(prof).stats
    total = sum(v[2] for v in stats.values()) or 1.0
    groups: dict[str, float] = {}
    for (file, _line, _func), (_cc, _nc, tt, _ct, _callers) in stats.items():
        label = next((lab for key, lab in _GROUPS if key in file), "C built-ins" if file == "~" else "Python library")
        groups[label] = groups.get(label, 0.0) + tt
    top = sorted(stats.items(), key=lambda kv: -kv[1][2])[:8]
    return {
        "areas_pct": {k: round(100 * v / total, 1) for k, v in sorted(groups.items(), key=lambda kv: -kv[1])},
        "top_own_time": [
            {"function": f"{Path(f).name}:{line}({func})" if f != "~" else func, "pct": round(100 * v[2] / total, 1)}
            for (f, line, func), v in top
        ],
    }


def bench_real(
    work: Path, n: int, n_pdf: int, run: Callable[[list[str]], dict], xxgk: list[str], n_html: int | None = None
) -> dict:
    """The real-file stage; ``run`` times a command (wall seconds, CPU seconds and peak RSS of its process
    tree). HTML gets ``n_html`` variants (default :data:`HTML_WHOLE`, at least ``n``)."""
    if not RAW.is_dir():
        return {"skipped": f"{RAW} is not beside the checkout"}
    by_shape: dict[str, list[Path]] = {}
    for src in sorted(RAW.iterdir()):
        shape = SHAPES.get(src.suffix.lower())
        if shape:
            by_shape.setdefault(shape, []).append(src)
    empty = work / "real-empty"
    shutil.rmtree(empty, ignore_errors=True)
    empty.mkdir(parents=True)
    fixed = {}
    for workers in (1, 2):  # the command's fixed cost (start-up, lake set-up): the least of three runs
        tries = []
        for k in range(3):
            home = work / f"home-real-empty-{workers}-{k}"
            shutil.rmtree(home, ignore_errors=True)
            tries.append(run([*xxgk, "ingest", str(empty), "--home", str(home), "--workers", str(workers), "--quiet"]))
        fixed[workers] = {
            "seconds": min(t["seconds"] for t in tries),
            "cpu_s": min(t.get("cpu_s", 0.0) for t in tries),
        }
    rows = []
    for shape, sources in by_shape.items():
        folder = work / f"real-{shape}"
        shutil.rmtree(folder, ignore_errors=True)
        count = n_pdf if shape == "pdf" else max(n, n_html or HTML_WHOLE) if shape == "html" else n
        per = max(1, count // len(sources))
        files = [p for src in sources for p in make_variants(src, per, folder)]
        timed = files if shape == "pdf" else sample(files)
        row = {
            "shape": shape,
            "sources": [s.name for s in sources],
            "reports": len(files),
            "parse_sample": len(timed),
            "parse_ms_per_report": parse_ms(timed, rounds=1 if shape == "pdf" else 3),
        }
        for workers in (1, 2):
            home = work / f"home-real-{shape}-{workers}"
            shutil.rmtree(home, ignore_errors=True)
            r = run([*xxgk, "ingest", str(folder), "--home", str(home), "--workers", str(workers), "--quiet"])
            row[f"ingest_{workers}w_s"] = r["seconds"]
            row[f"ingest_{workers}w_per_s"] = round(len(files) / r["seconds"], 1)
            net = max(r["seconds"] - fixed[workers]["seconds"], 1e-3)
            row[f"ingest_{workers}w_net_ms"] = round(1000 * net / len(files), 3)
            row[f"ingest_{workers}w_net_per_s"] = round(len(files) / net, 1)
            if "cpu_s" in r:  # CPU of every process of the command, per report: the cost per core
                cpu = r["cpu_s"] - fixed[workers].get("cpu_s", 0.0)
                row[f"ingest_{workers}w_net_cpu_ms"] = round(1000 * cpu / len(files), 3)
            row["peak_rss_mb"] = max(row.get("peak_rss_mb", 0), r["peak_rss_mb"])
            row[f"ingest_{workers}w_out"] = r["out"].strip().splitlines()[0] if r["out"].strip() else ""
        row["fixed_s"] = {w: f["seconds"] for w, f in fixed.items()}
        row["speedup_2_vs_1"] = round(row["ingest_1w_s"] / row["ingest_2w_s"], 2)
        row["speedup_2_vs_1_net"] = round(row["ingest_1w_net_ms"] / row["ingest_2w_net_ms"], 2)
        if shape in ("html", "pdf"):
            row["profile"] = profile(files[:1] if shape == "pdf" else timed[:20], rounds=1 if shape == "pdf" else 3)
        if shape == "html":
            row["pandas_read_html_ms"] = pandas_ms(timed)
            row["pandas_ratio_parse"] = round(row["pandas_read_html_ms"] / row["parse_ms_per_report"], 2)
            # the whole command, net of its fixed cost, against read_html alone: both CPU per page where known
            whole = row.get("ingest_1w_net_cpu_ms") or row["ingest_1w_net_ms"]
            row["pandas_ratio_ingest_1w"] = round(row["pandas_read_html_ms"] / whole, 2)
        rows.append(row)
        print(
            f"real {shape}: {row['parse_ms_per_report']} ms per report in-process; ingest "
            f"{row['ingest_1w_per_s']}/s with 1 worker ({row['ingest_1w_net_ms']} ms a report net of the fixed "
            f"{fixed[1]['seconds']} s, {row.get('ingest_1w_net_cpu_ms')} CPU ms), {row['ingest_2w_per_s']}/s with 2",
            flush=True,
        )
    return {"rows": rows, "load_avg_1m": round(os.getloadavg()[0], 2), "cores": os.cpu_count()}
