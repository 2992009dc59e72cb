"""Read-only web explorer over the warehouse (``xxgk serve``)."""

from .app import create_app, run

__all__ = ["create_app", "run"]
