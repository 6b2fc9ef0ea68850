# Two commands matter: `make demo` runs the portal locally, `make test` runs every test.
.DEFAULT_GOAL := help
SHELL := /bin/bash

.PHONY: help demo test lint format install clean bench faults screenshots container-check messages scale

help:  ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

install:  ## Create .venv with Python 3.13 and install the portal and its test tools
	@scripts/bootstrap.sh

demo:  ## Run the portal and the local Authlete sandbox with demo data (Ctrl-C stops both)
	@scripts/demo.sh

test:  ## Run the whole test suite (set DATABASE_URL=postgres://... for PostgreSQL)
	@scripts/test.sh $(ARGS)

bench:  ## Measure the main pages against a slow sandbox; each target PASS or MISS (ARGS=--strict)
	@scripts/bootstrap.sh && .venv/bin/python scripts/bench.py $(ARGS)

scale:  ## Disconnect an app from 10,000 people through a task worker killed half-way (slow)
	@scripts/bootstrap.sh && PORTAL_SCALE=1 .venv/bin/python -m pytest -m scale -s tests/reliability/test_sweep_worker.py

faults:  ## Break Authlete mid-change; compare what pages say, the audit and what Authlete holds
	@scripts/bootstrap.sh && .venv/bin/python scripts/faults.py

screenshots:  ## Write PNGs of the main pages (desktop and phone) into docs/screenshots/
	@scripts/bootstrap.sh && .venv/bin/python scripts/screenshots.py

container-check:  ## Build the images, run the compose stack on free ports and check it (needs Docker)
	@scripts/container-check.sh

messages:  ## Re-extract the strings to translate into locale/ and compile the catalogs (needs gettext)
	@scripts/messages.sh

lint:  ## Check style and common mistakes
	@scripts/bootstrap.sh >/dev/null && .venv/bin/ruff check . && .venv/bin/ruff format --check .

format:  ## Rewrite the code in the project's style
	@.venv/bin/ruff format . && .venv/bin/ruff check --fix .

clean:  ## Remove local state: the demo databases and collected static files
	rm -rf var staticfiles
