# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install bench screenshots clean

$(STAMP): requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

# Serve the bot and its simulator on an embedded SQLite database under instance/.
run: $(STAMP)
	$(FLASK) db upgrade
	$(FLASK) seed-demo --citizens 400
	@echo "Simulator: http://$(HOST):$(PORT)/simulator"
	@echo "Officer console: http://$(HOST):$(PORT)/admin/"
	CDHT_CONSOLE=1 $(FLASK) run --host $(HOST) --port $(PORT)

# The whole suite; set TEST_DATABASE_URL to run it against PostgreSQL.
test: $(STAMP)
	@echo "database: $${TEST_DATABASE_URL:-SQLite (temporary file)}"
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The officer guide's pictures (docs/screenshots/), taken by Debian's chromium on demo data.
screenshots: $(STAMP)
	$(BIN)/python tests/browser/screenshots.py

bench: $(STAMP)
	$(BIN)/python bench/engine.py

clean:
	rm -rf $(VENV) instance .pytest_cache
