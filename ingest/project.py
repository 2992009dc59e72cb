"""Where the project files live: seeds, the dbt project (dbt_project.yml, profiles.yml, models/, macros/,
tests/dbt/) and notebooks/.

In a checkout they sit at its top level, beside ``ingest/`` and ``warehouse/``. A built wheel carries
them as package data in ``warehouse/_project/`` (pyproject.toml, ``force-include``), so an installed
``xxgk`` reads its own copy wherever it is installed. Every module finds them through here.

Shared with dbt: ``ingest.agency_names`` (run by the dbt model ``int_agency_names``) finds its seeds here.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGES = Path(__file__).resolve().parent.parent  # the checkout, or site-packages when installed
INSTALLED_PROJECT = _PACKAGES / "warehouse" / "_project"


def project_root() -> Path:
    """The folder holding ``dbt_project.yml``, ``seeds/``, ``models/`` and ``notebooks/``."""
    if (INSTALLED_PROJECT / "dbt_project.yml").is_file():
        return INSTALLED_PROJECT
    return _PACKAGES


PROJECT_ROOT = project_root()
SEEDS = PROJECT_ROOT / "seeds"
