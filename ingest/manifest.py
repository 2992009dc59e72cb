"""What the inbox held at the last refresh: path -> size, mtime and sha256.

A file whose size and modification time are unchanged costs one ``stat``; a
file that was touched but holds the same bytes costs one hash; only new and
changed files go on to be ingested (and even those are parsed only when their
content is not already in the lake). The manifest is written atomically after
the lake batch is committed, so a crash between the two only means hashing
those files once more next time.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .batch import file_hash, path_text


@dataclass
class Scan:
    new: list[Path] = field(default_factory=list)
    changed: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    hashed: int = 0
    entries: dict[str, dict] = field(default_factory=dict)  # the manifest after this scan

    @property
    def todo(self) -> list[Path]:
        return self.new + self.changed


class Manifest:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.entries: dict[str, dict] = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            self.entries = {}

    def scan(self, files: list[Path]) -> Scan:
        """Sort files into new, changed and unchanged; nothing is written.

        A file that cannot be examined counts as new and stays out of the manifest: the ingest rejects it
        with its reason, and it is looked at again next time."""
        scan = Scan()
        for f in files:
            key = path_text(os.path.realpath(f))
            old = self.entries.get(key)
            try:
                st = os.stat(f)
                if old and old["size"] == st.st_size and old["mtime_ns"] == st.st_mtime_ns:
                    scan.unchanged.append(f)
                    scan.entries[key] = old
                    continue
                sha = file_hash(f, st.st_size)
            except OSError:
                scan.new.append(f)
                continue
            scan.hashed += 1
            scan.entries[key] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha}
            if old is None:
                scan.new.append(f)
            elif old["sha256"] == sha:
                scan.unchanged.append(f)
            else:
                scan.changed.append(f)
        scan.removed = sorted(set(self.entries) - set(scan.entries))
        return scan

    def commit(self, scan: Scan) -> None:
        self.entries = scan.entries
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.entries, ensure_ascii=False, sort_keys=True))
        os.replace(tmp, self.path)
