# agenthub: two commands a user needs are `make serve` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test lint typecheck install install-dev schema bench clean

$(BIN)/agenthub: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.dev-installed: $(BIN)/agenthub
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(BIN)/agenthub

install-dev: $(VENV)/.dev-installed

serve: install
	$(BIN)/agenthub serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples

typecheck: install-dev
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

# Regenerate src/agenthub/storage/schema.sql (the schema after every migration) after adding a migration.
schema: install
	$(BIN)/python -m agenthub.storage.sqlite_schema

bench: install-dev
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
