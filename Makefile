# dnacase quick start:  `make run`  (install, migrate, demo data + its search, serve on http://127.0.0.1:8000)
#                       `make test` (install, lint, the whole suite on SQLite and PostgreSQL)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint bench

$(BIN)/dnacase: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(BIN)/dnacase

run: install
	$(BIN)/dnacase db upgrade
	$(BIN)/dnacase demo
	$(BIN)/dnacase search resume
	$(BIN)/dnacase serve --dev --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests benchmarks

test: install lint
	bash scripts/ensure-services.sh
	$(BIN)/pytest -q -p no:cacheprovider

bench: install
	$(BIN)/python benchmarks/kinship_bench.py --families 2000 --remains 2000 --snp-families 500 --snp-remains 100
