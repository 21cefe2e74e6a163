# registry-gui — the two commands are `make run` and `make test` (see README.md).
# Every tool is installed on demand, idempotently, from the package registries only
# (rustup, crates.io, npm, apt). Nothing else is downloaded: trunk runs offline.

SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT := $(CURDIR)
TOOLS := $(ROOT)/.tools
export PATH := $(TOOLS)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

TRUNK_VERSION := 0.21.14
BINARYEN_VERSION := 132.0.0
# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
export TRUNK_TOOLS_WASM_BINDGEN := $(WASM_BINDGEN_VERSION)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_TEST_PACKAGES := docker-registry chromium chromium-driver skopeo postgresql
DIST := crates/web/dist
PORT ?= 12000
# The API fuzzer (schemathesis, from PyPI) lives in its own virtualenv.
VENV := $(ROOT)/.venv
FUZZ_REQUIREMENTS := scripts/requirements-fuzz.txt
FUZZ_STAMP = $(VENV)/.installed-$(shell sha256sum $(FUZZ_REQUIREMENTS) | cut -c1-16)
FUZZ_SECONDS ?= 180
FUZZ_QUICK_SECONDS ?= 40
# Cargo's output directory (CARGO_TARGET_DIR when set, as cargo itself does).
TARGET := $(or $(CARGO_TARGET_DIR),target)
BIN ?= $(TARGET)/release/registry-gui

.PHONY: help run test build web api lint fmt clippy unit-test tools tools-web tools-test \
        wasm-target trunk wasm-bindgen wasm-opt apt-test bench screenshots dist fuzz-api clean \
        tools-fuzz fuzz-api-quick openapi check-openapi test-postgres

help:
	@echo "make run    build the SPA and the API, serve on http://localhost:$(PORT)"
	@echo "make test   install test dependencies, lint, run every test"
	@echo "make bench  performance figures against a real local registry"
	@echo "make fuzz-api  schemathesis against the running API for FUZZ_SECONDS (default 180)"

## ---- tools ---------------------------------------------------------------

tools-web: wasm-target trunk wasm-bindgen wasm-opt

wasm-target:
	@rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
	  || rustup target add wasm32-unknown-unknown

trunk:
	@trunk --version 2>/dev/null | grep -q " $(TRUNK_VERSION)$$" \
	  || { echo "installing trunk $(TRUNK_VERSION) (takes ~7 minutes once)"; \
	       cargo install trunk --version $(TRUNK_VERSION) --locked; }

# No --locked: wasm-bindgen-cli's own lockfile pins a crate version crates.io no longer serves.
wasm-bindgen:
	@test -n "$(WASM_BINDGEN_VERSION)" || { echo "wasm-bindgen not found in Cargo.lock"; exit 1; }
	@wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)$$" \
	  || { echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (takes ~6 minutes once)"; \
	       cargo install wasm-bindgen-cli --version =$(WASM_BINDGEN_VERSION); }

# Debian's binaryen 108 produces a wasm that fails at load time with current Rust: use npm's.
wasm-opt:
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs npm; }
	@$(TOOLS)/node_modules/.bin/wasm-opt --version 2>/dev/null | grep -q "version $(firstword $(subst ., ,$(BINARYEN_VERSION)))" \
	  || { mkdir -p $(TOOLS) && cd $(TOOLS) && npm install --no-audit --no-fund --no-save binaryen@$(BINARYEN_VERSION); }

apt-test:
	@missing=""; for p in $(APT_TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then echo "installing$$missing"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

# Idempotent: a stamp named after the requirements' hash skips pip once they are installed.
tools-fuzz:
	@command -v python3 >/dev/null \
	  || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3 python3-venv; }
	@test -x $(VENV)/bin/python || python3 -m venv $(VENV) 2>/dev/null \
	  || { rm -rf $(VENV); echo "installing python3-venv"; \
	       $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-venv \
	       && python3 -m venv $(VENV); }
	@test -e $(FUZZ_STAMP) \
	  || { echo "installing $$(grep '^schemathesis==' $(FUZZ_REQUIREMENTS)) and its pinned dependencies into .venv"; \
	       $(VENV)/bin/python -m pip install -q --disable-pip-version-check -r $(FUZZ_REQUIREMENTS) \
	       && rm -f $(VENV)/.installed-* && touch $(FUZZ_STAMP); }

tools-test: tools-web apt-test
	@rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt

## ---- build ---------------------------------------------------------------

web: tools-web
	cd crates/web && trunk build --release

api:
	cargo build --release -p api --bin registry-gui

