# Concord: `make run` serves the demo alliance, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/concord_make_test
PORT ?= 8000
# The tests run in two worker processes (pytest-xdist), one per core of the project's machines.
# Each worker takes whole modules, so that a module's database and servers are set up once; the
# scheduler, and the order it hands modules out in, is in tests/conftest.py. On PostgreSQL each
# worker has a test database of its own (pytest-django appends _gw0, _gw1 to its name). The SQLite
# and PostgreSQL runs still follow one another: side by side they took as long (both cores are busy
# either way). PYTEST_WORKERS=0 runs the tests in one process, as plain `pytest` does.
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS)

.PHONY: run test lint test-sqlite test-postgres messages clean

$(BIN)/concord-installed: requirements/base.txt requirements/dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

run: $(BIN)/concord-installed
	$(BIN)/concord demo
	$(BIN)/concord serve --port $(PORT) --with-worker

lint: $(BIN)/concord-installed
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports
	$(BIN)/mypy

# Every test under tests/ (pyproject's testpaths), the browser tests in tests/browser included:
# they drive /usr/bin/chromium and skip themselves when it is missing. The fault tests run on their
# own afterwards, in one process: they kill servers and stop a database against the clock, and
# beside other tests a request can miss its few seconds.
test-sqlite: $(BIN)/concord-installed
	$(PYTEST) --ignore=tests/faults
	$(BIN)/pytest tests/faults

# The browser tests alone; screenshots go to artifacts/browser/.
test-browser: $(BIN)/concord-installed
	$(BIN)/pytest tests/browser

test-postgres: $(BIN)/concord-installed
	CONCORD_DATABASE_URL=$(PG_URL) $(PYTEST) -m "not sqlite_only" tests/integration tests/functional

test: lint test-sqlite test-postgres

# Refresh the French catalogue from the marked strings (needs GNU gettext: developer machines
# only), then compile it with polib. Translate the new entries, run it again, commit .po and .mo.
# The console script, not `python -m`, runs from src/concord: there the folder locale/ would
# shadow the standard library's locale module.
messages: $(BIN)/concord-installed
	cd src/concord && CONCORD_VAR_DIR=$(CURDIR)/var $(CURDIR)/$(BIN)/concord manage makemessages \
		-l fr --ignore "tests/*"
	$(BIN)/python -m concord.locale.compile

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
