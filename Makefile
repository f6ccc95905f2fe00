# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
LEARNAPP_DATA_DIR ?= $(CURDIR)/instance
LEARNAPP_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export LEARNAPP_DATA_DIR LEARNAPP_TEST_POSTGRES_URL
FLASK := $(BIN)/flask --app learnapp

.PHONY: run test lint translations messages browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

translations: $(VENV)/.run-deps
	@$(BIN)/pybabel compile -d learnapp/translations >/dev/null

## run: migrate and seed the SQLite database in $(LEARNAPP_DATA_DIR), then serve with the scheduler
run: $(VENV)/.run-deps translations
	@mkdir -p "$(LEARNAPP_DATA_DIR)"
	$(FLASK) db upgrade
	$(FLASK) demo seed
	$(FLASK) courses sync
	$(FLASK) bank import question_bank/ --status active --quiet
	@echo
	@echo "  learnapp is starting on http://$(HOST):$(PORT)/"
	@echo "  demo logins (password learnapp-demo): demo-admin, demo-secretary, demo-member,"
	@echo "               demo-editor (question bank), demo-reviewer (question bank)"
	@echo "  data folder: $(LEARNAPP_DATA_DIR)    Ctrl-C stops the web server and the scheduler"
	@echo
	@$(FLASK) jobs run & scheduler=$$!; \
	  trap 'kill $$scheduler 2>/dev/null; wait $$scheduler' EXIT; \
	  $(BIN)/gunicorn --workers 2 --bind "$(HOST):$(PORT)" --access-logfile - 'learnapp:create_app()'

## test: lint, then the whole suite on SQLite and again on PostgreSQL when a server answers
test: $(VENV)/.dev-deps translations browser lint
	LEARNAPP_TEST_DB=sqlite $(BIN)/pytest -q
	@if $(BIN)/python -c "import os, psycopg; psycopg.connect(os.environ['LEARNAPP_TEST_POSTGRES_URL'].replace('+psycopg', ''), connect_timeout=3).close()" 2>/dev/null; then \
	  echo "PostgreSQL answers: running the suite again on it"; \
	  LEARNAPP_TEST_DB=postgres $(BIN)/pytest -q; \
	elif [ "$$REQUIRE_POSTGRES" = "1" ]; then \
	  echo "PostgreSQL is required (REQUIRE_POSTGRES=1) but does not answer at $$LEARNAPP_TEST_POSTGRES_URL" >&2; exit 1; \
	else \
	  echo "PostgreSQL does not answer at $$LEARNAPP_TEST_POSTGRES_URL: its pass is skipped"; \
	fi

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## browser: Debian's chromium and a CJK font for the end-to-end tests (installed when missing, as root)
browser:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="chromium"; \
	dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || missing="$$missing fonts-wqy-microhei"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages for the browser tests:$$missing"; \
	    apt-get install -y -q $$missing >/dev/null 2>&1 || \
	      (apt-get update -q >/dev/null && apt-get install -y -q $$missing >/dev/null); \
	  else \
	    echo "missing for the browser tests:$$missing (not root: cannot install)"; \
	  fi; \
	fi

## messages: extract strings and update both catalogues (then fill them in)
messages: $(VENV)/.dev-deps
	$(BIN)/pybabel extract --no-location -F babel.cfg -k _l -k lazy_ngettext:1,2 -o learnapp/translations/messages.pot .
	$(BIN)/pybabel update -i learnapp/translations/messages.pot -d learnapp/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python -m learnapp.i18n_check --fill-english

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
