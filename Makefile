# Set-up is idempotent: each stamp is remade only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH := torch==2.13.0

.PHONY: demo test fuzz bench compat setup clean

demo: $(VENV)/.stamp-base
	$(BIN)/neuroboard demo

test: $(VENV)/.stamp-test
	$(BIN)/python -m pytest

# The reader fuzzing suite at full length: 10^5 damaged files, a new random draw each run.
fuzz: $(VENV)/.stamp-test
	NEUROBOARD_FUZZ_EXAMPLES=100000 $(BIN)/python -m pytest tests/fuzz -q -p no:cacheprovider

bench: $(VENV)/.stamp-bench
	$(BIN)/python -m benchmarks

# Side by side with ANNarchy's Logger (tests/compat): ANNarchy builds from source and compiles a
# network with g++ and CMake, which look for `python3` on PATH: the venv's comes first.
compat: $(VENV)/.stamp-compat
	PATH="$(abspath $(BIN)):$$PATH" NEUROBOARD_COMPAT=1 $(BIN)/python -m pytest tests/compat -q -p no:cacheprovider

setup: $(VENV)/.stamp-base

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "neuroboard needs Python 3.10 or newer"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.stamp-base: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --editable .
	touch $@

$(VENV)/.stamp-test: $(VENV)/.stamp-base
	$(BIN)/python -m pip install --quiet --editable '.[test]' '$(TORCH)'
	touch $@

$(VENV)/.stamp-bench: $(VENV)/.stamp-base
	$(BIN)/python -m pip install --quiet --editable '.[bench]' '$(TORCH)'
	touch $@

$(VENV)/.stamp-compat: $(VENV)/.stamp-test
	$(BIN)/python -m pip install --quiet --editable '.[test,compat]' '$(TORCH)'
	touch $@

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .hypothesis
