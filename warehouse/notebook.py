"""What the notebooks under ``notebooks/`` share: the warehouse, charts with Chinese labels, caveats.

Each query opens a short-lived read-only connection (``serve.connect``) to
``$XXGK_HOME/xxgk.duckdb``, or to the demo home ``data/demo`` of the checkout,
and closes it before returning a pandas DataFrame, so a notebook never holds
the file while ``xxgk build`` swaps in a new warehouse. Charts use Noto Sans
CJK SC, shipped as a file by the PyPI package mplfonts and registered with
matplotlib at run time (nothing is installed into matplotlib itself).
"""
from __future__ import annotations

import math
import os
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

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
    path = home().root / "reports"
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
        return (f"**SYNTHETIC DATA（合成数据）.** {text} Every one was made by xxgk's generator: the charts show "
                "what the notebook computes, not how any real agency behaves.")
    if p["synthetic"]:
        return (f"**Partly synthetic（含合成数据）.** {text} {p['synthetic']:,} of them were made by xxgk's "
                "generator and are mixed into every total below; filter on `is_synthetic` before drawing conclusions.")
    return f"{text} Figures are as the agencies printed them (self-reported), read cell by cell."


def show_note() -> None:
    """Display :func:`data_note` as Markdown in a notebook."""
    from IPython.display import Markdown, display

    display(Markdown(data_note()))


def title(text: str) -> str:
    """A chart title, tagged when the data is synthetic."""
    return f"{text}（{SYNTHETIC_TAG}）" if is_synthetic() else text


LEVELS = {"central": "中央 central", "provincial": "省级 provincial", "prefecture": "地级 prefecture",
          "county": "县级 county", "township": "乡镇 township"}
KINDS = {"government": "人民政府 government", "government_office": "政府办公室 government office",
         "department": "部门 department", "other": "其他 other"}


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
    mpl.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": [name, "DejaVu Sans"],
        "axes.unicode_minus": False,          # the CJK font has no U+2212 minus
        "figure.figsize": (9, 4.8),
        "figure.dpi": 100,
        "figure.constrained_layout.use": True,  # long CJK tick labels never overlap the next panel
        "savefig.dpi": 150,
        "savefig.bbox": "tight",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlepad": 16,                  # room for the layout-change label above the plot
        "axes.grid": True,
        "grid.alpha": 0.3,
        "legend.frameon": False,
    })
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
        ax.annotate("2021 新模板 new layout", xy=(x, 1), xycoords=("data", "axes fraction"), xytext=(0, 2),
                    textcoords="offset points", ha="center", va="bottom", fontsize=8, color="grey")


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
    """Save a figure as ``<home>/reports/<name>.png`` and return the path (the notebook still shows it)."""
    if not re.fullmatch(r"[\w.-]+", name):
        raise ValueError(f"not a file name: {name!r}")
    path = reports_dir() / f"{name}.png"
    fig.savefig(path)
    return path
