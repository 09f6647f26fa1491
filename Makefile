# apiforge — the two Quick-start commands are `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test lint typecheck check system-deps bench clean

$(BIN)/apiforge: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(VENV)/.dev-installed: pyproject.toml $(BIN)/apiforge
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

serve: $(BIN)/apiforge
	$(BIN)/apiforge serve

system-deps:
	@bash scripts/install-system-deps.sh

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

test: $(VENV)/.dev-installed system-deps lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/bench_core.py

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache
