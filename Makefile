# hookwell: `make dev` runs the whole pipeline locally, `make test` runs every test.
# Each target installs what it needs into .venv (ignored by git) and starts/stops moto itself.

SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
CARGO ?= cargo

.PHONY: help venv venv-sam dev test fmt-check clippy lint-template build bench bench-processor clean-venv
SAM_VENV := .venv-sam
export SAM_CLI_TELEMETRY := 0

help:
	@echo "make dev    run the local pipeline (moto + functions + queue poller)"
	@echo "make test   fmt, clippy and every test (starts moto on a free port)"
	@echo "make bench  criterion benchmarks (release build)"
	@echo "make build  sam build: both Lambda bootstraps (ARCH=x86_64 by default here)"

venv: $(VENV)/.installed

$(VENV)/.installed: infra/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r infra/requirements.txt
	touch $@

dev: venv
	infra/dev.sh

$(SAM_VENV)/.installed: infra/requirements-sam.txt
	python3 -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet -r infra/requirements-sam.txt
	touch $@

venv-sam: $(SAM_VENV)/.installed

# Both linters run offline; what they do not check is asserted in tests/integration/template.rs.
lint-template: venv-sam
	$(SAM_VENV)/bin/sam validate --lint --region us-east-1 --template template.yaml
	$(SAM_VENV)/bin/cfn-lint template.yaml

# Both bootstraps, as `sam deploy` ships them. Only the x86_64 Rust target is installed here;
# with rustup access, `rustup target add aarch64-unknown-linux-gnu` and drop the override.
ARCH ?= x86_64
build: venv venv-sam
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(SAM_VENV)/bin/sam build --parameter-overrides Architecture=$(ARCH)
	@ls -l .aws-sam/build/IngestFunction/bootstrap .aws-sam/build/ProcessorFunction/bootstrap

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings

test: venv fmt-check clippy lint-template
	infra/moto.sh $(CARGO) test --workspace --all-features

bench:
	$(CARGO) bench -p hookwell --bench verify

# Processor against moto: throughput per batch of 10 and DynamoDB writes per event.
bench-processor: venv
	infra/moto.sh $(CARGO) bench -p hookwell-tests --bench processor

clean-venv:
	rm -rf $(VENV)
