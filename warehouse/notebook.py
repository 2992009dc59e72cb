"""What the notebooks under ``notebooks/`` share: the warehouse, charts with Chinese labels, caveats.

Each query opens a short-lived read-only connection (``serve.connect``) to
``$XXGK_HOME/xxgk.duckdb``, or to the demo home ``data/demo`` of the checkout,
and closes it before returning a pandas DataFrame, so a notebook never holds
the file while ``xxgk build`` swaps in a new warehouse. Charts use Noto Sans
CJK SC, shipped as a file by the PyPI package mplfonts and registered with
matplotlib at run time (nothing is installed into matplotlib itself).
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from . import chartrules as rules
from .chartrules import MIN_RANK_N, MIN_RATE_N  # noqa: F401  (the notebooks read them as nb.MIN_RATE_N)
from .home import PROJECT_ROOT, Home
from .serve import connect

DEMO_HOME = (PROJECT_ROOT if PROJECT_ROOT.joinpath(".git").exists() else Path.cwd()) / "data" / "demo"
CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
LAYOUT_CHANGE_YEAR = 2021
SYNTHETIC_TAG = "合成数据 synthetic"


def home() -> Home:
    """``$XXGK_HOME``, else the demo home of this checkout."""
    return Home.resolve(os.environ.get("XXGK_HOME") or DEMO_HOME)


def sql(query: str, params: dict | list | None = None) -> pd.DataFrame:
    """Run one read-only query against the warehouse and return its rows as a DataFrame."""
    with connect(home()) as con:
        return con.execute(query, params).df() if params else con.execute(query).df()


def reports_dir() -> Path:
    """``<home>/reports``: where ``make notebooks`` writes HTML and the charts are saved as PNG."""
    path = home().reports
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- data caveats ---------------------------------------------------------------------------------


def provenance() -> dict:
    """Current reports, how many are synthetic, the years and agencies covered."""
    row = sql("""
        select count(*) as reports, count(*) filter (where is_synthetic) as synthetic,
               count(distinct agency_id) as agencies, min(report_year) as first_year, max(report_year) as last_year
        from dim_report where is_current""").iloc[0]
    return {k: (None if pd.isna(v) else int(v)) for k, v in row.items()}


def is_synthetic() -> bool:
    """Any current report in the warehouse is synthetic."""
    return (provenance()["synthetic"] or 0) > 0


def data_note() -> str:
    """One Markdown paragraph: what the warehouse holds and whether it is synthetic."""
    p = provenance()
    if not p["reports"]:
        return "**The warehouse holds no current reports**: every chart below is empty."
    span = f"{p['first_year']}–{p['last_year']}" if p["first_year"] != p["last_year"] else f"{p['first_year']}"
    text = f"The warehouse at `{home().root}` holds {p['reports']:,} current reports of {p['agencies']:,} agencies, {span}."
    if p["synthetic"] == p["reports"]:
        return (
            f"**SYNTHETIC DATA（合成数据）.** {text} Every one was made by xxgk's generator: the charts show "
            "what the notebook computes, not how any real agency behaves."
        )
    if p["synthetic"]:
        return (
            f"**Partly synthetic（含合成数据）.** {text} {p['synthetic']:,} of them were made by xxgk's "
            "generator and are mixed into every total below; filter on `is_synthetic` before drawing conclusions."
        )
    return f"{text} Figures are as the agencies printed them (self-reported), read cell by cell."


def show_note() -> None:
    """Display :func:`data_note` as Markdown in a notebook."""
    from IPython.display import Markdown, display

    display(Markdown(data_note()))


def title(text: str) -> str:
    """A chart title, tagged when the data is synthetic."""
    return f"{text}（{SYNTHETIC_TAG}）" if is_synthetic() else text


def coverage(where: str = "true", years=None) -> rules.Coverage:
    """What the current reports cover (:func:`warehouse.chartrules.coverage`): national or not."""
    with connect(home()) as con:
        return rules.coverage(con, where, years)


def set_title(ax, text: str, years=None) -> rules.Coverage:
    """Title an axes with ``text``, a line saying what the data covers ('全国' only when it is national)
    and the synthetic tag; the coverage is recorded with the figure."""
    cov = coverage(years=years)
    ax.set_title(title(rules.scoped_title(text, cov)))
    record(ax.figure, coverage=cov.as_dict())
    return cov


# --- what each figure drew, saved beside its PNG -------------------------------------------------------

_FIGURES: dict[int, dict] = {}


def record(fig, **facts) -> dict:
    """Note facts about what a figure drew; lists are extended, other values replaced."""
    meta = _FIGURES.setdefault(id(fig), {})
    for k, v in facts.items():
        if isinstance(v, list):
            meta.setdefault(k, []).extend(v)
        else:
            meta[k] = v
    return meta


def draw_spread(ax, values: pd.DataFrame, x: str = "report_year", y: str = "rate", color: str = "C0") -> list[dict]:
    """Agencies' own rates per year: percentile bands and a median only where enough agencies support them
    (:func:`warehouse.chartrules.bands_for`), the single values as dots elsewhere, ``n`` under every year."""
    import numpy as np

    per: list[dict[str, Any]] = []
    for xv, g in values.groupby(x):
        v = g[y].dropna().to_numpy()
        per.append(
            {
                "year": int(xv),
                "n": len(v),
                "bands": [f"{lo}-{hi}" for lo, hi in rules.bands_for(len(v))],
                "median": rules.median_ok(len(v)),
                **{f"p{q}": float(np.percentile(v, q)) if len(v) else math.nan for q in (10, 25, 50, 75, 90)},
            }
        )
    if not per:
        return []
    xs = np.array([p["year"] for p in per], dtype=float)
    for (lo, hi), alpha in [((10, 90), 0.15), ((25, 75), 0.3)]:
        ok = np.array([f"{lo}-{hi}" in p["bands"] for p in per])
        if ok.any():
            ax.fill_between(
                xs,
                [p[f"p{lo}"] for p in per],
                [p[f"p{hi}"] for p in per],
                where=ok,
                color=color,
                alpha=alpha,
                label=f"{lo}%–{hi}% 的机构 of agencies (n≥{rules.MIN_WIDE_BAND_N if lo == 10 else rules.MIN_BAND_N})",
            )
            for xi in xs[ok & ~np.r_[False, ok[:-1]] & ~np.r_[ok[1:], False]]:  # a lone year: a bar, not a sliver
                p = per[list(xs).index(xi)]
                ax.plot([xi, xi], [p[f"p{lo}"], p[f"p{hi}"]], color=color, alpha=alpha + 0.2, lw=6)
    med = np.array([p["median"] for p in per])
    if med.any():
        ax.plot(
            xs,
            np.where(med, [p["p50"] for p in per], np.nan),
            color=color,
            marker="o",
            label=f"中位机构 median agency (n≥{rules.MIN_MEDIAN_N})",
        )
    few = values[values[x].isin(xs[~med])]
    if not few.empty:
        ax.scatter(
            few[x],
            few[y],
            s=16,
            color=color,
            alpha=0.7,
            marker="x",
            label=f"单个机构 single agencies (n<{rules.MIN_MEDIAN_N}: no median, no band)",
        )
    for p in per:
        ax.annotate(
            f"n={p['n']}",
            (p["year"], 0),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            fontsize=8,
            color="grey",
        )
    record(ax.figure, bands=[{k: p[k] for k in ("year", "n", "bands", "median")} for p in per])
    return per


OFFSETS = [
    (4, 4),
    (4, -12),
    (-4, 4),
    (-4, -12),
    (0, 14),
    (0, -20),
    (10, 14),
    (-10, -20),
    (14, 0),
    (-14, 0),
    (18, 24),
    (-18, 24),
    (18, -30),
    (-18, -30),
]


def place_labels(ax, items, fontsize: float = 7) -> dict:
    """Label points without overlaps: each (x, y, text), in priority order, takes the first offset whose box
    meets no label placed before it, stays inside the axes and, where it can, covers no plotted point; a
    label with no free place is left out (and counted). Returns and records {'placed', 'left_out', 'overlaps'}."""
    from matplotlib.transforms import Bbox

    fig = ax.figure
    fig.canvas.draw()  # settle the layout, so display positions are final
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    points = [xy for c in ax.collections for xy in c.get_offset_transform().transform(c.get_offsets())]
    marks = [Bbox.from_extents(px - 3, py - 3, px + 3, py + 3) for px, py in points]
    boxes: list[Bbox] = []
    placed, left_out = 0, []
    for x, y, text in items:
        # first a place clear of labels and points, else one clear of labels only
        spots = [(dx, dy, strict) for strict in (True, False) for dx, dy in OFFSETS]
        for dx, dy, strict in spots:
            ann = ax.annotate(
                text,
                (x, y),
                xytext=(dx, dy),
                textcoords="offset points",
                fontsize=fontsize,
                ha="left" if dx >= 0 else "right",
                va="bottom" if dy >= 0 else "top",
                arrowprops={"arrowstyle": "-", "color": "grey", "lw": 0.5} if abs(dx) + abs(dy) > 16 else None,
            )
            ann.set_in_layout(False)
            box = ann.get_window_extent(renderer)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if (
                inside
                and not any(box.overlaps(b) for b in boxes)
                and not (strict and any(box.overlaps(m) for m in marks))
            ):
                boxes.append(box)
                placed += 1
                break
            ann.remove()
        else:
            left_out.append(text)
    overlaps = int(sum(bool(a.overlaps(b)) for i, a in enumerate(boxes) for b in boxes[i + 1 :]))
    return record(fig, labels={"placed": placed, "left_out": left_out, "overlaps": overlaps})["labels"]


def png_size(path: Path) -> tuple[int, int]:
    """Width and height in pixels of a PNG file."""
    head = Path(path).read_bytes()[:24]
    return struct.unpack(">II", head[16:24])


LEVELS = {
    "central": "中央 central",
    "provincial": "省级 provincial",
    "prefecture": "地级 prefecture",
    "county": "县级 county",
    "township": "乡镇 township",
}
KINDS = {
    "government": "人民政府 government",
    "government_office": "政府办公室 government office",
    "department": "部门 department",
    "other": "其他 other",
}


def label(value, names: dict) -> str:
    """A level or kind in Chinese and English; unknown (unresolved) as such."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "未解析 unresolved"
    return names.get(value, str(value))


