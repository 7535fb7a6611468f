# The whole set-up: `make run` serves the app, `make test` runs every test.
VENV   ?= .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask
HOST   ?= 127.0.0.1
PORT   ?= 5000
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

run: $(VENV)/.app
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	SCHEDULER_ENABLED=$${SCHEDULER_ENABLED:-1} $(FLASK) serve --host $(HOST) --port $(PORT)

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
