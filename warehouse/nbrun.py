"""`xxgk notebooks`: execute ``notebooks/*.ipynb`` against a home into ``<home>/reports/``.

Each notebook runs top to bottom in a fresh kernel with ``XXGK_HOME`` set to the home; the
executed copy is written as HTML (figures inline) beside the PNG files the notebook saves.
The notebooks in the checkout are never modified.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import XxgkError
from .home import PROJECT_ROOT, Home

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
CELL_TIMEOUT_S = 300


@dataclass
class Rendered:
    notebook: Path
    html: Path
    figures: list[Path] = field(default_factory=list)
    error: str | None = None
    executed: object = None  # the executed notebook (nbformat node), outputs included


def notebook_paths(notebooks_dir: Path = NOTEBOOKS_DIR, only: list[str] | None = None) -> list[Path]:
    """The notebooks in run order (by file name), optionally only those whose name contains a given word."""
    paths = sorted(notebooks_dir.glob("[0-9]*.ipynb"))
    if only:
        paths = [p for p in paths if any(o in p.stem for o in only)]
    return paths


def execute(path: Path, home: Home, timeout: int = CELL_TIMEOUT_S):
    """Run one notebook in a fresh kernel against ``home``; return (executed notebook, error or None)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    saved = os.environ.get("XXGK_HOME")
    os.environ["XXGK_HOME"] = str(home.root)  # the kernel inherits the environment
    try:
        client.execute()
        return nb, None
    except CellExecutionError as exc:
        return nb, str(exc)
    finally:
        if saved is None:
            os.environ.pop("XXGK_HOME", None)
        else:
            os.environ["XXGK_HOME"] = saved


def strip(path: Path) -> bool:
    """Clear a notebook's outputs and execution counts in place (notebooks are committed without them);
    return whether it changed."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None):
            cell.outputs, cell.execution_count, changed = [], None, True
    if changed:
        nbformat.write(nb, path)
    return changed


def to_html(nb, out: Path) -> Path:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)
    out.write_text(body, encoding="utf-8")
    return out


def render_all(
    home: Home,
    notebooks_dir: Path = NOTEBOOKS_DIR,
    only: list[str] | None = None,
    timeout: int = CELL_TIMEOUT_S,
    progress=print,
) -> list[Rendered]:
    """Execute every notebook into ``<home>/reports/<name>.html``; a failing notebook is still written
    (up to its failing cell) and its error returned."""
    if not home.db.exists():
        raise XxgkError(f"no warehouse at {home.db}; run `make demo` (or `xxgk build --home {home.root}`) first")
    paths = notebook_paths(notebooks_dir, only)
    if not paths:
        raise XxgkError(f"no notebooks in {notebooks_dir}")
    out_dir = home.reports
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for path in paths:
        before = {p: p.stat().st_mtime_ns for p in out_dir.glob("*.png")}
        nb, error = execute(path, home, timeout)
        html = to_html(nb, out_dir / f"{path.stem}.html")
        figures = sorted(p for p in out_dir.glob("*.png") if before.get(p) != p.stat().st_mtime_ns)
        results.append(Rendered(path, html, figures, error, nb))
        progress(f"{path.name}: {'FAILED' if error else 'ok'} -> {html} ({len(figures)} figures)")
    return results
