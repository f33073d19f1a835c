# kztrack — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

# Tests and benchmarks use the machine's PostgreSQL and Redis; override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/kztrack
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.DEFAULT_GOAL := help
.PHONY: help install install-dev system-deps browser-deps run test lint fmt bench bench-quick chaos messages clean

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed ## Create the virtualenv and install the project

install-dev: $(VENV)/.installed-dev ## ... with the test tools

# run uses the committed locale/*/LC_MESSAGES/django.mo: it needs no GNU gettext.
run: install ## Embedded default: SQLite + filesystem broker under var/, seed, worker+beat, web on :8000
	./scripts/run.sh

system-deps: ## Debian packages the tests use (docker-compose, gettext for test_i18n, Java for the Nu HTML checker)
	@missing=""; \
	command -v docker-compose >/dev/null || missing="$$missing docker-compose"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v java >/dev/null || missing="$$missing default-jre-headless"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq $$missing >/dev/null; \
	fi

browser-deps: ## Debian's Chromium for the browser tests (Playwright drives it; no browser download)
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium"; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq chromium >/dev/null; \
	fi

# For translators (needs GNU gettext): the .po files take the code's new strings, then the
# .mo files are compiled from them. Commit both: tests/test_translations_compiled.py fails
# when a .mo says something its .po does not.
messages: install ## Update locale/*/django.po from the code and compile the .mo files (GNU gettext)
	@command -v msgfmt >/dev/null || { echo "make messages needs GNU gettext: apt-get install gettext" >&2; exit 1; }
	$(MANAGE) makemessages --all --no-obsolete --ignore .venv --ignore var --ignore tests --ignore bench
	$(MANAGE) compilemessages --verbosity 0 --ignore .venv

test: install-dev system-deps browser-deps ## The whole suite against PostgreSQL and Redis (without the slow runs)
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

chaos: install-dev system-deps browser-deps ## The slow fault, fuzz and load runs (tests marked slow; see README)
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(PY) -m pytest -m slow -v $(PYTEST_ARGS)

$(VENV)/.installed-bench: $(VENV)/.installed pyproject.toml
	$(VENV)/bin/pip install --quiet -e '.[bench]'
	touch $@

# wrk (Debian) loads the feeds; without it (no root, no apt) the bench uses a Python client.
BENCH_WRK = command -v wrk >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	$$SUDO apt-get install -y -qq wrk >/dev/null 2>&1 || \
	{ $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk >/dev/null; }; } || \
	echo "wrk not installed: the feed benchmark uses its Python client"

bench: $(VENV)/.installed-bench ## Benchmarks at full size (< 30 min): a table and bench/results/latest.json
	@$(BENCH_WRK)
	$(PY) -m bench.run

bench-quick: $(VENV)/.installed-bench ## The same workloads at a tenth of the size (< 5 min)
	@$(BENCH_WRK)
	$(PY) -m bench.run --quick

lint: install-dev ## ruff, then mypy (with the django-stubs plugin)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy kztrack timeline feeds

fmt: install-dev ## Format the code
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean: ## Remove var/ (the embedded database, broker and mail)
	rm -rf var
