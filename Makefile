# Two commands for a newcomer: `make run` (the whole app, embedded) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
PORT ?= 8000
# The preset this machine's worker loads; it consumes that preset's queue (tryon.<preset>) and the
# default queue `tryon` (the sweeper task). Webhook deliveries have a worker of their own (a threads pool
# on tryon.webhooks), so a storefront that answers slowly never keeps a render waiting.
TRYON_PRESET ?= sd15
export TRYON_PRESET
WORKER := $(PY) -m celery -A tryon worker --pool=solo --concurrency=1 --loglevel=INFO --queues=tryon,tryon.$(TRYON_PRESET) \
	--hostname=render-$(TRYON_PRESET)@%h
WEBHOOK_WORKER := $(PY) -m celery -A tryon worker --pool=threads --concurrency=8 --loglevel=INFO --queues=tryon.webhooks \
	--hostname=webhooks@%h
# glibc hands pages back between diffusion steps and speed swings ~8 % with it: keep them (see DESIGN.md).
WORKER_ENV := MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=536870912

.PHONY: run test lint format venv worker webhook-worker beat clean

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "Python 3.11 is required")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	# The real CLIP tokenizer vocabulary ships in open-clip-torch; its own dependencies are not needed.
	$(PY) -m pip install --quiet --no-deps 'open-clip-torch==3.3.0'
	touch $@

venv: $(INSTALLED)

run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py tryon_demo
	@# First run: download the preset's weights (progress bar, resumable, sha256 manifest), or say how to get them.
	$(PY) manage.py tryon_models ensure
	@echo "Shop: http://127.0.0.1:$(PORT)/   Merchant admin: http://127.0.0.1:$(PORT)/admin/ (login in var/demo-login.txt)"
	@# The render worker is started again if it ends: past the hard time limit a hung render ends its process.
	@# It runs below the web app (nice), so a shopper's press is answered at once while it renders.
	@trap 'kill 0' EXIT; \
	  while :; do DJANGO_DEBUG=1 $(WORKER_ENV) nice -n 10 $(WORKER) --beat; echo "Render worker ended; restarting"; sleep 2; done & \
	  DJANGO_DEBUG=1 $(WEBHOOK_WORKER) & \
	  DJANGO_DEBUG=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

worker: venv
	$(WORKER_ENV) $(WORKER)

webhook-worker: venv
	$(WEBHOOK_WORKER)

beat: venv
	$(PY) -m celery -A tryon beat --loglevel=INFO

test: venv
	@# Browser tests (tests/tryon/browser) drive Debian's Chromium; install it once where it is missing.
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
	  || echo "Chromium could not be installed: browser tests will be skipped (and fail under CI=true)."
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	HF_HUB_OFFLINE=1 $(PY) -m pytest

lint: venv
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf $(VENV) var .models .pytest_cache .ruff_cache