def change(a, b) -> str:
    """Relative change from a to b as '+12%', or 'n/a' when a is 0 or unknown."""
    if a is None or b is None or pd.isna(a) or pd.isna(b) or a == 0:
        return "n/a"
    return f"{b / a - 1:+.0%}"


# --- statistics -----------------------------------------------------------------------------------


def wilson(k, n, z: float = 1.96):
    """Wilson score interval of the proportion k/n, element-wise; NaN where n is 0 or unknown."""
    k = pd.Series(k, dtype="float64").reset_index(drop=True)
    n = pd.Series(n, dtype="float64").reset_index(drop=True)
    ok = n > 0
    p = (k / n.where(ok)).clip(0, 1)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / denom
    return (centre - half).where(ok).to_numpy(), (centre + half).where(ok).to_numpy()


def error_bars(rate, lo, hi):
    """[below, above] distances from a rate to its interval, as matplotlib's xerr/yerr want them."""
    rate = pd.Series(rate, dtype="float64").to_numpy()
    return [(rate - lo).clip(0), (hi - rate).clip(0)]


def funnel(p: float, n, z: float):
    """Control limits p ± z·sqrt(p(1-p)/n) of a rate over n trials, clipped to [0, 1]."""
    n = pd.Series(n, dtype="float64")
    half = z * (p * (1 - p) / n) ** 0.5
    return (p - half).clip(0, 1).to_numpy(), (p + half).clip(0, 1).to_numpy()


