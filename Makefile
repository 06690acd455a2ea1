# Two commands a newcomer needs: `make run` and `make test`. Both create .venv on first use.
# The first interpreter that really runs and is 3.11 or 3.12 (pyenv shims may exist but fail).
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
  $$p -c 'import sys; assert (3, 11) <= sys.version_info[:2] < (3, 13)' 2>/dev/null && { echo $$p; break; }; done)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NODE_DIR := tests/wechaty_gateway
NODE_STAMP := $(NODE_DIR)/node_modules/.installed-stamp

.PHONY: run test lint bench reset venv node-deps browser-deps clean

run: $(STAMP)
	$(BIN)/zhuqi run

test: $(STAMP) node-deps browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m tests.tools.function_length bot handlers scheduler storage
	$(BIN)/python -m tests.tools.duplicate_blocks --exact bot handlers scheduler storage

# Start the simulator demo afresh: its SQLite file goes, .venv and the classifier cache stay.
reset: $(STAMP)
	$(BIN)/zhuqi reset-demo

bench: $(STAMP)
	$(BIN)/python -m tests.bench

venv: $(STAMP)

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo 'Python 3.11 or 3.12 is needed'; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# The real Wechaty gateway used by the integration test (pinned npm versions).
node-deps:
	@if [ -f $(NODE_DIR)/package.json ]; then \
	  if [ ! -f $(NODE_STAMP) ] || [ $(NODE_DIR)/package.json -nt $(NODE_STAMP) ]; then \
	    (cd $(NODE_DIR) && npm install --no-audit --no-fund --loglevel=error) && touch $(NODE_STAMP); \
	  fi; \
	fi

# Headless Chromium for the browser test (Debian packages; installed when missing and we are root).
browser-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium and chromium-driver (Debian packages) for the browser test"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >/dev/null; \
	  else echo "chromium/chromedriver missing: install them (Debian: chromium chromium-driver) for the browser test"; fi; \
	fi

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
