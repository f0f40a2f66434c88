# Newcomer's entry points: `make run` (install, init, demo, serve) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-postgresql install install-dev lint bench bench-scale clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The partner client (clients/python) is a distribution of its own that the hub uses too.
install: $(BIN)/python
	$(BIN)/pip install --quiet -e clients/python -e .

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e clients/python -e ".[dev]"

run: install
	$(BIN)/hub init
	$(BIN)/hub demo
	@echo "Serving the hub at http://$(HOST):$(PORT)/"
	$(BIN)/hub serve --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Lint, format check and types (settings and the reasons for them: pyproject.toml).
lint: install-dev
	$(BIN)/ruff check hub schemas tests bench
	$(BIN)/ruff format --check hub schemas
	$(BIN)/mypy

# The same suite on a real PostgreSQL server (each test gets its own database), with Redis,
# both started on 127.0.0.1 by .ci/services (installed from Debian's packages when missing).
test-postgresql: install-dev
	eval "$$(.ci/services start)" && $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/api.py

# A million products on SQLite (minutes); PostgreSQL: SCALE_ARGS="--database-url URL"
# (see bench/README.md, "Scale").
bench-scale: install-dev
	$(BIN)/python bench/scale.py $(SCALE_ARGS)

# Console translations: extract the strings, merge them into each .po, compile the .mo
# (both are committed; tests/console/test_i18n.py checks that they agree). No line
# wrapping (long messages stay on one line, as the catalogues are written) and no fuzzy
# matching: a guessed translation of a new message is marked fuzzy, which compile leaves
# out, so the console would show English; new messages stay empty for a translator and
# the i18n test names them.
translations: install-dev
	$(BIN)/pybabel extract -F hub/console/babel.cfg -k _l -k lazy_gettext --no-location --no-wrap \
		-o hub/console/translations/messages.pot hub/console
	$(BIN)/pybabel update -i hub/console/translations/messages.pot -d hub/console/translations \
		--ignore-obsolete --no-fuzzy-matching --no-wrap
	$(BIN)/pybabel compile -d hub/console/translations --statistics

clean:
	rm -rf $(VENV) instance .pytest_cache
