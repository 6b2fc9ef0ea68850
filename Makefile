# Two commands matter: `make demo` runs the portal locally, `make test` runs every test.
.DEFAULT_GOAL := help
SHELL := /bin/bash

.PHONY: help demo test lint format install clean bench faults screenshots container-check

help:  ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

install:  ## Create .venv with Python 3.13 and install the portal and its test tools
	@scripts/bootstrap.sh

demo:  ## Run the portal and the local Authlete sandbox with demo data (Ctrl-C stops both)
	@scripts/demo.sh

test:  ## Run the whole test suite (set DATABASE_URL=postgres://... for PostgreSQL)
	@scripts/test.sh $(ARGS)

bench:  ## Measure latency and throughput of the main pages against a sandbox with fixed latency
	@scripts/bootstrap.sh && .venv/bin/python scripts/bench.py

faults:  ## Break Authlete mid-change; compare what pages say, the audit and what Authlete holds
	@scripts/bootstrap.sh && .venv/bin/python scripts/faults.py

screenshots:  ## Write PNGs of the main pages (desktop and phone) into docs/screenshots/
	@scripts/bootstrap.sh && .venv/bin/python scripts/screenshots.py

container-check:  ## Build the images, run the compose stack on free ports and check it (needs Docker)
	@scripts/container-check.sh

lint:  ## Check style and common mistakes
	@scripts/bootstrap.sh >/dev/null && .venv/bin/ruff check . && .venv/bin/ruff format --check .

format:  ## Rewrite the code in the project's style
	@.venv/bin/ruff format . && .venv/bin/ruff check --fix .

clean:  ## Remove local state: the demo databases and collected static files
	rm -rf var staticfiles
