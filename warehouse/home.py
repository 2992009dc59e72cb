"""Where xxgk keeps its data: ``--home``, else ``$XXGK_HOME``, else ``./data``.

Nothing inside the warehouse names the home: the lake views read relative
paths (``lake/cells/*/*.parquet``), which DuckDB resolves against the
``file_search_path`` that every connection xxgk makes sets to the home
(:func:`connect_db`; dbt gets it from ``profiles.yml``). So a moved home works
without a rebuild and a copied one reads its own lake. Another tool opening
``xxgk.duckdb`` does the same with ``SET file_search_path = '<home>'`` (or by
starting in the home folder).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ingest.home import HomeLayout
from ingest.project import PROJECT_ROOT  # noqa: F401  (the checkout, or the installed package data)

from .errors import XxgkError


@dataclass(frozen=True)
class Home(HomeLayout):
    """A home: its layout (:class:`ingest.home.HomeLayout`), where it is, and how DuckDB opens it."""

    @classmethod
    def resolve(cls, home: str | os.PathLike | None = None) -> Home:
        return cls(Path(home or os.environ.get("XXGK_HOME") or "data").expanduser().resolve())

    def duckdb_config(self) -> dict:
        """Settings every DuckDB connection on this home starts with (relative lake paths resolve here)."""
        if "," in str(self.root):  # file_search_path is a comma-separated list
            raise XxgkError(f"the home path may not contain a comma: {self.root}")
        return {
            "file_search_path": str(self.root),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }

    def has_reports(self) -> bool:
        """True when the lake holds at least one report file (an empty lake is most likely a mistyped home)."""
        return any(not p.name.startswith("_empty") for p in (self.lake / "reports").rglob("*.parquet"))

    def require(self) -> Home:
        """The home, which must exist already (commands that only read or build never create one)."""
        if not self.root.is_dir():
            raise XxgkError(
                f"no xxgk home at {self.root}; give --home (or set XXGK_HOME), "
                f"or create one with `xxgk ingest` or `xxgk fetch`"
            )
        return self


def connect_db(home: Home, path: str | os.PathLike | None = None, read_only: bool = True, config: dict | None = None):
    """A DuckDB connection to ``path`` (default the home's warehouse) whose relative lake paths resolve in ``home``.

    Every connection xxgk opens on a warehouse goes through here, so the lake views work wherever the home is.
    """
    import duckdb

    return duckdb.connect(str(path or home.db), read_only=read_only, config={**home.duckdb_config(), **(config or {})})
