# CBPAR Workspace: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
PO := $(wildcard cbpar/translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run test lint format translations bench loadtest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.run-installed

%.mo: %.po $(VENV)/.run-installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

run: $(VENV)/.run-installed $(MO)
	$(BIN)/cbpar db upgrade
	$(BIN)/cbpar demo --if-empty
	$(BIN)/cbpar run --host 127.0.0.1 --port $(PORT)

test: $(VENV)/.dev-installed $(MO)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# --ignore-dirs: only hidden folders. Babel's default also skips folders starting with "_",
# which silently left templates/_macros (the pager, form errors) untranslated.
translations: $(VENV)/.run-installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 \
		--ignore-dirs '.*' --no-location --sort-output \
		--project cbpar -o cbpar/translations/messages.pot .
	$(BIN)/pybabel update -i cbpar/translations/messages.pot -d cbpar/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d cbpar/translations

bench: $(VENV)/.dev-installed $(MO)
	$(BIN)/python -m tests.bench
	$(BIN)/python -m tests.bench.phone_map  # the map on a slow phone; skipped without Chromium
	$(BIN)/python -m tests.bench.field_sync  # 500 offline records sent; skipped without Chromium
	$(BIN)/python -m tests.bench.qda  # 100,000 codings over 2,000 sources: passages, co-occurrence, .qdpx

# gunicorn (4 workers) + PostgreSQL (or SQLite) + Redis with 50,000 households, driven by
# locust; docs/benchmarks.md. DB=postgresql|sqlite|both, DURATION=seconds per phase.
DB ?= postgresql
DURATION ?= 60
loadtest: $(VENV)/.dev-installed $(MO)
	$(BIN)/python -m tests.load --db $(DB) --duration $(DURATION) $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
