"""The layout of an xxgk home: the one place the names of its folders and files are written.

::

    <home>/inbox/            files waiting to be ingested (`xxgk fetch` downloads here)
    <home>/lake/             the Parquet lake (:mod:`ingest.lake`)
    <home>/quarantine/       copies of rejected files, beside their reasons in the lake
    <home>/.state/           small state files (fetch validators, the inbox manifest)
    <home>/.refresh.lock     the writers' lock (:mod:`warehouse.lock`)
    <home>/xxgk.duckdb       the warehouse; <home>/.build/ the one being built
    <home>/.dbt-target/      dbt's own output; <home>/logs/, <home>/reports/, <home>/docs/
    <home>/synthetic/        generated demo reports (`xxgk demo`)
    <home>/sources.csv       the default sources file of `xxgk fetch` and `xxgk refresh`

Every other module asks a :class:`HomeLayout` (or :class:`warehouse.home.Home`, which adds where
the home is and how DuckDB opens it) for these paths instead of joining names itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Self


@dataclass(frozen=True)
class HomeLayout:
    root: Path

    @classmethod
    def of(cls, home: HomeLayout | str | os.PathLike) -> HomeLayout:
        """``home`` as a layout (a path is taken as the home's root)."""
        return home if isinstance(home, HomeLayout) else HomeLayout(Path(home))

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def state(self) -> Path:
        return self.root / ".state"

    @property
    def lock(self) -> Path:
        return self.root / ".refresh.lock"

    @property
    def db(self) -> Path:
        return self.root / "xxgk.duckdb"

    @property
    def build_dir(self) -> Path:
        return self.root / ".build"

    @property
    def staging_db(self) -> Path:
        """The warehouse being built, swapped over :attr:`db` when its build passed."""
        return self.build_dir / "xxgk.duckdb"

    @property
    def dbt_target(self) -> Path:
        return self.root / ".dbt-target"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def reports(self) -> Path:
        """Rendered notebooks (`xxgk notebooks`)."""
        return self.root / "reports"

    @property
    def docs(self) -> Path:
        """The dbt documentation site (`xxgk docs`)."""
        return self.root / "docs"

    @property
    def synthetic(self) -> Path:
        """Generated demo reports (`xxgk demo`)."""
        return self.root / "synthetic"

    @property
    def sources(self) -> Path:
        return self.root / "sources.csv"

    def ensure(self) -> Self:
        """Create the home and the folders every writer expects."""
        for p in (self.root, self.inbox, self.lake, self.quarantine, self.logs):
            p.mkdir(parents=True, exist_ok=True)
        return self
