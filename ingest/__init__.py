"""Ingest: report files to a Parquet lake, cell by cell, with provenance and findings."""

__version__ = "0.1.0"
