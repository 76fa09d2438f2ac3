# `make run` and `make test` work from a fresh clone with only Python 3.11 installed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint bench soak schema clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/cms migrate
	$(BIN)/cms seed-demo
	$(BIN)/cms serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check cms schema media tests bench
	$(BIN)/ruff format --check cms schema media tests bench
	$(BIN)/mypy

schema: $(STAMP)
	$(BIN)/cms export-schema > schema/schema.graphql

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# two instances on PostgreSQL and Redis under mixed load for 5 minutes (bench/README.md)
SOAK_DATABASE ?= postgres://postgres@127.0.0.1:5432/postgres
SOAK_REDIS ?= redis://127.0.0.1:6379/14
soak: $(STAMP)
	$(BIN)/python -m bench soak --database $(SOAK_DATABASE) --redis $(SOAK_REDIS) $(SOAK_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
