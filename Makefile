# Handoff — everyday commands. `make run` to try it, `make test` before every commit.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LEADS  ?= 100000
DEALS  ?= 10000

.PHONY: install run test lint format bench bench-seed bench-reports load clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Set up, migrate, load demo data into an empty database, print the logins, serve on :8000.
run: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py createcachetable
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed_demo --if-empty
	@echo "\nHandoff is at http://127.0.0.1:8000/ (Ctrl-C stops it)\n"
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

## The whole test suite, browser tests included (they need /usr/bin/chromium).
test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Benchmarks (never part of CI; see bench/README.md).
## The harness: BENCH_LEADS leads on each of ENGINES (seeded once under bench/data/, PostgreSQL
## in a cluster of its own), served by gunicorn with 2 workers; every page against /healthz/,
## CSV export and import, check_sla. Prints a table and writes bench/results/<engine>-<date>.json.
BENCH_LEADS ?= 1000000
ENGINES     ?= sqlite postgres
bench: install
	$(BIN)/python bench/harness.py --leads $(BENCH_LEADS) $(foreach e,$(ENGINES),--engine $(e))

## Seeding LEADS demo leads, then importing DEALS deals, each into a scratch database.
bench-seed: install
	$(BIN)/python bench/seed_timing.py --leads $(LEADS)
	$(BIN)/python bench/deal_import_timing.py --deals $(DEALS)

## Every report page and the SLA page at BIG_LEADS leads (seeded once into BENCH_DB, then reused).
BIG_LEADS ?= 1000000
BENCH_DB  ?= /tmp/handoff-bench.sqlite3
bench-reports: install
	$(BIN)/python bench/report_timing.py --db $(BENCH_DB) --leads $(BIG_LEADS)

## Concurrent load (bench/load.py): reps' inbox, managers' report and the public form at once
## for LOAD_SECONDS against LOAD_LEADS leads on each of ENGINES; locust comes from the `bench` extra.
LOAD_LEADS   ?= 100000
LOAD_SECONDS ?= 60
LOAD_USERS   ?= 24
load: install
	$(BIN)/pip install --quiet ".[dev,bench]"
	$(BIN)/python bench/load.py --leads $(LOAD_LEADS) --seconds $(LOAD_SECONDS) --users $(LOAD_USERS) $(foreach e,$(ENGINES),--engine $(e))

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache test-artifacts
