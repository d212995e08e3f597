# The two commands of the README: `make run` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP_PY := $(VENV)/.stamp-install
STAMP_NPM := node_modules/.stamp-install
FEEL_BUNDLE := engine/feel/dist/feel.js
VENDOR := portal/static/vendor
# The portal's third-party assets, copied from npm packages and served by the portal itself.
VENDOR_FILES := $(VENDOR)/echarts.min.js $(VENDOR)/swagger-ui/swagger-ui-bundle.js \
	$(VENDOR)/swagger-ui/swagger-ui.css
# pyzeebe's own integration tests (its sdist's tests/integration), fetched, not kept in the repo
PYZEEBE_SUITE := tests/pyzeebe_integration/suite.py
PYZEEBE_TESTS := var/cache/pyzeebe/.fetched

.PHONY: run test lint lint-bpmn install engine clean messages

install: $(STAMP_PY) $(FEEL_BUNDLE) $(VENDOR_FILES)

$(STAMP_PY): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(STAMP_NPM): package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

$(FEEL_BUNDLE): $(STAMP_NPM) $(wildcard engine/feel/js/*.js engine/feel/js/*.mjs)
	node engine/feel/js/build.mjs

$(VENDOR)/echarts.min.js: $(STAMP_NPM)
	mkdir -p $(@D) && cp node_modules/echarts/dist/echarts.min.js $@

$(VENDOR)/swagger-ui/%: $(STAMP_NPM)
	mkdir -p $(@D) && cp node_modules/swagger-ui-dist/$* $@

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

# Extract the portal's texts and merge them into the catalogues (then translate the new ones).
messages: $(STAMP_PY)
	$(VENV)/bin/pybabel extract --no-location --sort-output -F portal/babel.cfg \
		-o portal/translations/messages.pot portal
	for lang in vi en; do \
		test -f portal/translations/$$lang/LC_MESSAGES/messages.po \
		|| $(VENV)/bin/pybabel init -i portal/translations/messages.pot -d portal/translations -l $$lang; \
	done
	$(VENV)/bin/pybabel update --no-fuzzy-matching --ignore-obsolete \
		-i portal/translations/messages.pot -d portal/translations

clean:
	rm -rf $(VENV) node_modules engine/feel/dist var $(VENDOR)
