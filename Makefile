# The studio's two commands: `make run` and `make test`. Everything else is a step of those.
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
PORT    ?= 8000
export DJANGO_SETTINGS_MODULE := config.settings

.PHONY: run serve test lint bench setup install browser clean

# Development (`make run`, `make test` and their set-up): the built-in Pixapi sandbox unless
# PIXAPI_API_KEY is set (the tests always use it), and a secret key of this checkout's own, made
# once in var/. `make serve` gets neither: production refuses to start without a real key of each.
DEV_SECRET_KEY := var/dev-secret-key
run setup test: export SECRET_KEY ?= $(shell cat $(DEV_SECRET_KEY) 2>/dev/null)
run setup: export PIXAPI_SANDBOX ?= $(if $(PIXAPI_API_KEY),0,1)
run setup: export STRIPE_SANDBOX ?= $(if $(STRIPE_SECRET_KEY),0,1)
test: export PIXAPI_SANDBOX := 1
test: export PIXAPI_API_KEY :=
test: export STRIPE_SANDBOX := 1
test: export STRIPE_SECRET_KEY :=

run: setup
	@echo ""
	@echo "  The studio is starting at http://127.0.0.1:$(PORT)/"
	@echo "  Log in as demo@studio.local with the password: create-videos"
	@echo "  (Pixapi: $$( [ -n "$$PIXAPI_API_KEY" ] && echo 'the real service' || echo 'the built-in sandbox' ))"
	@echo "  Stop with Ctrl-C."
	@echo ""
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} PORT=$(PORT) $(VENV)/bin/honcho start -f Procfile

# The suite runs in TEST_WORKERS processes (pytest-xdist; tests/workers.py keeps their services apart).
# worksteal: a worker that runs out takes tests from the other, so both finish together.
TEST_WORKERS ?= 2
test: setup browser lint
	FAST_PASSWORD_HASHER=1 $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# ruff keeps the format and catches mistakes (`$(PY) -m ruff format . && $(PY) -m ruff check --fix .` fixes most);
# import-linter keeps the layers of docs/architecture.md (the contracts are in pyproject.toml); mypy checks
# the types of the core and the ground (the files in pyproject.toml). Its Django plugin imports the settings,
# which need a Pixapi and a secret key: the sandbox and, unless one is set, the development key will do.
lint: export PIXAPI_SANDBOX := 1
lint: export PIXAPI_API_KEY :=
lint: export REQUIRE_SECRET_KEY := 0
lint: install
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m mypy

setup: install $(DEV_SECRET_KEY)
	@mkdir -p var
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py createcachetable
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py demo_creator

install: $(STAMP)

$(DEV_SECRET_KEY):
	@mkdir -p var
	@head -c 48 /dev/urandom | base64 | tr -d '\n=+/' > $@

$(STAMP): pyproject.toml
	@[ -x $(PY) ] || { python=$$(bin/find-python) && echo "Creating $(VENV) with $$python" && $$python -m venv $(VENV); }
	$(PY) -m pip install -q --disable-pip-version-check ".[dev]"
	@touch $(STAMP)

# Browser tests drive Debian's Chromium (Playwright's own browser download cannot work offline).
browser:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium at /usr/bin/chromium: run 'sudo apt-get install chromium' and try again."; exit 1; \
	  fi; }

clean:
	rm -rf $(VENV) var staticfiles media db.sqlite3*

# Production: gunicorn (gunicorn.conf.py) and a django-q2 cluster. On a web-only machine run
# `make serve PROCESSES=web`, on a worker-only one `make serve PROCESSES=worker`; README: "Production".
PROCESSES ?= web worker
serve: install
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py createcachetable
	$(PY) manage.py collectstatic --noinput -v 0
	PORT=$(PORT) $(VENV)/bin/honcho start -f Procfile.serve $(PROCESSES)

# Benchmarks: figures to bench/results.json, never timed tests in `make test`.
bench: install
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's wrk, the load generator for the poll endpoint figure"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else \
	    echo "The benchmark needs wrk: run 'sudo apt-get install wrk' and try again."; exit 1; \
	  fi; }
	$(PY) bench/run.py $(SECTIONS)
