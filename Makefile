# Aremko Comunicaciones: two commands on a fresh machine with Python >= 3.11.
#   make demo   virtualenv, install, migrate, seed, admin user, web + worker + beat
#   make test   virtualenv, install, the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# The demo sends SMS through the real Redvoiss client to the fake Redvoiss (Procfile: redvoiss).
DEMO_ENV := DEBUG=true \
	SMS_BACKEND=communications.channels.sms.backends.redvoiss.SmsBackend \
	REDVOISS_API_URL=http://127.0.0.1:8099 REDVOISS_USERNAME=demo REDVOISS_PASSWORD=demo-aremko

.PHONY: demo test lint bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when a requirements file changes.
$(VENV)/.installed-dev: $(BIN)/activate requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

$(VENV)/.installed: $(BIN)/activate requirements.txt
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

demo: $(VENV)/.installed
	mkdir -p var
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py seed_demo --clients 2000 --seed 1 --history-days 365 || echo "(datos de demostración ya cargados)"
	$(DEMO_ENV) $(PY) manage.py ensure_demo_admin
	@# Score the seeded clients now (about 6 s for 2,000): the call list's order, the at-risk
	@# figures and the send hours are there from the first page; beat rescores weekly after.
	$(DEMO_ENV) LOG_LEVEL=WARNING $(PY) manage.py score_clients
	@# Beat's first interval runs come minutes after start: run every trigger once now, so the
	@# worker has the day's confirmations, reminders, birthdays... to send as soon as it starts.
	$(DEMO_ENV) LOG_LEVEL=WARNING $(PY) manage.py run_triggers
	@echo "Abre http://127.0.0.1:8000/admin/  (Ctrl-C detiene web, worker y beat)"
	$(DEMO_ENV) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

test: $(VENV)/.installed-dev
	@bash scripts/ensure-chromium
	$(BIN)/pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var db.sqlite3 db.sqlite3-* staticfiles
