# The two commands in the README: `make run` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench venv chromium clean docker-smoke

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip >/dev/null

venv: $(BIN)/python

# Install the app and serve it on http://127.0.0.1:8000. One process suits one person on a laptop (no router hop);
# `make run WORKERS=2` (or auto: one per CPU) spreads a class's sessions over processes.
WORKERS ?= $(or $(BACKPROP_VIZ_WORKERS),1)
run: venv
	$(BIN)/pip install -e . >/dev/null
	$(BIN)/backprop-viz serve --workers $(WORKERS)

# Install what the tests need (Python extras, Debian's chromium and nodejs) and run lint + every test.
# PyTorch first, pinned: the exact version takes the local CPU wheel (a range would fetch a multi-GB CUDA
# build); the from_torch/to_torch and autograd parity tests need it (they are skipped, saying so, without it).
test: venv
	$(BIN)/pip install torch==2.13.0 >/dev/null
	$(BIN)/pip install -e '.[test]' >/dev/null
	bash scripts/ensure-chromium
	bash scripts/ensure-node
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: venv
	$(BIN)/pip install -e '.[test,bench]' >/dev/null
	$(BIN)/python bench/engine_bench.py

# Build the Docker image and check it for real (installs docker.io and starts an engine when needed; root).
docker-smoke:
	bash scripts/docker-smoke

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