def pooled(df: pd.DataFrame, num: str, den: str) -> float:
    """Sum of numerators over sum of denominators, NaN when the denominator is 0."""
    d = df[den].fillna(0).sum()
    return float(df[num].fillna(0).sum() / d) if d else math.nan


# --- charts ---------------------------------------------------------------------------------------


def cjk_font_path() -> Path:
    """The Noto Sans CJK SC file shipped by mplfonts."""
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / CJK_FONT_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; run `make setup`")
    return path


@lru_cache(maxsize=1)
def _register_cjk_font() -> str:
    from matplotlib import font_manager

    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def setup_charts() -> str:
    """Register the CJK font with matplotlib, make it the default and return its family name."""
    import matplotlib as mpl

    name = _register_cjk_font()
    mpl.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [name, "DejaVu Sans"],
            "axes.unicode_minus": False,  # the CJK font has no U+2212 minus
            "figure.figsize": (9, 4.8),
            "figure.dpi": 100,
            "figure.constrained_layout.use": True,  # long CJK tick labels never overlap the next panel
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlepad": 16,  # room for the layout-change label above the plot
            "axes.grid": True,
            "grid.alpha": 0.3,
            "legend.frameon": False,
        }
    )
    return name


def missing_glyphs(text: str, font_path: str | Path | None = None) -> set[str]:
    """Characters of ``text`` (other than whitespace) that the font has no glyph for."""
    from matplotlib.ft2font import FT2Font

    font = FT2Font(str(font_path or cjk_font_path()))
    return {ch for ch in set(text) if not ch.isspace() and font.get_char_index(ord(ch)) == 0}


