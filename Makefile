# 招商一盘棋: two commands do all the set-up on a fresh machine (Python 3.11+ and Node.js).
#   make demo   environment, dependencies, static assets, database, demo data, server on :8000
#   make test   lint, types, Django checks and every test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000

.PHONY: demo test bench serve lint messages makemessages clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

messages: $(VENV)/.installed
	$(PY) -m zhaoshang.core.compilemessages

setup: $(VENV)/.installed node_modules/.installed messages

demo: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo ""
	@echo "招商一盘棋 → http://$(HOST)/   演示账号 demo login: coordinator / zhaoshang-demo (others: see README)"
	$(PY) manage.py runserver $(HOST)

serve: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py runserver $(HOST)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy zhaoshang bench

test: setup lint
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

bench: setup
	$(PY) -m bench.run

makemessages: $(VENV)/.installed
	cd zhaoshang && ../$(PY) ../manage.py makemessages -l zh_Hans --no-obsolete --no-location

clean:
	rm -rf $(VENV) node_modules data/static
