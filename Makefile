# Set-up is idempotent: each stamp is remade only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH := torch==2.13.0
# Brian2's venv (see compat-brian2), named before bench, whose prerequisites are read where they stand.
BRIAN2_VENV := $(VENV)/brian2

.PHONY: demo test fuzz bench compat compat-r compat-brian2 setup clean

demo: $(VENV)/.stamp-base
	$(BIN)/neuroboard demo

test: $(VENV)/.stamp-test
	$(BIN)/python -m pytest

# The reader fuzzing suite at full length: 10^5 damaged files, a new random draw each run.
fuzz: $(VENV)/.stamp-test
	NEUROBOARD_FUZZ_EXAMPLES=100000 $(BIN)/python -m pytest tests/fuzz -q -p no:cacheprovider

bench: $(VENV)/.stamp-bench $(BRIAN2_VENV)/.stamp
	$(BIN)/python -m benchmarks

# Side by side with ANNarchy's Logger (tests/compat): ANNarchy builds from source and compiles a
# network with g++ and CMake, which look for `python3` on PATH: the venv's comes first.
compat: $(VENV)/.stamp-compat
	PATH="$(abspath $(BIN)):$$PATH" NEUROBOARD_COMPAT=1 $(BIN)/python -m pytest tests/compat -q -p no:cacheprovider

# R's tfevents reads what the functional API writes, and neuroboard what R writes (tests/compat_r).
# It needs R and the sources of github.com/mlverse/tfevents and mlverse/wav, built once into R_LIB:
#   make compat-r TFEVENTS_SRC=<dir> WAV_SRC=<dir>
# Without them it says what is missing and how to get it, and succeeds.
R_LIB ?= $(VENV)/r-lib

compat-r: $(VENV)/.stamp-test
	@lib='$(R_LIB)'; case "$$lib" in /*) ;; *) lib="$$PWD/$$lib";; esac; \
	sh tests/compat_r/prepare.sh "$$lib" '$(TFEVENTS_SRC)' '$(WAV_SRC)'; status=$$?; \
	if [ $$status -eq 3 ]; then exit 0; elif [ $$status -ne 0 ]; then exit $$status; fi; \
	NEUROBOARD_COMPAT_R=1 NEUROBOARD_R_LIB="$$lib" $(BIN)/python -m pytest tests/compat_r -q -p no:cacheprovider

# Side by side with Brian2 (tests/compat_brian2). Brian2 2.9, what installs on Python 3.11, calls
# np.ndarray.ptp, which NumPy 2 removed: it gets a venv of its own (BRIAN2_VENV), with NumPy < 2.

compat-brian2: $(BRIAN2_VENV)/.stamp
	NEUROBOARD_COMPAT_BRIAN2=1 $(BRIAN2_VENV)/bin/python -m pytest tests/compat_brian2 -q -p no:cacheprovider \
		-W ignore::DeprecationWarning

$(BRIAN2_VENV)/.stamp: pyproject.toml
	$(PYTHON) -m venv $(BRIAN2_VENV)
	$(BRIAN2_VENV)/bin/python -m pip install --quiet 'brian2==2.9.0' 'numpy<2' 'pytest>=7' --editable .
	touch $@

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
