# 对账 — the two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: fonts run test bench bench-dashboard bench-custom-reports bench-queue bench-ingest bench-returns bench-payments bench-outbound bench-reports setup messages migrate demo worker clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP) messages fonts

# PDF reports are set in a CJK font from the system's packages (never a font file in the repository); Pango, which
# lays them out, comes with the same packages. Installed here when missing and apt-get can (as root).
fonts:
	@if [ -z "$$(fc-list :lang=zh 2>/dev/null)" ] || ! ldconfig -p 2>/dev/null | grep -q libpangoft2; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing the CJK font and Pango for PDF reports (fonts-wqy-microhei, libpango)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei fontconfig libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
		else \
			echo "PDF reports need a CJK font and Pango: sudo apt-get install fonts-wqy-microhei libpango-1.0-0 libpangoft2-1.0-0"; exit 1; \
		fi; \
	fi

# Catalogues are compiled with Babel so that no system gettext is needed.
messages: $(STAMP)
	@for po in locale/*/LC_MESSAGES/*.po; do \
		[ -f "$$po" ] || continue; \
		$(BIN)/pybabel -q compile -i "$$po" -o "$${po%.po}.mo" || exit 1; \
	done

migrate: setup
	$(BIN)/python manage.py migrate --noinput -v0

demo: migrate
	$(BIN)/python manage.py seed_demo

# The demo: SQLite and a filesystem broker (no server), a real Celery worker beside the web server.
# -B embeds beat in the worker, so the sweeps (re-send pending runs, fail runs whose heartbeat stopped) and the
# schedules kept in the database run here too; production runs beat as its own service (docker-compose.yml).
run: demo
	@echo "Starting the Celery worker with embedded beat (log: var/worker.log) and the web server on http://127.0.0.1:$(PORT)/"
	@$(BIN)/celery -A recon worker -B --loglevel=INFO --concurrency=2 > var/worker.log 2>&1 & \
	  WORKER=$$!; trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

worker: setup
	$(BIN)/celery -A recon worker --loglevel=INFO

test: setup
	$(BIN)/python manage.py makemigrations --check --dry-run -v0
	$(BIN)/pytest $(PYTEST_ARGS)

# Benchmarks: on PostgreSQL when DATABASE_URL points to one, else on the SQLite default.
BENCH_LINES ?= 100000
BENCH_REPEAT ?= 3
bench: migrate
	$(BIN)/python manage.py bench_courier_fee --lines $(BENCH_LINES) --repeat $(BENCH_REPEAT)

# Reading a bill: the upload limits' scan and the child process against the parse itself (xlsx and csv).
BENCH_INGEST_LINES ?= 100000
bench-ingest: setup
	$(BIN)/python manage.py bench_ingest --lines $(BENCH_INGEST_LINES) --repeat $(BENCH_REPEAT)

# The review queue at a million rows: PostgreSQL only (DATABASE_URL); it deletes the rows it made when done.
BENCH_QUEUE_ROWS ?= 1000000
BENCH_QUEUE_REPEAT ?= 20
bench-queue: migrate
	$(BIN)/python manage.py bench_queue --rows $(BENCH_QUEUE_ROWS) --repeat $(BENCH_QUEUE_REPEAT) --explain

# The returns run on 200,000 request rows with their receipts and freight: PostgreSQL only (DATABASE_URL); it deletes
# the rows it made when done.
BENCH_RETURNS ?= 200000
bench-returns: migrate
	$(BIN)/python manage.py bench_returns --requests $(BENCH_RETURNS) --repeat $(BENCH_REPEAT)

clean:
	rm -rf var staticfiles .pytest_cache

# Payment collection at a million orders: the bank run (and the settlement run when that kind is declared) on
# 1,000,000 orders with their settlement lines and 50,000 bank lines; PostgreSQL only (DATABASE_URL); it deletes the
# rows it made when done.
BENCH_PAYMENTS_ORDERS ?= 1000000
bench-payments: migrate
	$(BIN)/python manage.py bench_payments --orders $(BENCH_PAYMENTS_ORDERS)

# Outbound at half a million orders: a day of orders, outbound records and pickup scans, the run of that day, then 10,000
# pickup scans posted through the API with their checks per waybill; PostgreSQL only (DATABASE_URL); it deletes the rows
# it made when done.
BENCH_OUTBOUND_ORDERS ?= 500000
bench-outbound: migrate
	$(BIN)/python manage.py bench_outbound --orders $(BENCH_OUTBOUND_ORDERS)

BENCH_DASHBOARD_ROWS ?= 1000000
bench-dashboard: migrate
	$(BIN)/python manage.py bench_dashboard --rows $(BENCH_DASHBOARD_ROWS)
# The period report of a million discrepancies (Excel against xlsxwriter alone, CSV), then the custom report's grouping
# (bench-custom-reports, issue 13's third figure): PostgreSQL only (DATABASE_URL); each deletes the rows it made when done.
BENCH_REPORTS_ROWS ?= 1000000
bench-reports: migrate
	$(BIN)/python manage.py bench_reports --rows $(BENCH_REPORTS_ROWS) --repeat $(BENCH_REPEAT)
	$(BIN)/python manage.py bench_custom_reports --rows $(BENCH_CUSTOM_REPORT_ROWS) --repeat 5
# A custom report grouping a million discrepancies by counterparty × month × type (median of 5, with its plan);
# PostgreSQL only (DATABASE_URL); it deletes the rows it made when done.
BENCH_CUSTOM_REPORT_ROWS ?= 1000000
bench-custom-reports: migrate
	$(BIN)/python manage.py bench_custom_reports --rows $(BENCH_CUSTOM_REPORT_ROWS) --repeat 5
