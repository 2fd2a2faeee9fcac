# Two commands for people: `make run` and `make test`. Everything else is a detail.
SHELL := /bin/bash
PYTHON ?= python3
# uv from PATH, else the one pip installs for this Python (bootstrapped below).
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
HOST ?= 127.0.0.1
PORT ?= 7860
BRIDGE_PORT ?= 8787
RUNTIME_PORT ?= 7861
# Langflow through our launcher (flow_runners/langflow_launcher.py): a profile's settings files,
# then the garbage collector tuned once Langflow has started.
LAUNCH_LANGFLOW = $(UV) run --no-sync python -m flow_runners.langflow_launcher

.PHONY: run runtime test check lint bench sync uv emulator emulator-lock needledb needledb-lock chromium

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
	@echo "Starting the bridge API at http://$(HOST):$(BRIDGE_PORT) (docs at /docs) beside it."
	@$(UV) run --no-sync mi bridge serve --host $(HOST) --port $(BRIDGE_PORT) & bridge=$$!; \
		$(UV) run --no-sync mi worker --if-configured & worker=$$!; \
		trap 'kill $$bridge $$worker 2>/dev/null' EXIT INT TERM; \
		$(LAUNCH_LANGFLOW) --profile editor --host $(HOST) --port $(PORT)

# The backend's flow server (where MI_FLOWS_RUNNER=langflow sends jobs by default): Langflow headless with
# langflow.runtime.env over langflow.env, no UI, no run logs; the database and API keys of `make run`.
runtime: sync
	@echo "Starting Langflow's runtime (API only) at http://$(HOST):$(RUNTIME_PORT) (about a minute)."
	@$(LAUNCH_LANGFLOW) --profile runtime --host $(HOST) --port $(RUNTIME_PORT)

test: sync lint emulator needledb chromium
	@$(UV) run --no-sync pytest

# The fast loop: lint plus the tests that need no peer (no PostgreSQL, Redis, emulator, needledb,
# Langflow server or browser). Which those are is found, not listed: tests/peers.py.
check: sync lint
	@$(UV) run --no-sync pytest --no-peers

lint: sync
	@$(UV) run --no-sync ruff check .
	@$(UV) run --no-sync ruff format --check .
	@$(UV) run --no-sync mypy

bench: sync
	@$(UV) run --no-sync python -m bench

# The BigQuery emulator the tests start (tests/bigquery_emulator.py): local-bigquery in its own venv on
# Python 3.13, from the pinned emulator/requirements.txt, with DuckDB's extensions imported from wheels
# into a project-local HOME (.emulator-venv/home/.duckdb), so it starts offline. Rebuilt only when the
# pins or the import script change. EMULATOR_PYTHON=/path/to/python3.13 overrides the search.
EMULATOR_VENV := .emulator-venv
EMULATOR_STAMP := $(EMULATOR_VENV)/.installed
EMULATOR_PYTHON ?=

emulator: $(EMULATOR_STAMP)

$(EMULATOR_STAMP): emulator/requirements.txt emulator/install_extensions.py | uv
	@export UV_PYTHON_DOWNLOADS=never; py="$(EMULATOR_PYTHON)"; \
	if [ -z "$$py" ] && command -v pyenv >/dev/null 2>&1; then \
		for candidate in "$$(pyenv root)"/versions/3.13*/bin/python3.13; do \
			[ -x "$$candidate" ] && py="$$candidate"; \
		done; \
	fi; \
	[ -n "$$py" ] || py="$$($(UV) python find '>=3.13,<3.16' 2>/dev/null)" || py=""; \
	if [ -z "$$py" ]; then \
		echo "make emulator: no Python 3.13 found. Install one (pyenv install 3.13) or set" >&2; \
		echo "EMULATOR_PYTHON=/path/to/python3.13." >&2; exit 1; \
	fi; \
	echo "Building the BigQuery emulator venv $(EMULATOR_VENV) with $$py"; \
	rm -f $@; \
	$(UV) venv --quiet --clear --python "$$py" $(EMULATOR_VENV) \
	&& $(UV) pip sync --quiet --python $(EMULATOR_VENV)/bin/python emulator/requirements.txt \
	&& $(EMULATOR_VENV)/bin/python emulator/install_extensions.py $(EMULATOR_VENV)/home \
	&& touch $@

# Re-pin emulator/requirements.txt from emulator/requirements.in (needs the package index).
emulator-lock: uv
	@$(UV) pip compile emulator/requirements.in --overrides emulator/overrides.txt \
		--python-version 3.13 --universal --no-header --quiet -o emulator/requirements.txt

# needledb (FAISS-backed, Pinecone-shaped data plane), the independent peer the Pinecone brand-voice
# tests also run against (tests/needledb_server.py): its own venv from the pinned
# needledb/requirements.txt, with the Python that runs make. Rebuilt only when the pins change.
NEEDLEDB_VENV := .needledb-venv
NEEDLEDB_STAMP := $(NEEDLEDB_VENV)/.installed

needledb: $(NEEDLEDB_STAMP)

$(NEEDLEDB_STAMP): needledb/requirements.txt | uv
	@echo "Building the needledb venv $(NEEDLEDB_VENV)"
	@rm -f $@
	@UV_PYTHON_DOWNLOADS=never $(UV) venv --quiet --clear --python $(PYTHON) $(NEEDLEDB_VENV) \
	&& $(UV) pip sync --quiet --python $(NEEDLEDB_VENV)/bin/python needledb/requirements.txt \
	&& touch $@

# Re-pin needledb/requirements.txt from needledb/requirements.in (needs the package index).
needledb-lock: uv
	@$(UV) pip compile needledb/requirements.in --python-version 3.11 --universal --no-header \
		--quiet -o needledb/requirements.txt

# Headless Chromium for the browser test (tests/test_langflow_ui.py drives it with Playwright), and
# the colour emoji font the reports' severity markers need in its screenshots: Debian's packages,
# installed only when missing (needs root and the Debian registry once).
CHROMIUM ?= /usr/bin/chromium
EMOJI_FONT := /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf

chromium:
	@[ -x "$(CHROMIUM)" ] && [ -f "$(EMOJI_FONT)" ] || { \
		echo "Installing Debian's chromium and fonts-noto-color-emoji for the browser test"; \
		packages="chromium fonts-noto-color-emoji"; \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y $$packages || { apt-get update && apt-get install -y $$packages; }; \
		else sudo apt-get install -y $$packages || { sudo apt-get update && sudo apt-get install -y $$packages; }; fi; \
	}
