# Newcomer's entry points: `make run` (install, init, demo, serve) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"

run: install
	$(BIN)/hub init
	$(BIN)/hub demo
	@echo "Serving the hub at http://$(HOST):$(PORT)/"
	$(BIN)/hub serve --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/api.py

clean:
	rm -rf $(VENV) instance .pytest_cache
