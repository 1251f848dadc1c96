# hookwell: `make dev` runs the whole pipeline locally, `make test` runs every test.
# Each target installs what it needs into .venv (ignored by git) and starts/stops moto itself.

SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
CARGO ?= cargo

.PHONY: help venv dev test fmt-check clippy bench clean-venv

help:
	@echo "make dev    run the local pipeline (moto + functions + queue poller)"
	@echo "make test   fmt, clippy and every test (starts moto on a free port)"
	@echo "make bench  criterion benchmarks (release build)"

venv: $(VENV)/.installed

$(VENV)/.installed: infra/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r infra/requirements.txt
	touch $@

dev: venv
	infra/dev.sh

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings

test: venv fmt-check clippy
	infra/moto.sh $(CARGO) test --workspace --all-features

bench:
	$(CARGO) bench -p hookwell --bench verify

clean-venv:
	rm -rf $(VENV)
