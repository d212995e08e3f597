# The two commands of the README: `make run` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP_PY := $(VENV)/.stamp-install
STAMP_NPM := node_modules/.stamp-install
FEEL_BUNDLE := engine/feel/dist/feel.js
# pyzeebe's own integration tests (its sdist's tests/integration), fetched, not kept in the repo
PYZEEBE_SUITE := tests/pyzeebe_integration/suite.py
PYZEEBE_TESTS := var/cache/pyzeebe/.fetched

.PHONY: run test lint lint-bpmn install engine clean

install: $(STAMP_PY) $(FEEL_BUNDLE)

$(STAMP_PY): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(STAMP_NPM): package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

$(FEEL_BUNDLE): $(STAMP_NPM) engine/feel/js/entry.js engine/feel/js/build.mjs
	node engine/feel/js/build.mjs

run: install
	mkdir -p var
	$(VENV)/bin/khcn run

$(PYZEEBE_TESTS): $(STAMP_PY) $(PYZEEBE_SUITE)
	$(PY) $(PYZEEBE_SUITE) fetch
	touch $@

test: install $(PYZEEBE_TESTS)
	$(PY) -m pytest -q
	$(PY) $(PYZEEBE_SUITE) run

lint: install lint-bpmn
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# bpmnlint with Camunda 8.5 compatibility rules (.bpmnlintrc); the diagrams must lint clean.
lint-bpmn: $(STAMP_NPM)
	node_modules/.bin/bpmnlint bpmn/*.bpmn

clean:
	rm -rf $(VENV) node_modules engine/feel/dist var
