"""Synthetic agencies in a realistic hierarchy, with names that resolve to their region.

Each selected province, prefecture and county has its people's government
(人民政府) and the government's general office (办公厅 / 办公室); departments
(教育厅, 公安局, 自然资源和规划局 …) are spread over them, and a few townships
(镇 / 乡 / 街道) sit under counties. Departments are named as each level
names them (省教育厅, 市教育局, 县教育和体育局).

Per agency traits fixed here: the size of its caseload (heavy-tailed by level
and sector), a rename after an institutional reform, a year it skips, whether
it keeps the 2019 row （六）其他处理 after 2021, and whether it ever charges
information-processing fees.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from .divisions import Division, Province, pick

# key, sector, (province, prefecture, county) names (None: no such body at that level), old names before a reform
DEPARTMENTS: list[
    tuple[str, str, tuple[str | None, str | None, str | None], tuple[str | None, str | None, str | None]]
] = [
    ("land", "land", ("自然资源厅", "自然资源和规划局", "自然资源局"), ("国土资源厅", "国土资源局", "国土资源局")),
    (
        "housing",
        "housing",
        ("住房和城乡建设厅", "住房和城乡建设局", "住房和城乡建设局"),
        (None, "住房和城乡建设委员会", None),
    ),
    ("police", "public_security", ("公安厅", "公安局", "公安局"), (None, None, None)),
    ("edu", "social", ("教育厅", "教育局", "教育和体育局"), (None, None, "教育局")),
    ("hrss", "social", ("人力资源和社会保障厅", "人力资源和社会保障局", "人力资源和社会保障局"), (None, None, None)),
    (
        "market",
        "regulatory",
        ("市场监督管理局", "市场监督管理局", "市场监督管理局"),
        ("工商行政管理局", "工商行政管理局", "工商行政管理局"),
    ),
    ("ndrc", "economic", ("发展和改革委员会", "发展和改革委员会", "发展和改革局"), (None, None, "发展和改革委员会")),
    (
        "health",
        "social",
        ("卫生健康委员会", "卫生健康委员会", "卫生健康局"),
        ("卫生和计划生育委员会", "卫生和计划生育委员会", "卫生和计划生育局"),
    ),
    ("env", "regulatory", ("生态环境厅", "生态环境局", None), ("环境保护厅", "环境保护局", None)),
    (
        "approval",
        "approval",
        (None, "行政审批服务局", "行政审批服务局"),
        (None, "政务服务管理办公室", "政务服务管理办公室"),
    ),
    ("transport", "economic", ("交通运输厅", "交通运输局", "交通运输局"), (None, None, None)),
    ("civil", "social", ("民政厅", "民政局", "民政局"), (None, None, None)),
    ("finance", "economic", ("财政厅", "财政局", "财政局"), (None, None, None)),
    ("agri", "economic", ("农业农村厅", "农业农村局", "农业农村局"), ("农业厅", "农业局", "农业局")),
    (
        "emergency",
        "regulatory",
        ("应急管理厅", "应急管理局", "应急管理局"),
        ("安全生产监督管理局", "安全生产监督管理局", "安全生产监督管理局"),
    ),
    ("medical", "social", ("医疗保障局", "医疗保障局", "医疗保障局"), (None, None, None)),
    ("urban", "regulatory", (None, "城市管理局", "综合行政执法局"), (None, "城市管理行政执法局", "城市管理行政执法局")),
    ("water", "economic", ("水利厅", "水利局", "水利局"), (None, None, None)),
    ("justice", "legal", ("司法厅", "司法局", "司法局"), (None, None, None)),
    ("commerce", "economic", ("商务厅", "商务局", "商务局"), (None, None, None)),
    ("veterans", "social", ("退役军人事务厅", "退役军人事务局", "退役军人事务局"), (None, None, None)),
    ("culture", "social", ("文化和旅游厅", "文化和旅游局", "文化和旅游局"), (None, None, None)),
]
LEVELS = ("province", "prefecture", "county")

# Expected new applications a year (2021 level) by sector and level; township bodies are small.
BASE_SCALE = {
    "government": (900, 300, 90),
    "office": (120, 45, 15),
    "land": (220, 90, 35),
    "housing": (120, 60, 25),
    "public_security": (80, 50, 20),
    "social": (30, 15, 6),
    "economic": (25, 12, 5),
    "regulatory": (40, 20, 8),
    "approval": (30, 20, 8),
    "legal": (15, 8, 3),
}
TOWNSHIP_SCALE = 4.0
TOWNSHIPS = [
    "城关镇",
    "太平镇",
    "永安镇",
    "石桥镇",
    "龙泉镇",
    "马庄镇",
    "新兴镇",
    "双河镇",
    "东关街道",
    "西城街道",
    "新华街道",
    "清河街道",
    "青石乡",
    "白马乡",
    "红旗乡",
    "柳林乡",
]


@dataclass
class Agency:
    uid: str
    name: str  # current name (the latest under which it reports)
    level: str  # province | prefecture | county | township
    kind: str  # government | government_office | department (a township's government is a government)
    sector: str  # caseload profile: government, office, township, land, housing, public_security, ...
    parent_uid: str | None
    province_code: str
    province_name: str
    prefecture_code: str
    prefecture_name: str
    county_code: str = ""
    county_name: str = ""
    scale: float = 1.0  # expected new applications a year around 2021
    old_name: str | None = None
    renamed_in: int | None = None  # first year reported under ``name``
    missing_year: int | None = None
    legacy_t3: bool = False  # prints the 2019 row （六）其他处理 after 2021
    charges_fees: bool = False

    def name_in(self, year: int) -> str:
        return self.old_name if self.old_name and self.renamed_in and year < self.renamed_in else self.name


@dataclass
class _Unit:
    level: str
    division: Division
    display: str  # how the place is printed in agency names
    parent: _Unit | None
    province: Division
    prefecture: Division | None


def _units(selection, prefix: dict[str, str]) -> list[_Unit]:
    units = []
    for prov, prefs in selection:
        pu = _Unit("province", prov.division, prov.division.name, None, prov.division, None)
        units.append(pu)
        for pref, counties in prefs:
            fu = _Unit("prefecture", pref.division, pref.division.name, pu, prov.division, pref.division)
            units.append(fu)
            units.extend(
                _Unit("county", c, prefix.get(c.code, c.name), fu, prov.division, pref.division) for c in counties
            )
    return units


def _shape(n: int, n_available: int) -> tuple[int, int, int]:
    """Provinces, prefectures per province and counties per prefecture for about ``n`` agencies (~7 per place)."""
    units = max(3, round(n / 7))
    n_prov = max(1, min(n_available, math.ceil(n / 75)))
    per = units / n_prov
    n_pref = max(1, round((per - 1) / 3))
    n_cty = max(1, round((per - 1 - n_pref) / n_pref))
    return n_prov, n_pref, n_cty


def _agency(
    u: _Unit,
    uid: str,
    name: str,
    kind: str,
    sector: str,
    parent: str | None,
    rng: random.Random,
    level: str | None = None,
    county: Division | None = None,
) -> Agency:
    lvl = level or u.level
    base = TOWNSHIP_SCALE if lvl == "township" else BASE_SCALE[sector][LEVELS.index(lvl)]
    county = county or (u.division if u.level == "county" else None)
    return Agency(
        uid,
        name,
        lvl,
        kind,
        sector,
        parent,
        u.province.code,
        u.province.name,
        u.prefecture.code if u.prefecture else "",
        u.prefecture.name if u.prefecture else "",
        county.code if county else "",
        county.name if county else "",
        scale=base * rng.lognormvariate(0, 0.9),
    )


def build_agencies(rng: random.Random, n: int, provinces: list[Province], prefix: dict[str, str]) -> list[Agency]:
    """``n`` agencies: governments first, then offices and townships, then departments spread over the places."""
    shape = _shape(n, len(provinces))
    units = _units(pick(rng, provinces, *shape), prefix)
    gov = {u.division.code: f"{u.division.code}-gov" for u in units}
    tiers: list[list[Agency]] = [[], [], []]
    for u in units:
        parent = gov[u.parent.division.code] if u.parent else None
        tiers[0].append(
            _agency(u, gov[u.division.code], f"{u.display}人民政府", "government", "government", parent, rng)
        )
        office = "人民政府办公厅" if u.level == "province" else "人民政府办公室"
        tiers[1].append(
            _agency(
                u,
                f"{u.division.code}-office",
                f"{u.display}{office}",
                "government_office",
                "office",
                gov[u.division.code],
                rng,
            )
        )
    counties = [u for u in units if u.level == "county"]
    n_towns = max(1, round(n * 0.03)) if counties else 0
    towns = rng.sample(TOWNSHIPS, min(n_towns, len(TOWNSHIPS)))
    for i, town in enumerate(towns):
        u = counties[i % len(counties)]
        suffix = "街道办事处" if town.endswith("街道") else "人民政府"
        tiers[1].append(
            _agency(
                u,
                f"{u.division.code}-town{i}",
                f"{u.display}{town}{suffix}",
                "government",
                "township",
                gov[u.division.code],
                rng,
                level="township",
            )
        )
    depts_by_unit = []
    for u in units:
        lvl = LEVELS.index(u.level)
        options = [d for d in DEPARTMENTS if d[2][lvl]]
        head, tail = options[:6], options[6:]  # the large departments come first; the rest in random order
        rng.shuffle(tail)
        depts_by_unit.append((u, head + tail))
    for i in range(max(len(d) for _, d in depts_by_unit)):
        for u, depts in depts_by_unit:
            if i < len(depts):
                key, sector, names, old = depts[i]
                lvl = LEVELS.index(u.level)
                a = _agency(
                    u,
                    f"{u.division.code}-{key}",
                    u.display + names[lvl],
                    "department",
                    sector,
                    gov[u.division.code],
                    rng,
                )
                if old[lvl]:
                    a.old_name = u.display + old[lvl]  # the name before a reform; kept only where a rename is drawn
                tiers[2].append(a)
    pool = tiers[0] + tiers[1] + tiers[2]
    if len(pool) < n:
        raise ValueError(f"the administrative divisions allow only {len(pool)} agencies, not {n}")
    return pool[:n]


def draw_traits(rng: random.Random, agencies: list[Agency], years: list[int], rates: dict[str, float]) -> None:
    """Renames, skipped years, the old （六） row and fee charging, each at its rate."""
    for a in agencies:
        new_name = a.name
        if a.level == "township" and a.name.endswith("乡人民政府"):
            a.old_name, new_name = a.name, a.name[: -len("乡人民政府")] + "镇人民政府"  # 乡改镇
        if a.old_name and len(years) >= 2 and rng.random() < rates.get("renamed", 0.0):
            a.name, a.renamed_in = new_name, rng.choice(years[1:])
        else:
            a.old_name = None
        if len(years) >= 3 and rng.random() < rates.get("missing_year", 0.0):
            a.missing_year = rng.choice(years[1:-1])
        a.legacy_t3 = max(years) >= 2021 and rng.random() < rates.get("legacy_t3", 0.0)
        a.charges_fees = rng.random() < (0.25 if a.sector in ("land", "housing", "government") else 0.06)
