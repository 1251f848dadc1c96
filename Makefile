# hookwell: `make dev` runs the whole pipeline locally, `make test` runs every test.
# Each target installs what it needs into .venv (ignored by git) and starts/stops moto itself.

SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
CARGO ?= cargo

.PHONY: help venv venv-sam clients browser dev test fmt-check clippy lint-template build bench bench-processor clean-venv \
	fuzz fuzz-tools fuzz-check soak load coldstart size
SAM_VENV := .venv-sam
export SAM_CLI_TELEMETRY := 0

help:
	@echo "make dev    run the local pipeline (moto + functions + queue poller)"
	@echo "make test   fmt, clippy and every test (starts moto on a free port; installs the"
	@echo "            axios client and playwright-core with npm, Debian's chromium if missing)"
	@echo "make bench  criterion benchmarks (release build)"
	@echo "make build  sam build: both Lambda bootstraps (ARCH=x86_64 by default here)"
	@echo "make fuzz   every fuzz target for FUZZ_SECS (default 60) each (nightly, cargo-fuzz)"
	@echo "make soak   HOOKWELL_SOAK_EVENTS (default 10000) events through the local stack"
	@echo "make load   hookwell vs Express vs Flask at fixed rates (LOAD_RATES, LOAD_SECS)"
	@echo "make coldstart  process start -> first answered invocation, both functions and a hello world"
	@echo "make size  release builds of both functions; fails when either is SIZE_LIMIT (8000000) B or more"

venv: $(VENV)/.installed

$(VENV)/.installed: infra/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r infra/requirements.txt
	touch $@

dev: venv
	infra/dev.sh

# The overview note's Node sender (axios, pinned by package-lock.json) for tests/integration/clients.rs;
# its Python sender uses requests from the venv.
CLIENTS := infra/clients
clients: $(CLIENTS)/node_modules/.installed

$(CLIENTS)/node_modules/.installed: $(CLIENTS)/package.json $(CLIENTS)/package-lock.json
	cd $(CLIENTS) && npm ci --no-audit --no-fund --silent
	touch $@

# The console's browser test (tests/integration/console.rs): Debian's chromium (installed by
# infra/browser.sh when /usr/bin/chromium is missing; apt-get needs root) and playwright-core,
# pinned by package-lock.json, which drives it (no browser download).
BROWSER := tests/browser
browser: $(BROWSER)/node_modules/.installed
	infra/browser.sh

$(BROWSER)/node_modules/.installed: $(BROWSER)/package.json $(BROWSER)/package-lock.json
	cd $(BROWSER) && npm ci --no-audit --no-fund --silent
	touch $@

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

test: venv clients browser fmt-check clippy lint-template fuzz-check
	infra/moto.sh $(CARGO) test --workspace --all-features

# The fuzz targets compile against the current library (on stable; running them needs nightly).
fuzz-check:
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml -- --check
	CARGO_TARGET_DIR=$(CURDIR)/target/fuzz-check $(CARGO) check --locked --manifest-path fuzz/Cargo.toml --bins

# Criterion per scheme and size, then the library path over the signature check (issue #16).
bench:
	$(CARGO) bench -p hookwell --bench verify
	$(CARGO) bench -p hookwell --bench ratio

# Processor against moto: throughput per batch of 10 and DynamoDB writes per event.
bench-processor: venv
	infra/moto.sh $(CARGO) bench -p hookwell-tests --bench processor

clean-venv:
	rm -rf $(VENV)

# Fuzzing (not part of `make test`): cargo-fuzz into .tools, the nightly toolchain, libFuzzer.
# Each target runs FUZZ_SECS; corpora grow in fuzz/corpus (ignored by git), seeded from
# fuzz/seeds. Stops at the first crash, leak, >1 GiB RSS or >256 MiB single allocation.
FUZZ_SECS ?= 60
FUZZ_TARGETS ?= verify identity envelope ingest config
FUZZ_TOOLS := $(CURDIR)/.tools
fuzz-tools: $(FUZZ_TOOLS)/bin/cargo-fuzz
$(FUZZ_TOOLS)/bin/cargo-fuzz:
	CARGO_TARGET_DIR=$(CURDIR)/target/tools $(CARGO) install --locked --root $(FUZZ_TOOLS) cargo-fuzz@0.13.2

fuzz: fuzz-tools
	@mkdir -p target/fuzz-logs
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  mkdir -p corpus/$$t seeds/$$t; \
	  echo "== fuzz $$t for $(FUZZ_SECS) s"; \
	  RUSTUP_TOOLCHAIN=nightly CARGO_TARGET_DIR=$(CURDIR)/target/fuzz $(FUZZ_TOOLS)/bin/cargo-fuzz run $$t \
	    corpus/$$t seeds/$$t -- -max_total_time=$(FUZZ_SECS) -rss_limit_mb=1024 -malloc_limit_mb=256 \
	    -print_final_stats=1 2>&1 | tee $(CURDIR)/target/fuzz-logs/$$t.log | grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|ERROR|panicked|stat::" ; \
	  test $${PIPESTATUS[0]} -eq 0 || exit 1; \
	done

# The soak (long): the local stack, 10 000 signed events, 10 % retries, 1 % poison.
HOOKWELL_SOAK_EVENTS ?= 10000
soak: venv
	HOOKWELL_SOAK_EVENTS=$(HOOKWELL_SOAK_EVENTS) infra/moto.sh $(CARGO) test -p hookwell-tests \
	  --test integration soak -- --ignored --nocapture

# Side-by-side load: hookwell's ingest (`hookwell serve`, release), Express and Flask peers.
load: venv
	$(VENV)/bin/pip install --quiet -r infra/load/requirements.txt
	cd infra/load/express && npm ci --no-audit --no-fund --silent
	$(CARGO) build --release -p hookwell-cli --bins --example http_floor
	infra/load/compare.sh

# Both release bootstraps (x86_64, stripped) must stay under SIZE_LIMIT bytes (issue #17;
# docs/BENCHMARKS.md, "Lambda binaries"). Not part of `make test`: a release build takes minutes.
SIZE_LIMIT ?= 8000000
size:
	$(CARGO) build --release -p ingest -p processor
	@dir="$${CARGO_TARGET_DIR:-target}/release"; fail=0; \
	for b in ingest processor; do \
	  n=$$(stat -c %s "$$dir/$$b") || exit 1; \
	  if [ "$$n" -lt $(SIZE_LIMIT) ]; then \
	    printf '%-10s %10d B  (%d B under %d)\n' "$$b" "$$n" $$(( $(SIZE_LIMIT) - n )) $(SIZE_LIMIT); \
	  else \
	    printf '%-10s %10d B  TOO BIG: limit %d B\n' "$$b" "$$n" $(SIZE_LIMIT) >&2; fail=1; \
	  fi; \
	done; exit $$fail

# Cold start of both release bootstraps under cargo-lambda's runtime API.
coldstart: venv
	$(CARGO) build --release -p ingest -p processor -p hello-lambda
	$(CARGO) build -p hookwell-tests --bin coldstart
	@echo "== with this machine's trust store (/etc/ssl/certs: one file per CA)"
	infra/moto.sh target/debug/coldstart
	@echo "== with a one-file trust store, as on Lambda's al2023"
	mkdir -p target/empty-cert-dir
	SSL_CERT_DIR=$(CURDIR)/target/empty-cert-dir SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
	  infra/moto.sh target/debug/coldstart
