# One command to build the site, one to run the tests; both bootstrap .venv first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: site test lint serve bench clean shortcut

site: $(STAMP)
	$(PY) -m generator build

test: $(STAMP)
	$(PY) -m pytest

# ruff (rules in pyproject.toml) on all code; mypy on explain/ and analysis/.
lint: $(STAMP)
	$(PY) -m ruff check generator tests benchmarks
	$(PY) -m mypy

# The shortcut demonstration: Happy faces carry a corner mark; section 5 should flag it.
shortcut: $(STAMP)
	$(PY) -m generator build --set data.synthetic.shortcut=Happy

serve: $(STAMP)
	$(PY) -m generator serve

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	-$(PY) -m generator clean
	rm -rf site

# Exact versions tested (constraints.txt) within the ranges of pyproject.toml.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet --constraint constraints.txt --editable ".[test,lint]"
	touch $(STAMP)
