# Two commands on a fresh machine with only Python 3.11+ and make:
#   make run    the whole stack on embedded services, with demo data
#   make test   the whole test suite on the same embedded services

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum < requirements.lock | cut -d' ' -f1)

.PHONY: run test venv messages manage lock lint typecheck contracts check bench-index bench-search bench-relations bench-reviews bench-lessons load load-lessons clean

$(STAMP): requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(STAMP)

# Our translations (locale/*/LC_MESSAGES/django.po) compiled to .mo in Python (Babel), so no
# GNU gettext is needed; the .mo files are build output, not committed.
messages: $(STAMP)
	@$(PY) -m config.messages

run: messages
	$(PY) -m config.launcher run

test: messages
	$(PY) -m config.launcher test $(PYTEST_ARGS)

# A management command against the stack `make run` started, e.g.
#   make manage ARGS="search_index status"
DATA_DIR := $(or $(MASH_DATA_DIR),.data)
manage: $(STAMP)
	@test -f $(DATA_DIR)/env || { echo "start the stack with 'make run' first"; exit 1; }
	set -a && . $(DATA_DIR)/env && $(PY) manage.py $(ARGS)

# Index pipeline benchmark: rebuild throughput vs raw bulk, commit-to-searchable lag.
bench-index: $(STAMP)
	$(PY) bench/index_bench.py $(BENCH_ARGS)

# Load test against a running stack (`make run` first): students browsing the
# marketplace while demo tutors edit their profiles; prints p50/p95/p99 and failures.
LOAD_HOST ?= http://127.0.0.1:8000
LOAD_USERS ?= 30
LOAD_TIME ?= 60s
# Only some user classes, e.g. LOAD_CLASSES="RelationsTutor RelationsStudent"; all when empty.
LOAD_CLASSES ?=
load: $(STAMP)
	$(PY) -m locust -f tests/load/locustfile.py --headless --only-summary \
		-u $(LOAD_USERS) -r 10 -t $(LOAD_TIME) -H $(LOAD_HOST) $(LOAD_CLASSES)

# Lessons under load (`make run` first): tutors and students booking, rescheduling,
# cancelling and reading calendars and feeds.
load-lessons: $(STAMP)
	$(PY) -m locust -f tests/load/lessons_locustfile.py --headless --only-summary \
		-u $(or $(LOAD_LESSON_USERS),20) -r 10 -t $(LOAD_TIME) -H $(LOAD_HOST)

# Search benchmark: API vs engine latency (20k tutors), index vs ORM ILIKE (100k tutors).
bench-search: $(STAMP)
	$(PY) bench/search_bench.py $(BENCH_ARGS)

# Relations dashboard benchmark: one tutor with 10k relations and 50k log rows, first page vs page 200.
bench-relations: $(STAMP)
	$(PY) bench/relations_bench.py $(BENCH_ARGS)

# Reviews benchmark: review-to-searchable lag (200 API reviews, real worker) and the
# public review list of a tutor with 10,000 reviews (first and deep page).
bench-reviews: $(STAMP)
	$(PY) bench/reviews_bench.py $(BENCH_ARGS)

# Lessons benchmark: a month calendar among 1,000,000 lessons (p50/p95, SQL count) and
# booking p95 under 20 concurrent clients.
bench-lessons: $(STAMP)
	$(PY) bench/lessons_bench.py $(BENCH_ARGS)

# Re-pin every dependency (hashes included) after editing pyproject.toml.
lock: $(STAMP)
	$(PY) -m pip install --quiet pip-tools
	$(PY) -m piptools compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --extra embedded --extra dev \
		-o requirements.lock pyproject.toml

lint: $(STAMP)
	$(PY) -m ruff check .

# mypy with the Django plugin over every package (config, web, indexer, search, bench).
typecheck: $(STAMP)
	DATABASE_URL=postgresql://localhost/mash SECRET_KEY=typecheck $(PY) -m mypy

# The layer contracts of pyproject.toml ([tool.importlinter]); docs/architecture.md explains them.
contracts: $(STAMP)
	$(VENV)/bin/lint-imports --no-cache

# What CI runs: the static checks first (seconds), then the suite.
check: lint typecheck contracts test

clean:
	rm -rf .data $(VENV)
