# 复工通 Fugong — the two commands of the README, and a few helpers.
PYTHON_BIN ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_PASSWORD ?= fugong-demo-2020
HOST ?= 127.0.0.1:8000

.PHONY: demo test lint typecheck pytest serve bench fuzz clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_regions --towns 22,15
	$(PY) manage.py seed_demo --password "$(DEMO_PASSWORD)"
	$(PY) manage.py collectstatic --noinput -v0
	@echo ""
	@echo "复工通已启动：http://$(HOST)/   演示账号密码：$(DEMO_PASSWORD)"
	@# The job worker (big imports, later reminders) runs beside the web server and stops with it.
	$(PY) manage.py run_jobs & trap "kill $$! 2>/dev/null" EXIT INT TERM; $(PY) manage.py runserver $(HOST)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy .

# The whole suite on the embedded SQLite database, then on PostgreSQL when TEST_DATABASE_URL is set.
# CONN_MAX_AGE=0: the browser test's live-server threads must not keep the test database open.
test: $(STAMP) lint typecheck
	CONN_MAX_AGE=0 DATABASE_URL=sqlite:///$(CURDIR)/var/test-default.sqlite3 $(PY) -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL: $$TEST_DATABASE_URL"; \
		CONN_MAX_AGE=0 DATABASE_URL="$$TEST_DATABASE_URL" $(PY) -m pytest; \
	else echo "TEST_DATABASE_URL is not set: PostgreSQL leg skipped"; fi

bench: $(STAMP)
	$(PY) -m bench

# The API fuzz run at length: the suite's tests/test_api_fuzz.py with FUZZ_EXAMPLES requests per
# operation and mode (the suite uses 3), on SQLite, then on PostgreSQL when TEST_DATABASE_URL is set.
FUZZ_EXAMPLES ?= 60
fuzz: $(STAMP)
	CONN_MAX_AGE=0 DATABASE_URL=sqlite:///$(CURDIR)/var/test-fuzz.sqlite3 FUGONG_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
		$(PY) -m pytest -p no:cacheprovider tests/test_api_fuzz.py
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL: $$TEST_DATABASE_URL"; \
		CONN_MAX_AGE=0 DATABASE_URL="$$TEST_DATABASE_URL" FUGONG_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
			$(PY) -m pytest -p no:cacheprovider tests/test_api_fuzz.py; \
	fi

clean:
	rm -rf $(VENV) var/*.sqlite3* .pytest_cache .mypy_cache .ruff_cache
