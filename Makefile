# Two commands do all set-up: `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# First Python >= 3.12 found: the .python-version pin via pyenv, then python3.13, python3.12.
PYTHON_BOOT := $(shell for p in python3.12 python3.13 python3.14 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null && { echo $$p; break; }; done)

.PHONY: run test venv deps deps-dev lint format migrate bench clean check-python worker system

check-python:
	@if [ -z "$(PYTHON_BOOT)" ]; then \
		echo "ERROR: Intelipro needs Python 3.12 or newer (python3.12 / python3.13 on PATH). Install it and retry." >&2; \
		exit 1; fi

$(PY): | check-python
	$(PYTHON_BOOT) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.deps-base: requirements/base.txt requirements/production.txt requirements/local.txt | $(PY)
	$(PIP) install --quiet -r requirements/local.txt
	@touch $(VENV)/.deps-base $(VENV)/.deps-dev

$(VENV)/.deps-dev: requirements/base.txt requirements/production.txt requirements/local.txt | $(PY)
	$(PIP) install --quiet -r requirements/local.txt
	@touch $(VENV)/.deps-base $(VENV)/.deps-dev

venv: $(VENV)/.deps-base

# The whole product on http://127.0.0.1:8000: API, admin, websockets, worker and beat.
# Embedded default (SQLite, no Redis) unless DATABASE_URL / REDIS_URL are set.
run: $(VENV)/.deps-base
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py bootstrap_demo
	$(PY) manage.py run_stack --host 127.0.0.1 --port 8000

# System packages (apt-get as root, else the command to run) and the peers behind
# DATABASE_URL / REDIS_URL: scripts/setup-system.sh, shared with .ci/run.
system:
	@scripts/setup-system.sh

# The whole suite: lint, format check, import contracts, types, pytest (PostgreSQL/Redis when their URLs are set).
test: system $(VENV)/.deps-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run --settings=intelipro.settings.test
	$(PY) manage.py spectacular --validate --fail-on-warn --settings=intelipro.settings.test --file /dev/null
	$(VENV)/bin/pytest -q --create-db $(PYTEST_ARGS)

lint: $(VENV)/.deps-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.deps-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(VENV)/.deps-dev
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf var/celery var/test-media .pytest_cache
