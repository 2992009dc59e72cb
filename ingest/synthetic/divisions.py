"""Places for synthetic agencies, from ``seeds/admin_divisions.csv``.

Only provinces with prefecture-level cities (市) or autonomous prefectures (州)
that have county-level divisions are used, so every generated agency sits in a
full province → prefecture → county chain. Any file with the seed's columns
works; a small one just yields fewer places.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..project import SEEDS

DIVISIONS_CSV = SEEDS / "admin_divisions.csv"


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str  # province | prefecture | county
    parent_code: str
    province_code: str
    province_name: str
    prefecture_code: str
    prefecture_name: str


@dataclass
class Province:
    division: Division
    prefectures: list[Prefecture] = field(default_factory=list)


@dataclass
class Prefecture:
    division: Division
    counties: list[Division] = field(default_factory=list)


def load_divisions(path: str | Path = DIVISIONS_CSV) -> list[Division]:
    with open(path, encoding="utf-8", newline="") as f:
        return [
            Division(**{k: (r.get(k) or "").strip() for k in Division.__dataclass_fields__}) for r in csv.DictReader(f)
        ]


def _usable_prefecture(d: Division) -> bool:
    return d.name.endswith(("市", "州")) and "直辖" not in d.name


def _usable_county(d: Division) -> bool:
    return d.name.endswith(("区", "县", "市", "旗")) and d.name != "市辖区" and "直辖" not in d.name


def tree(divisions: list[Division]) -> list[Province]:
    """Provinces with their usable prefectures and counties, in code order; provinces without any are left out."""
    provinces = {d.code: Province(d) for d in divisions if d.level == "province"}
    prefectures: dict[str, Prefecture] = {}
    for d in divisions:
        if d.level == "prefecture" and _usable_prefecture(d) and d.province_code in provinces:
            prefectures[d.code] = Prefecture(d)
    for d in divisions:
        pref = prefectures.get(d.prefecture_code or d.parent_code)
        if d.level == "county" and pref is not None and _usable_county(d):
            pref.counties.append(d)
    for pref in sorted(prefectures.values(), key=lambda p: p.division.code):
        if pref.counties:
            provinces[pref.division.province_code].prefectures.append(pref)
    return [p for _, p in sorted(provinces.items()) if p.prefectures]


def county_prefix(divisions: list[Division]) -> dict[str, str]:
    """The name each county-level division is printed with in agency names.

    Districts (区) and county names that occur more than once in the country
    carry their prefecture's name (泰安市岱岳区); other counties and
    county-level cities stand alone (宁阳县, 新泰市), as they do in real reports.
    """
    counts = Counter(d.name for d in divisions if d.level == "county")
    out = {}
    for d in divisions:
        if d.level != "county":
            continue
        bare = not d.name.endswith("区") and counts[d.name] == 1
        out[d.code] = d.name if bare or not d.prefecture_name else d.prefecture_name + d.name
    return out


def pick(
    rng: random.Random, provinces: list[Province], n_provinces: int, n_prefectures: int, n_counties: int
) -> list[tuple[Province, list[tuple[Prefecture, list[Division]]]]]:
    """A random selection: ``n_provinces`` provinces, up to ``n_prefectures`` each, up to ``n_counties`` counties each."""
    chosen = rng.sample(provinces, min(n_provinces, len(provinces)))
    chosen.sort(key=lambda p: p.division.code)
    out = []
    for prov in chosen:
        prefs = sorted(
            rng.sample(prov.prefectures, min(n_prefectures, len(prov.prefectures))), key=lambda p: p.division.code
        )
        out.append(
            (
                prov,
                [
                    (pref, sorted(rng.sample(pref.counties, min(n_counties, len(pref.counties))), key=lambda d: d.code))
                    for pref in prefs
                ],
            )
        )
    return out
