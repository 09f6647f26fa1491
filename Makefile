# apiforge — the two Quick-start commands are `make serve` and `make test`.
#
# Two environments, so that what users run is what the tests prove:
#   .venv      `pip install -e .`, no extras: the server and its validation runtime (`make serve`)
#   .venv-dev  `pip install -e '.[dev]'`: pytest plugins, mypy, ruff, playwright (`make test`)
# The suite starts a server from .venv (APIFORGE_SERVE_PYTHON) to prove validation works there.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEV_VENV := .venv-dev
DEV_BIN := $(DEV_VENV)/bin
# pytest-xdist workers for `make test` (0: one process, in collection order). Four were measured
# on the loaded 2-core machine (README, Development): somewhat faster, but then a CLI's exit
# overran its 5 s bound after SIGTERM and the generated projects' validation setup failed.
TEST_WORKERS ?= 2

.PHONY: serve test lint typecheck check system-deps bench bench-conns bench-generation bench-cluster clean llm llm-install test-llm bench-llm

# A .venv from before the split still holds the dev extras: start it over.
$(VENV)/.serve-installed: pyproject.toml
	@if [ -e $(VENV)/.dev-installed ]; then rm -rf $(VENV); fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(DEV_VENV)/.dev-installed: pyproject.toml
	@test -x $(DEV_BIN)/python || $(PYTHON) -m venv $(DEV_VENV)
	$(DEV_BIN)/python -m pip install -q --upgrade pip
	$(DEV_BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

serve: $(VENV)/.serve-installed
	$(BIN)/apiforge serve

system-deps:
	@bash scripts/install-system-deps.sh

lint: $(DEV_VENV)/.dev-installed
	$(DEV_BIN)/ruff check .
	$(DEV_BIN)/ruff format --check .

typecheck: $(DEV_VENV)/.dev-installed
	$(DEV_BIN)/mypy

# TEST_WORKERS pytest-xdist workers, each taking whole modules (the browser package as one),
# the longest groups first (tests/xdist_groups.py).
# Bytecode is written even where the environment says not to: otherwise every worker and every
# server it starts compiles (and pytest re-rewrites) each module again: seconds per process.
test: $(DEV_VENV)/.dev-installed $(VENV)/.serve-installed system-deps lint typecheck
	env -u PYTHONDONTWRITEBYTECODE APIFORGE_SERVE_PYTHON=$(abspath $(BIN)/python) \
		$(DEV_BIN)/pytest -q -p no:cacheprovider \
		-n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder

bench: $(DEV_VENV)/.dev-installed
	$(DEV_BIN)/python bench/bench_core.py
	$(DEV_BIN)/python bench/bench_peers.py 1 100 1000

# Each takes minutes on the 2-core VM, so they are not in `make bench`: 10,000 idle SSE
# connections on one server (~6 min), and whole generations with the sandbox (~1 min).
bench-conns: $(DEV_VENV)/.dev-installed
	$(DEV_BIN)/python bench/bench_conns.py 10000

bench-generation: $(DEV_VENV)/.dev-installed system-deps
	$(DEV_BIN)/python bench/bench_generation.py 5

# 1-2 API processes x 1-2 workers, validation off and on, on the machine's PostgreSQL (fresh
# databases, dropped after) and Redis (a fresh key prefix, deleted after): ~12 min.
bench-cluster: $(DEV_VENV)/.dev-installed system-deps
	$(DEV_BIN)/python bench/bench_cluster.py 6 30 40

# A real local model (llama.cpp + Qwen2.5-Coder-0.5B), in its own venv under ~/.cache/apiforge:
# nothing of it is needed by `make serve` or `make test`. See docs/providers.md.
llm-install:
	@bash scripts/llm.sh install

llm:
	@bash scripts/llm.sh serve

# The tests marked `llm` (deselected by `make test`): fail, not skip, without a model.
test-llm: $(DEV_VENV)/.dev-installed $(VENV)/.serve-installed system-deps llm-install
	APIFORGE_SERVE_PYTHON=$(abspath $(BIN)/python) $(DEV_BIN)/pytest -q -p no:cacheprovider \
		-m llm tests/llm

bench-llm: $(DEV_VENV)/.dev-installed llm-install
	$(DEV_BIN)/python bench/bench_llm.py

clean:
	rm -rf $(VENV) $(DEV_VENV) data .mypy_cache .ruff_cache .pytest_cache .hypothesis \
		test-artifacts apiforge.egg-info build
