# xxgk: every target sets itself up; `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
UV := $(VENV)/bin/uv
PY := $(VENV)/bin/python
XXGK := $(VENV)/bin/xxgk
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup bytecode demo test test-fast lint format bench notebooks clean

setup: $(VENV)/.synced

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(UV): $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv
	@touch $(UV)

# Re-sync only when the lock or the project metadata changed. Bytecode is compiled at install:
# with PYTHONDONTWRITEBYTECODE set, every command (and every dbt run) would compile its imports anew.
$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --quiet --compile-bytecode --python $(VENV)/bin/python
	@touch $@

# The project's own modules compiled too (a stale file is recompiled by Python when its source changes).
bytecode: setup
	@$(PY) -m compileall -q ingest warehouse bench

demo: bytecode
	$(XXGK) demo

test: bytecode
	$(PY) -m pytest -q -n 2 --dist loadfile --durations=15

# The unit tier: everything not marked slow (warehouse builds, dbt, browsers, LibreOffice, OCR, CLI subprocesses).
test-fast: bytecode
	$(PY) -m pytest -q -n 2 --dist loadfile -m "not slow"

# ruff (format check and lint), mypy over ingest/ and warehouse/, import-linter contracts (all in pyproject.toml).
lint: setup
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Build products only. A home (./data, the default one, or any other) is never deleted: it holds the lake.
clean:
	rm -rf $(VENV) target logs dbt_packages .ruff_cache .mypy_cache .import_linter_cache

# Executes notebooks/ against $$XXGK_HOME (default data/demo, made by `make demo`) into <home>/reports.
notebooks: setup
	$(XXGK) notebooks

bench: bytecode
	$(PY) bench/run.py
