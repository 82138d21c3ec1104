# Review Portal — everything a fresh machine needs, in two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
NPM_STAMP := frontend/node_modules/.installed
BUNDLE := static/dist/upload.js

.PHONY: run test lint format install system-deps venv frontend migrate clean bench

install: system-deps $(VENV)/.installed $(BUNDLE)

# Debian packages the test suite and the demo need (we run as root on CI and dev machines).
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null || missing="$$missing docker-compose"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(NPM_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(BUNDLE): $(NPM_STAMP) $(wildcard frontend/src/*)
	cd frontend && npm run --silent build

frontend: $(BUNDLE)

migrate: install
	$(PY) manage.py migrate --noinput -v 0

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=portal.settings $(VENV)/bin/mypy

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The whole portal on this machine: ftrack dev server with the demo project, Redis (private one if
# none answers), a Celery worker and the web server on http://127.0.0.1:8000. Ctrl-C stops it all.
run: install
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py rundemo

# Tests use the Redis at REDIS_URL (default 127.0.0.1:6379) or, when none answers, a private
# redis-server on a free port for the length of the run. Celery messages of the run get a private
# key prefix, so they never reach (or get taken by) a `make run` worker sharing the same Redis.
test: install lint
	cd frontend && npm test --silent
	@url="$${REDIS_URL:-redis://127.0.0.1:6379/0}"; private=""; \
	if ! redis-cli -u "$$url" ping >/dev/null 2>&1; then \
	  port=$$($(PY) -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); \
	  echo "No Redis answers at $$url: starting a private redis-server on port $$port"; \
	  redis-server --port $$port --bind 127.0.0.1 --save "" --appendonly no --daemonize yes >/dev/null; \
	  private=$$port; url="redis://127.0.0.1:$$port/0"; \
	  for i in $$(seq 50); do redis-cli -p $$port ping >/dev/null 2>&1 && break; sleep 0.1; done; \
	fi; \
	REDIS_URL="$$url" CELERY_KEY_PREFIX="pytest-$$$$:" DJANGO_ALLOW_ASYNC_UNSAFE=true \
	  $(VENV)/bin/pytest -q $(PYTEST_ARGS); rc=$$?; \
	if [ -n "$$private" ]; then redis-cli -p $$private shutdown nosave >/dev/null 2>&1 || true; fi; \
	exit $$rc

# Benchmarks at their small default sizes (about a minute each); see docs/benchmarks.md for the
# issue-sized runs (--size 1G / 2G). Never part of `make test`: timing is measured, not asserted.
bench: install
	$(PY) bench/devserver_put.py
	$(PY) bench/upload.py
	$(PY) bench/publish.py
	$(PY) bench/match.py
	mkdir -p var && rm -f var/bench-dashboard.sqlite3 && DATABASE_URL=sqlite:///$(CURDIR)/var/bench-dashboard.sqlite3 $(PY) bench/dashboard.py

clean:
	rm -rf $(VENV) frontend/node_modules static/dist var
