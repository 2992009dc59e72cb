"""When a chart may draw a band, a rate or a national title: the thresholds in one place.

Shared by the notebook helpers (``warehouse.notebook``) and the web explorer's SVG charts
(``warehouse.web``), so both say the same about the same data. Pure Python apart from
:func:`coverage`, which reads an open DuckDB connection.
"""

from __future__ import annotations

import csv
import math
from dataclasses import asdict, dataclass

from ingest.project import SEEDS

# A rate k/n is drawn only with a denominator n of at least this; n is printed beside it.
MIN_RATE_N = 10
# A rate is ranked against other agencies or groups only with a denominator of at least this.
MIN_RANK_N = 30
# Agencies in a year (or in all) for the median of their own rates to be drawn as a line.
MIN_MEDIAN_N = 5
# ... for the 25%–75% band, and for the 10%–90% band (each end then rests on two agencies or more).
MIN_BAND_N = 10
MIN_WIDE_BAND_N = 20
# Share of the mainland provincial-level divisions that must hold a report in every year drawn
# for a chart to call its data national (全国).
NATIONAL_SHARE = 0.9
# Provincial-level divisions of the seed that do not publish under the national template.
OUTSIDE_TEMPLATE = frozenset({"710000", "810000", "820000"})
# The coverage grid: at most this many rows (agencies, else provinces) and this figure size (inches).
GRID_MAX_ROWS = 60
MAX_FIGURE_IN = (12.0, 12.0)


def rate_ok(denominator) -> bool:
    """A rate over ``denominator`` trials may be drawn."""
    return denominator is not None and not _nan(denominator) and denominator >= MIN_RATE_N


def bands_for(n: int) -> list[tuple[int, int]]:
    """The percentile bands (low, high) that ``n`` values support, widest first."""
    out = []
    if n >= MIN_WIDE_BAND_N:
        out.append((10, 90))
    if n >= MIN_BAND_N:
        out.append((25, 75))
    return out


def median_ok(n: int) -> bool:
    return n >= MIN_MEDIAN_N


def _nan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


@dataclass(frozen=True)
class Coverage:
    """What a set of current reports covers."""

    reports: int
    agencies: int
    provinces: int  # provincial-level divisions with a report in any year
    provinces_every_year: int  # ... in the year with fewest
    provinces_total: int  # mainland provincial-level divisions (admin_divisions seed)
    years: tuple[int, ...] = ()

    @property
    def national(self) -> bool:
        """Reports from at least :data:`NATIONAL_SHARE` of the provinces, in every year drawn."""
        need = math.ceil(NATIONAL_SHARE * self.provinces_total)
        return self.provinces_total > 0 and self.reports > 0 and self.provinces_every_year >= need

    def label(self) -> str:
        """'全国 national (…)' or what the data is: reports, agencies, provinces."""
        counts = (
            f"{self.reports:,}份年报·{self.agencies:,}个机关·{self.provinces}个省级地区 "
            f"({self.reports:,} reports, {self.agencies:,} agencies in {self.provinces} of "
            f"{self.provinces_total} provinces)"
        )
        return f"全国 national: {counts}" if self.national else counts

    def as_dict(self) -> dict:
        return {**asdict(self), "years": list(self.years), "national": self.national, "label": self.label()}


def scoped_title(text: str, cov: Coverage) -> str:
    """A chart title followed by a line saying what its data covers."""
    return f"{text}\n{cov.label()}"


def mainland_provinces(con=None) -> int:
    """Provincial-level divisions publishing under the national template: from the warehouse's seed
    table when the connection has one, else from the seed file."""
    if con is not None:
        try:
            codes = [r[0] for r in con.execute("select code from admin_divisions where level = 'province'").fetchall()]
            return sum(str(c) not in OUTSIDE_TEMPLATE for c in codes)
        except Exception:  # noqa: BLE001 - a warehouse without the seed: read the file
            pass
    with open(SEEDS / "admin_divisions.csv", encoding="utf-8") as f:
        return sum(r["level"] == "province" and r["code"] not in OUTSIDE_TEMPLATE for r in csv.DictReader(f))


def coverage(con, where: str = "true", years=None) -> Coverage:
    """Coverage of the current reports in ``agency_year`` matching ``where`` (SQL over its columns),
    optionally only in ``years``."""
    cond = where
    if years is not None:
        ys = sorted({int(y) for y in years}) or [-1]
        cond = f"({where}) and report_year in ({', '.join(map(str, ys))})"
    per_year = con.execute(f"""
        select report_year, count(*), count(distinct province_code)
        from agency_year where {cond} group by report_year order by report_year""").fetchall()
    reports, agencies, provinces = con.execute(f"""
        select count(*), count(distinct agency_id), count(distinct province_code)
        from agency_year where {cond}""").fetchone()
    return Coverage(
        int(reports),
        int(agencies),
        int(provinces),
        min((int(p) for _, _, p in per_year), default=0),
        mainland_provinces(con),
        tuple(int(y) for y, _, _ in per_year),
    )
