# msyshost — see README.md. Targets: run, test, bench, fuzz, check, build.
GO        ?= go
BIN       := bin/msyshost
FUZZTIME  ?= 30s
BENCHTIME ?= 2s

.PHONY: all build run test test-riak bench fuzz check deps clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/msyshost

# The daemon on the default config: embedded store and control socket under
# data/, everything on 127.0.0.1. Stop it with ^C.
run: build
	./$(BIN) run -c examples/msyshost.conf

# Unit, Lua, golden, differential (lua5.1) and scenario tests.
test: deps build
	$(GO) test ./...
	./$(BIN) test --junit bin/scenarios.xml examples/scenarios scriptlets/testdata

# The mstore behaviour suite against a real Riak node (HTTP and PB); make
# test runs it against the in-process fake in lib/mstore/riak/riaktest.
test-riak:
	MSYSHOST_RIAK="$${MSYSHOST_RIAK:-127.0.0.1:8098 pb://127.0.0.1:8087}" $(GO) test -count=1 -v -run TestSuiteRealRiak ./lib/mstore/riak/

bench: deps
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./...

# Every fuzz target, FUZZTIME each.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	    echo "== $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

check: build
	@out=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$out" || { echo "gofmt needed:"; echo "$$out"; exit 1; }
	$(GO) vet ./...
	./$(BIN) check examples/*.lua scriptlets/*.lua

# What the tests need beyond Go: lua5.1 is the oracle of the differential
# tests and the baseline of the dispatch benchmark.
deps:
	@command -v lua5.1 >/dev/null || { \
	  echo "installing lua5.1 (Debian package)"; \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq lua5.1; }
	@# SMPP interop peers: Net::SMPP (Debian) and the npm package smpp,
	@# pinned in .ci/peers/package-lock.json, installed outside the module.
	@{ perl -MNet::SMPP -e 1 2>/dev/null && command -v npm >/dev/null; } || { \
	  echo "installing libnet-smpp-perl, nodejs, npm (Debian packages)"; \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libnet-smpp-perl nodejs npm; }
	@test -f .ci/peers/node_modules/smpp/package.json || npm ci --prefix .ci/peers --no-audit --no-fund

clean:
	rm -rf bin
