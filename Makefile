# Two commands on a fresh machine: `make demo` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: demo test venv clean

$(VENV)/.installed: pyproject.toml
	@python=$$(scripts/find-python) && echo "Using $$python" && "$$python" -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

venv: $(VENV)/.installed

demo: venv  ## build the venv, seed the demo community (SQLite) and serve it
	$(VENV)/bin/community-segments demo $(DEMO_ARGS)

test: venv  ## build the venv with test extras and run the whole suite
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .cache build dist src/*.egg-info
