"""The alternative a user would reach for: pandas.read_html plus a hand mapping of table 三.

Timed on the same HTML files as our reader, with its fidelity checked against the generator's
truth, so the speed ratio compares like with like.
"""

from __future__ import annotations

import json
import time
from io import StringIO
from pathlib import Path

import pandas as pd

from ingest.pipeline import parse_report
from ingest.template import select

ROWS = [k.key for k in select("2021", "t3", "row")]
COLS = [k.key for k in select("2021", "t3", "column")]


def pandas_t3(html: str) -> dict[str, float | None]:
    """Hand mapping: the table that mentions 自然人; its last 25 rows, last 7 columns, in template order."""
    for df in pd.read_html(StringIO(html), flavor="lxml"):
        if df.astype(str).apply(lambda c: c.str.contains("自然人")).any().any():
            body = df.iloc[-len(ROWS) :, -len(COLS) :].apply(pd.to_numeric, errors="coerce")
            out = {}
            for r, (_, row) in zip(ROWS, body.iterrows()):
                for c, v in zip(COLS, row.tolist()):
                    out[f"t3|{r}|{c}"] = None if pd.isna(v) else float(v)
            return out
    return {}


def ours_t3(data: bytes, name: str) -> dict[str, float | None]:
    """The whole report parsed (every table, metadata, rules), then its table 三 cells picked out of the
    column-wise cells that ingest writes to the lake."""
    c = parse_report(data, name).cell_columns
    return {
        f"t3|{r}|{k}": (None if blank else v)
        for t, r, k, v, blank in zip(c["table_id"], c["row_key"], c["col_key"], c["value"], c["is_blank"])
        if t == "t3"
    }


def compare(corpus: Path) -> dict:
    truth = [json.loads(line) for line in (corpus / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
    truth = [t for t in truth if t["file"].endswith(".html") and t.get("layouts", {}).get("t3", t["layout"]) == "2021"]
    files = [(corpus / t["file"]).read_bytes() for t in truth]
    res = {}
    paths = {"xxgk": lambda b, t: ours_t3(b, t["file"]), "pandas": lambda b, t: pandas_t3(b.decode("utf-8"))}
    for fn in paths.values():  # warm up: imports and first-call costs are not per report
        fn(files[0], truth[0])
    timings: dict[str, list[float]] = {name: [] for name in paths}
    outputs = {}
    for _ in range(3):  # three rounds, the two paths alternating; the median round counts
        for name, fn in paths.items():
            t0 = time.perf_counter()
            outputs[name] = [fn(b, t) for b, t in zip(files, truth)]
            timings[name].append(time.perf_counter() - t0)
    for name in paths:
        outs, secs = outputs[name], sorted(timings[name])[1]
        exact = total = 0
        for out, t in zip(outs, truth):
            for key, v in t["cells"].items():
                if key.startswith("t3|"):
                    total += 1
                    exact += out.get(key, "missing") == v
        res[name] = {
            "reports": len(files),
            "seconds": round(secs, 3),
            "ms_per_report": round(1000 * secs / len(files), 3),
            "t3_exact_pct": round(100 * exact / total, 2) if total else None,
        }
    res["speed_ratio"] = round(res["pandas"]["seconds"] / res["xxgk"]["seconds"], 2)
    return res
