# Two commands for a newcomer: `make run` (the assistant on embedded defaults) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo ui test lint check eval bench clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (found %s); set PYTHON=python3.11" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/smm demo

demo: run

ui: $(STAMP)
	$(BIN)/smm ui

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

check: lint

test: $(STAMP) lint
	$(BIN)/pytest

eval: $(STAMP)
	$(BIN)/smm eval retrieval

bench: $(STAMP)
	$(BIN)/smm eval retrieval

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache
