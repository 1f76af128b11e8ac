# One command to run, one to test. Everything else is a helper for those two.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install lint unit evals bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## run: install, build the knowledge index from knowledge/, serve the API on 127.0.0.1:8000
run: $(STAMP)
	$(BIN)/replydraft kb refresh
	REPLYDRAFT_AUTH_DISABLED=true $(BIN)/replydraft serve --host 127.0.0.1 --port 8000

## test: lint, unit and integration tests, then the offline eval suites with their thresholds
test: $(STAMP) lint unit evals

lint: $(STAMP)
	$(BIN)/ruff check service tests benchmarks
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

evals: $(STAMP)
	$(BIN)/replydraft eval run --min-pass 0.95

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
