# Two commands a newcomer needs: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= $(shell command -v python3.12 || command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NODE_DIR := tests/wechaty_gateway
NODE_STAMP := $(NODE_DIR)/node_modules/.installed-stamp

.PHONY: run test lint bench venv node-deps clean

run: $(STAMP)
	$(BIN)/zhuqi run

test: $(STAMP) node-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m tests.bench

venv: $(STAMP)

$(BIN)/python:
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

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
