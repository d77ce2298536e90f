# Two commands set up everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip -q --disable-pip-version-check
STAMP  := $(VENV)/.installed

.PHONY: install system-packages demo serve test bench lint messages

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip 2>/dev/null
	$(PIP) install -e '.[dev]' 2>&1 | grep -v '^WARNING: Location' || true
	$(PY) -c "import django, django_fsm, weasyprint, celery, allauth, axes"
	touch $(STAMP)

install: $(STAMP) system-packages

system-packages:
	@bin/system-packages

# The demo runs with debug pages on the local SQLite database; production never uses these targets.
demo serve: export DJANGO_DEBUG := true

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py demo_seed
	bin/demo-serve

serve: install
	bin/demo-serve

test: install
	$(PY) -m pytest

bench: install
	$(PY) -m benchmarks

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Re-extract the translatable strings after changing any text (needs GNU gettext).
messages: install
	$(PY) manage.py makemessages -l ar -l en --ignore=.venv --ignore=staticfiles --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv
