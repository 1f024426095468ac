# Two commands do everything: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app points_app
STAMP := $(VENV)/.installed
PORT ?= 5000
PYTEST := $(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

.PHONY: run test test-sqlite test-postgres lint translations install vendor clean bench mutation

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) translations vendor

# Front-end libraries from npm (pinned in package-lock.json), copied into static/vendor/
# (gitignored): the counter's in-page QR reader. axe-core stays in node_modules for the
# browser tests' accessibility check.
VENDOR := static/vendor
VENDOR_STAMP := $(VENDOR)/.installed

$(VENDOR_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/zxing
	cp node_modules/zxing-wasm/dist/iife/reader/index.js $(VENDOR)/zxing/zxing-reader.js
	cp node_modules/zxing-wasm/dist/reader/zxing_reader.wasm $(VENDOR)/zxing/zxing_reader.wasm
	cp node_modules/zxing-wasm/LICENSE $(VENDOR)/zxing/LICENSE
	touch $@

vendor: $(VENDOR_STAMP)

translations: $(STAMP)
	$(BIN)/pybabel compile -d points_app/translations -f >/dev/null

run: install
	$(FLASK) db upgrade
	$(FLASK) demo
	@echo "Serving on http://127.0.0.1:$(PORT)  (Ctrl-C to stop)"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# The whole suite: SQLite and PostgreSQL (a throwaway server when none is given).
# The two databases' runs go side by side, one a core; each one's output is printed whole
# when it ends (-O), so neither garbles the other.
test: install lint
	$(MAKE) --no-print-directory -j2 -O test-sqlite test-postgres

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy points_app bench/util.py bench/loadgen.py bench/scenario.py

# TEST_DATABASE_URL is for the PostgreSQL run only; POINTS_EXPECT_DB lets a test check
# that each run really is on the database it claims.
test-sqlite: install
	env -u TEST_DATABASE_URL POINTS_EXPECT_DB=sqlite $(PYTEST)

test-postgres: install
	.ci/with-postgres $(PYTEST)

# wrk drives the load (bench/requests.lua); like .ci/run with PostgreSQL, install it
# from Debian when it is missing. BENCH picks the scenario, BENCH_ARGS its options:
#   make bench BENCH=bench.checkin_bench BENCH_ARGS="--runs 3"
BENCH ?= bench
bench: install
	@command -v wrk >/dev/null || { echo "Installing wrk with apt-get"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq || { sleep 10; apt-get update -qq; }; \
	  apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
	$(BIN)/python -m $(BENCH) $(BENCH_ARGS)

# Mutation testing (slow, not in CI): mutmut plants one bug at a time in the rule modules
# ([tool.mutmut] in pyproject.toml) and runs only the tests that cover it, on SQLite.
# One package at a time, niced, each bounded by MUTATION_TIMEOUT seconds; results are kept
# in mutants/ (a package named again is checked again). Then the bugs mutmut cannot plant
# (in decorated functions) are planted by tests/planted_mutants.py. Figures: TESTING.md.
MUTATION_PACKAGES ?= core.permissions.* core.qr.* store.services.cards.* events.services.codes.* \
  ledger.services.* core.masking.* ledger.* store.* issues.workflow.* events.services*
MUTATION_TIMEOUT ?= 7200
MUTATION_JOBS ?= 2
mutation: install
	@mkdir -p mutants; for pkg in $(MUTATION_PACKAGES); do \
	  log="mutants/run-$$(echo "$$pkg" | tr -d '*').log"; \
	  echo "== mutmut: points_app.$$pkg (log: $$log)"; \
	  env -u TEST_DATABASE_URL nice -n 15 timeout $(MUTATION_TIMEOUT) \
	    $(BIN)/mutmut run --max-children $(MUTATION_JOBS) "points_app.$$pkg" >"$$log" 2>&1 \
	    || echo "   (stopped: exit $$?)"; \
	done
	$(BIN)/python -m tests.mutation_report
	env -u TEST_DATABASE_URL nice -n 15 $(BIN)/python -m tests.planted_mutants

clean:
	rm -rf $(VENV) instance/points.db* mutants node_modules $(VENDOR)
