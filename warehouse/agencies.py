"""Agency names the warehouse could not place in a region, for `xxgk check`."""
from __future__ import annotations

from .home import Home
from .serve import query, render

UNRESOLVED_SQL = """
select agency_id, agency_name, first_year, last_year, unresolved_reason
from dim_agency where unresolved
order by agency_name nulls last, agency_id
"""


def unresolved_agencies(home: Home) -> tuple[list[str], list[tuple]]:
    """(columns, rows) of dim_agency's unresolved agencies."""
    cols, rows, _ = query(home, UNRESOLVED_SQL, row_limit=100_000)
    return cols, rows


def unresolved_section(home: Home, fmt: str = "table") -> str:
    """The unresolved-agencies part of the check report."""
    cols, rows = unresolved_agencies(home)
    head = f"Unresolved agency names: {len(rows)}\n"
    if not rows:
        return head
    return head + render(cols, rows, fmt)
