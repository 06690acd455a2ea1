# Two commands a newcomer needs: `make run` and `make test`. Both create .venv on first use.
# The first interpreter that really runs and is 3.11 or 3.12 (pyenv shims may exist but fail).
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
  $$p -c 'import sys; assert (3, 11) <= sys.version_info[:2] < (3, 13)' 2>/dev/null && { echo $$p; break; }; done)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NODE_DIR := tests/wechaty_gateway
NODE_STAMP := $(NODE_DIR)/node_modules/.installed-stamp

.PHONY: run test test-fast lint bench reset migration venv node-deps browser-deps clean

run: $(STAMP)
	$(BIN)/zhuqi run

# Everything (both databases, slow, browser, the real Wechaty gateway) on every core.
test: $(STAMP) node-deps browser-deps
	$(BIN)/python -m pytest -n auto --dist worksteal $(PYTEST_ARGS)

# The quick loop while working: SQLite only, nothing marked slow, no browser or node.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist worksteal -m "not slow and not postgres and not browser and not node" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m tests.tools.function_length bot handlers scheduler storage
	$(BIN)/python -m tests.tools.duplicate_blocks --exact bot handlers scheduler storage
	$(BIN)/python -m tests.tools.import_cycles bot handlers scheduler storage

# Start the simulator demo afresh: its SQLite file goes, .venv and the classifier cache stay.
reset: $(STAMP)
	$(BIN)/zhuqi reset-demo

# The next Alembic migration from what the models now declare: make migration NAME=add_units
migration: $(STAMP)
	@test -n "$(NAME)" || { echo 'usage: make migration NAME=what_it_changes'; exit 2; }
	$(BIN)/zhuqi new-migration "$(NAME)"

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

# Headless Chromium for the browser tests, and the CJK font the pages are designed for (Debian
# packages; installed when missing and we are root).
BROWSER_PACKAGES := chromium chromium-driver fonts-noto-cjk
browser-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! fc-list :lang=zh | grep -q .; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $(BROWSER_PACKAGES) (Debian packages) for the browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES)) >/dev/null; \
	  else echo "missing for the browser tests: install them (Debian: $(BROWSER_PACKAGES))"; fi; \
	fi

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
