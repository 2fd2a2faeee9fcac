# Two commands for people: `make run` and `make test`. Everything else is a detail.
SHELL := /bin/bash
PYTHON ?= python3
# uv from PATH, else the one pip installs for this Python (bootstrapped below).
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: run test lint bench sync uv

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 \
		|| $(PYTHON) -m pip install --quiet 'uv>=0.5,<1'

# .venv from the lock file, with Langflow for the UI.
sync: uv
	@$(UV) sync --locked --extra ui --quiet

run: sync
	@$(UV) run --no-sync mi demo seed --if-empty
	@echo "Starting Langflow at http://$(HOST):$(PORT) (about a minute). Log-in is automatic"
	@echo "on this machine; for the API, create a key under Settings > API Keys. Ctrl-C stops it."
	@$(UV) run --no-sync langflow run --env-file langflow.env --host $(HOST) --port $(PORT)

test: sync lint
	@$(UV) run --no-sync pytest

lint: sync
	@$(UV) run --no-sync ruff check .
	@$(UV) run --no-sync ruff format --check .
	@$(UV) run --no-sync mypy

bench: sync
	@$(UV) run --no-sync python -m bench