build: web api

# Loopback only unless HOST says otherwise (e.g. `make run HOST=0.0.0.0`).
HOST ?= 127.0.0.1
run: build
	@echo "serving on http://$(HOST):$(PORT) (loopback only unless HOST=0.0.0.0)"
	STATIC_DIR=$(DIST) HOST=$(HOST) PORT=$(PORT) $(TARGET)/release/registry-gui serve

## ---- checks --------------------------------------------------------------

fmt:
	cargo fmt --all

lint:
	cargo fmt --all -- --check
	@for src in crates/api/src crates/web/src; do python3 scripts/module-cycles $$src | tail -1 | sed "s|^|$$src: |"; \
	  python3 scripts/module-cycles $$src >/dev/null || { echo "module cycle in $$src"; exit 1; }; done
	cargo clippy -p shared -p api --all-targets -- -D warnings
	cargo clippy -p web --target wasm32-unknown-unknown -- -D warnings

unit-test:
	cargo test -p shared -p api --lib
	cargo test -p web

# The last two steps use what the cargo tests built: the OpenAPI copy the unit tests keep current,
# and the debug server binary for a short schemathesis run.
test: tools-test tools-fuzz web lint
	cargo test -p shared -p api --lib --bins --test api --test browser -- --test-threads 4
	$(MAKE) --no-print-directory test-postgres
	cargo test -p api --test timing -- --test-threads 1
	cargo test -p web
	$(MAKE) --no-print-directory check-openapi
	$(MAKE) --no-print-directory fuzz-api-quick BIN=$(TARGET)/debug/registry-gui

# The whole integration suite again, every app on a fresh database of a real PostgreSQL (Debian's
# server, started by the tests themselves in a temp dir): storage, API and CLI on the other back
# end. The cross-replica tests (tests/api/postgres.rs) run in both passes.
test-postgres: apt-test
	TEST_DATABASE=postgres cargo test -p api --test api -- --test-threads 4

# docs/openapi.json is the published copy of GET /api/openapi.json (a unit test keeps them equal).
openapi:
	cargo run -q -p api --bin registry-gui -- openapi > docs/openapi.json
	@echo "docs/openapi.json: $$(grep -c '"operationId"' docs/openapi.json) operations"

# Validates docs/openapi.json against the OpenAPI 3.1 meta-schema.
check-openapi: tools-fuzz
	$(VENV)/bin/openapi-spec-validator docs/openapi.json

bench: tools-test
	cargo bench -p api --bench bench

# The main screens in light and dark, from the real app in headless Chromium (an ignored test of
# the `browser` test binary, which `make test` runs without it).
screenshots: tools-web apt-test web
	cargo test -p api --test browser -- --ignored screenshots
	@echo "screenshots: docs/screenshots/ ($$(ls docs/screenshots/*.png | wc -l) PNGs)"

# Hostile input against the running API: schemathesis with a signed-in admin, against a real local
# registry with seeded images. Fails on any 500, response-schema violation or answer slower than 5 s.
fuzz-api: tools-fuzz apt-test api
	FUZZ_SECONDS=$(FUZZ_SECONDS) BIN=$(TARGET)/release/registry-gui scripts/fuzz-api

# The same with a small budget on an already built binary (for `make test`).
fuzz-api-quick: tools-fuzz apt-test
	FUZZ_SECONDS=$(FUZZ_QUICK_SECONDS) BIN=$(BIN) scripts/fuzz-api

# One self-contained artifact: the binary and the SPA it serves (STATIC_DIR defaults to ./dist).
VERSION := $(shell awk -F'"' '/^version = / {print $$2; exit}' Cargo.toml)
DIST_NAME := registry-gui-$(VERSION)-$(shell uname -m)-linux
dist: build
	rm -rf target/$(DIST_NAME) && mkdir -p target/$(DIST_NAME)
	cp $(TARGET)/release/registry-gui README.md target/$(DIST_NAME)/
	cp -r $(DIST) target/$(DIST_NAME)/dist
	strip target/$(DIST_NAME)/registry-gui
	tar -C target -czf target/$(DIST_NAME).tar.gz $(DIST_NAME)
	@echo "artifact: target/$(DIST_NAME).tar.gz ($$(du -h target/$(DIST_NAME).tar.gz | cut -f1))"
	@echo "binary:   $$(du -h target/$(DIST_NAME)/registry-gui | cut -f1) stripped; wasm: $$(du -ch $(DIST)/*.wasm | tail -1 | cut -f1)"

clean:
	cargo clean
	rm -rf $(DIST)
