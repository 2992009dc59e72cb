"""Where xxgk keeps its data: ``--home``, else ``$XXGK_HOME``, else ``./data``."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike | None = None) -> "Home":
        return cls(Path(home or os.environ.get("XXGK_HOME") or "data").expanduser().resolve())

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
    def db(self) -> Path:
        return self.root / "xxgk.duckdb"

    @property
    def build_dir(self) -> Path:
        return self.root / ".build"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def ensure(self) -> "Home":
        for p in (self.root, self.inbox, self.lake, self.quarantine, self.logs):
            p.mkdir(parents=True, exist_ok=True)
        return self
