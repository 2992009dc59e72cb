"""Warehouse: build the DuckDB marts with dbt, swap them in atomically, and serve SQL."""
