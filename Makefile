# agenthub: two commands a user needs are `make serve` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test soak lint typecheck install install-dev schema bench clean dashboard openapi frontend-check

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

test: lint typecheck frontend-check
	$(BIN)/pytest

# The long reliability runs: the message crash loop with its history checker (CYCLES kills), the load
# scenario, then tasks and shared memory under crashes.
CYCLES ?= 50
soak: install-dev
	$(BIN)/python -m tests.reliability.crashloop --cycles $(CYCLES)
	$(BIN)/python -m tests.reliability.load --agents 1000 --seconds 60
	$(BIN)/python -m tests.reliability.taskloop --tasks 200 --cycles 10
	$(BIN)/python -m tests.reliability.casloop --increments 300 --cycles 10

# The web dashboard (frontend/, React + TypeScript). Its built bundle is committed in src/agenthub/dashboard/,
# so running the hub needs no Node.js; these targets do.
FRONTEND := frontend
DASHBOARD := src/agenthub/dashboard

$(FRONTEND)/node_modules/.package-lock.json: $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && npm ci --no-audit --no-fund
	@touch $@

# The OpenAPI schema the TypeScript client is generated from.
openapi: install
	$(BIN)/python -m agenthub.server.openapi_dump $(FRONTEND)/openapi.json
	cd $(FRONTEND) && npm run --silent gen:api

dashboard: $(FRONTEND)/node_modules/.package-lock.json
	cd $(FRONTEND) && npm run --silent build
	rm -rf $(DASHBOARD)/assets $(DASHBOARD)/index.html
	mkdir -p $(DASHBOARD)
	cp -R $(FRONTEND)/dist/. $(DASHBOARD)/

# Lint, type check, and check that the committed bundle is what the source builds to.
frontend-check: $(FRONTEND)/node_modules/.package-lock.json
	cd $(FRONTEND) && npm run --silent lint && npm run --silent typecheck
	cd $(FRONTEND) && npx vite build --logLevel error --outDir dist-check --emptyOutDir
	@diff -r $(FRONTEND)/dist-check $(DASHBOARD) >/dev/null || { rm -rf $(FRONTEND)/dist-check; \
		echo "src/agenthub/dashboard/ is not what frontend/ builds to: run 'make dashboard' and commit it"; exit 1; }
	@rm -rf $(FRONTEND)/dist-check

# Regenerate src/agenthub/storage/schema.sql (the schema after every migration) after adding a migration.
schema: install
	$(BIN)/python -m agenthub.storage.sqlite_schema

bench: install-dev
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(FRONTEND)/node_modules $(FRONTEND)/dist