def mark_layout_change(ax, label: bool = True) -> None:
    """A dashed line between 2020 and 2021, where the national template changed."""
    lo, hi = ax.get_xlim()
    x = LAYOUT_CHANGE_YEAR - 0.5
    if not lo <= x <= hi:
        return
    ax.axvline(x, color="grey", linestyle="--", linewidth=1, zorder=0)
    if label:
        ax.annotate(
            "2021 新模板 new layout",
            xy=(x, 1),
            xycoords=("data", "axes fraction"),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
            color="grey",
        )


def year_axis(ax, years) -> None:
    """Integer year ticks, with room either side, and the layout change marked."""
    years = sorted({int(y) for y in years})
    if years:
        ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)
        ax.set_xticks(years)
    mark_layout_change(ax)


def percent_axis(ax, axis: str = "y") -> None:
    """Show a 0–1 axis as percentages."""
    from matplotlib.ticker import PercentFormatter

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(PercentFormatter(1.0, decimals=0))


def empty(ax, message: str = "无数据 no data") -> None:
    """Say on the chart that there is nothing to draw."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="grey")


def save(fig, name: str) -> Path:
    """Save a figure as ``<home>/reports/<name>.png`` and return the path (the notebook still shows it);
    what it drew (:func:`record`, its titles and texts, its size) goes to ``<name>.json`` beside it."""
    if not re.fullmatch(r"[\w.-]+", name):
        raise ValueError(f"not a file name: {name!r}")
    path = reports_dir() / f"{name}.png"
    fig.savefig(path)
    meta = {
        **_FIGURES.pop(id(fig), {}),
        "name": name,
        "size_px": list(png_size(path)),
        "titles": [a.get_title() for a in fig.axes if a.get_title()],
        "texts": sorted({t.get_text() for t in fig.findobj(_text_class()) if t.get_text().strip()}),
    }
    path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return path


def _text_class():
    from matplotlib.text import Text

    return Text


def figure_meta(name: str) -> dict:
    """What :func:`save` recorded for the figure ``name`` (its coverage, bands, labels, texts, size)."""
    return json.loads((reports_dir() / f"{name}.json").read_text(encoding="utf-8"))


def capped(width: float, height: float) -> tuple[float, float]:
    """A figure size in inches within :data:`warehouse.chartrules.MAX_FIGURE_IN`."""
    mw, mh = rules.MAX_FIGURE_IN
    return min(max(width, 4.0), mw), min(max(height, 3.0), mh)
