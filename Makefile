# examhall: `make run` serves the app, `make test` runs every test. Both set up .venv themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

.PHONY: install
install: $(STAMP) ## create .venv and install examhall with its dev tools

.PHONY: run
run: $(STAMP) ## serve on http://$(HOST):$(PORT) with a SQLite file and the banks loaded
	$(BIN)/examhall db upgrade
	@if $(BIN)/examhall --help | grep -q '^  banks'; then $(BIN)/examhall banks load question_banks; fi
	$(BIN)/examhall serve --host $(HOST) --port $(PORT)

.PHONY: demo
demo: $(STAMP) ## load a demo centre, staff, invigilator, candidates and an open sitting; print sign-ins
	$(BIN)/examhall db upgrade
	$(BIN)/examhall banks load question_banks >/dev/null
	$(BIN)/examhall demo --base-url http://$(HOST):$(PORT)

# One test worker per core (pytest-xdist), each with its own databases; a test file stays on
# one worker, so a module's browser and server fixtures are made once. TEST_JOBS=1 runs serially.
TEST_JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -gt 4 ] && n=4; echo $$n)

.PHONY: test
test: $(STAMP) ## run the whole suite (PostgreSQL and browser tests run when available)
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile $(PYTEST_ARGS)

.PHONY: lint
lint: $(STAMP) ## ruff (format and check) and mypy strict on app/ and tests/
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

.PHONY: format
format: $(STAMP) ## apply ruff's formatting and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

.PHONY: lock
lock: $(STAMP) ## refresh constraints.txt from the installed environment
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

.PHONY: clean
clean: ## remove the virtualenv and local artefacts
	rm -rf $(VENV) test-artifacts .mypy_cache .ruff_cache
