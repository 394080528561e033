# Quick start: `make run` (serve on the embedded SQLite store) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

INCIDENTS ?= 500
SEED ?= 1

.PHONY: run demo test test-postgres check lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/incidentflow serve

demo: $(VENV)/.installed
	$(BIN)/incidentflow demo --incidents $(INCIDENTS) --seed $(SEED)

test: $(VENV)/.installed
	$(BIN)/pytest -q

test-postgres: $(VENV)/.installed
	INCIDENTFLOW_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q

check: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Leaves var/ alone: it holds the embedded event store.
clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
