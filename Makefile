# One command to build the site, one to run the tests; each bootstraps .venv with what it needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# Exact versions tested (constraints.txt) within the ranges of pyproject.toml.
INSTALL := $(PY) -m pip install --quiet --constraint constraints.txt
# What each target needs, recorded once installed: the report's dependencies; those plus the
# test extra; those plus the lint extra (ruff, mypy).
REPORT := $(VENV)/.installed-report
TESTS  := $(VENV)/.installed-test
LINT   := $(VENV)/.installed-lint

.PHONY: site test lint serve bench clean shortcut digits

site: $(REPORT)
	$(PY) -m generator build

test: $(TESTS)
	$(PY) -m pytest

# ruff (rules in pyproject.toml) on all code; mypy on explain/ and analysis/.
lint: $(LINT)
	$(PY) -m ruff check generator tests benchmarks
	$(PY) -m mypy

# The shortcut demonstration: Happy faces carry a corner mark; section 5 should flag it.
shortcut: $(REPORT)
	$(PY) -m generator build --set data.synthetic.shortcut=Happy

# The second reference case: scikit-learn's handwritten digits (no download), gray, upscaled to 32x32.
digits: $(REPORT)
	$(PY) -m generator build --set data.format=sklearn-digits

serve: $(REPORT)
	$(PY) -m generator serve

bench: $(REPORT)
	$(PY) -m benchmarks

clean:
	-$(PY) -m generator clean
	rm -rf site

define CHECK_PYTHON
import sys
if not (3, 11) <= sys.version_info[:2] < (3, 14):
    sys.exit(f"error: {sys.executable} is Python {sys.version.split()[0]}; the report needs Python 3.11, "
             "3.12 or 3.13 (install one, then run make PYTHON=python3.12, or the version you have)")
endef
export CHECK_PYTHON

# A new .venv is marked unfinished until its first install succeeds: a failed install removes
# it, and an interrupted one is removed by the next run, so no half-built .venv is ever used.
$(REPORT): pyproject.toml constraints.txt
	@if [ -e $(VENV)/.unfinished ]; then echo "removing the unfinished $(VENV)"; rm -rf $(VENV); fi
	@if [ ! -x $(PY) ]; then \
	    command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (install Python 3.11, 3.12 or 3.13, then run make PYTHON=python3.12, or the version you have)" >&2; exit 1; }; \
	    $(PYTHON) -c "$$CHECK_PYTHON" || exit 1; \
	    echo "creating $(VENV) with $$($(PYTHON) -c 'import sys; print(sys.executable, sys.version.split()[0])')"; \
	    mkdir -p $(VENV) && touch $(VENV)/.unfinished && $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }; \
	fi
	@$(PY) -m pip install --quiet --upgrade "pip>=24" && $(INSTALL) --editable . \
	    || { if [ -e $(VENV)/.unfinished ]; then rm -rf $(VENV); fi; exit 1; }
	@rm -f $(VENV)/.unfinished
	@touch $@

$(TESTS): $(REPORT)
	$(INSTALL) --editable ".[test]"
	@touch $@

$(LINT): $(REPORT)
	$(INSTALL) --editable ".[lint]"
	@touch $@
