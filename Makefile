# Two commands on a fresh machine: `make demo` and `make test`.
# Both share one venv: `make demo` installs the package alone (no test extras);
# `make test` (and `make venv`) adds the test extras on top.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTEST_ARGS ?=
# test workers (pytest-xdist): one per core; JOBS=0 runs the suite in this process
JOBS ?= auto

.PHONY: demo test lint venv demo-venv clean

$(VENV)/bin/python:
	@python=$$(scripts/find-python) && echo "Using $$python" && "$$python" -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed-demo: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e .
	@touch $@

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[test]'
	@touch $@ $(VENV)/.installed-demo

demo-venv: $(VENV)/.installed-demo

venv: $(VENV)/.installed

demo: demo-venv  ## build the venv (package only), seed the demo community (SQLite) and serve it
	$(VENV)/bin/community-segments demo $(DEMO_ARGS)

test: lint  ## build the venv with test extras, lint, and run the whole suite
	$(PY) -m pytest -n $(JOBS) --dist loadgroup $(PYTEST_ARGS)

lint: venv  ## ruff and mypy (configured in pyproject.toml)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .cache build dist src/*.egg-info
