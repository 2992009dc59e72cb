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
            body = df.iloc[-len(ROWS):, -len(COLS):].apply(pd.to_numeric, errors="coerce")
            out = {}
            for r, (_, row) in zip(ROWS, body.iterrows()):
                for c, v in zip(COLS, row.tolist()):
                    out[f"t3|{r}|{c}"] = None if pd.isna(v) else float(v)
            return out
    return {}


def ours_t3(data: bytes, name: str) -> dict[str, float | None]:
    p = parse_report(data, name)
    return {f"t3|{c['row_key']}|{c['col_key']}": (None if c["is_blank"] else c["value"])
            for c in p.cells if c["table_id"] == "t3"}


def compare(corpus: Path) -> dict:
    truth = [json.loads(line) for line in (corpus / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
    truth = [t for t in truth if t["file"].endswith(".html") and t.get("layouts", {}).get("t3", t["layout"]) == "2021"]
    files = [(corpus / t["file"]).read_bytes() for t in truth]
    res = {}
    for name, fn in (("xxgk", lambda b, t: ours_t3(b, t["file"])), ("pandas", lambda b, t: pandas_t3(b.decode("utf-8")))):
        t0 = time.perf_counter()
        outs = [fn(b, t) for b, t in zip(files, truth)]
        secs = time.perf_counter() - t0
        exact = total = 0
        for out, t in zip(outs, truth):
            for key, v in t["cells"].items():
                if key.startswith("t3|"):
                    total += 1
                    exact += out.get(key, "missing") == v
        res[name] = {"reports": len(files), "seconds": round(secs, 3), "ms_per_report": round(1000 * secs / len(files), 3),
                     "t3_exact_pct": round(100 * exact / total, 2) if total else None}
    res["speed_ratio"] = round(res["pandas"]["seconds"] / res["xxgk"]["seconds"], 2)
    return res
