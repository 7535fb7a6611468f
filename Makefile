# The whole set-up: `make run` serves the app, `make test` runs every test.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: run test install translations bench clean

$(VENV)/.app: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.app
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.app

# migrations, demo data, then gunicorn and the scheduler (Procfile) under honcho; HOST, PORT
run: $(VENV)/.app
	$(PY) scripts/run.py

# installs the Debian packages the suite needs when root (scripts/system_deps.py), then pytest
test: $(VENV)/.test
	$(PY) scripts/system_deps.py
	$(VENV)/bin/pytest $(PYTEST_ARGS)

translations: $(VENV)/.app
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -o app/translations/messages.pot .
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching
	$(VENV)/bin/pybabel compile -d app/translations

bench: $(VENV)/.test
	for f in bench/*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) instance/*.db* app/static/**/*.gz
