# Two commands a user needs: `make demo` (the main job) and `make test`.
# Both bootstrap .venv from nothing but python3 and the pinned requirements.lock.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo test bench clean

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@bash scripts/install-system-packages.sh
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

demo: venv
	$(VENV)/bin/autograder demo

test: venv
	@bash scripts/install-browser.sh
	$(PY) -m pytest -q --durations=15 tests

bench: venv
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) build demo-course bench-results
