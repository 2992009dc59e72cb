"""The dbt documentation site, built offline as one static HTML file in ``<home>/docs/``.

``dbt docs generate --static`` runs against a copy of the warehouse (so the catalog has every
column's type and the warehouse itself is never opened for writing); without a warehouse the site
is built from the project alone (``--empty-catalog``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .build import run_dbt
from .errors import XxgkError
from .home import Home


def build_docs(home: Home) -> Path:
    """Generate the static docs site; return the path of its index.html."""
    home.ensure()
    home.build_dir.mkdir(parents=True, exist_ok=True)
    scratch = home.build_dir / "docs.duckdb"
    scratch.unlink(missing_ok=True)
    args = ["docs", "generate", "--static"]
    if home.db.exists():
        shutil.copyfile(home.db, scratch)
    else:
        args.append("--empty-catalog")
    target = home.dbt_target
    (target / "static_index.html").unlink(missing_ok=True)
    try:
        proc = run_dbt(args, home, scratch)
    finally:
        scratch.unlink(missing_ok=True)
        scratch.with_name(scratch.name + ".wal").unlink(missing_ok=True)
    static = target / "static_index.html"
    if proc.returncode != 0 or not static.exists():
        lines = (proc.stdout + proc.stderr).strip().splitlines()
        raise XxgkError("dbt docs generate failed: " + (lines[-1] if lines else "no output"))
    out = home.docs / "index.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(static, out)
    return out
