# Two commands a user needs: `make demo` (the main job) and `make test`.
# Both bootstrap .venv from nothing but python3 and the pinned requirements.lock.
# PYTHON=/path/to/python3.X picks the interpreter (CPython 3.11.0 to 3.13; others are refused
# in one line before anything is installed); VENV=dir builds the environment there instead
# of .venv (e.g. a second one beside it: make venv PYTHON=/usr/bin/python3.11 VENV=.venv-py311).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv check-python demo test bench clean

venv: $(STAMP)

# The interpreter the venv is (or will be) made from: PYTHON when given or when there is no
# venv yet, else the venv's own.
check-python:
	@if [ "$(origin PYTHON)" = "command line" ] || [ "$(origin PYTHON)" = environment ] || [ ! -x $(PY) ]; then \
	  bash scripts/check-python.sh "$(PYTHON)"; else bash scripts/check-python.sh "$(PY)"; fi

$(STAMP): requirements.lock pyproject.toml | check-python
	@bash scripts/install-system-packages.sh
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

demo: venv
	$(VENV)/bin/autograder demo

# Three pytest-xdist workers (the tests wait on sandboxed processes, so a third keeps two cores
# busy), a test file each at a time (module fixtures are built once), in the order of
# tests/conftest.py's SLOW_FIRST (--no-loadscope-reorder: xdist would otherwise sort the files
# by their number of tests and start the long one-test files last); the ten slowest tests are
# listed at the end.
TEST_WORKERS ?= 3
# tests/test_nonroot.py runs the grader as an ordinary user from an environment of the
# distribution's own Python: built once here (as .ci/run does) instead of on every run.
SYSTEM_PY311 ?= /usr/bin/python3.11
PY311_VENV ?= .venv-system-py311
test: venv
	@bash scripts/install-browser.sh
	@if [ -z "$$AUTOGRADER_TEST_PY311_VENV" ] && [ -x $(SYSTEM_PY311) ]; then \
	  $(MAKE) --no-print-directory venv PYTHON=$(SYSTEM_PY311) VENV=$(PY311_VENV); fi
	AUTOGRADER_TEST_PY311_VENV=$${AUTOGRADER_TEST_PY311_VENV:-$(if $(wildcard $(SYSTEM_PY311)),$(CURDIR)/$(PY311_VENV))} \
	  $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=10 tests

bench: venv
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) build demo-course bench-results
