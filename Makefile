# mcc: one command for the demo (make demo), one for the tests (make test).
# Everything installs itself idempotently on Debian 12 (as root).
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
# No GOFLAGS=-mod=mod: go keeps its default -mod=readonly, so no build or
# test rewrites go.mod or go.sum (they are kept tidy: go mod tidy).

MCC      := $(CURDIR)/bin/mcc
SOURCES  := $(CURDIR)/.mirror/debian
# Extra steps other areas hook in from mk/*.mk (image, mono, bazel).
DEMO_STEPS :=
TEST_STEPS :=
-include mk/*.mk

.PHONY: all setup mirror build demo demo-go test test-go test-fuzz bench clean
all: build

setup:
	bash scripts/setup-debian.sh

build:
	go build -trimpath -o $(MCC) ./cmd/mcc

# mirror puts every pinned input into $(SOURCES) (the tests' mirror), fetched
# by mcc itself from the pins' own locations (release URLs, Debian archive
# paths, Go module zips), each checked against its pin. mcc fetches what it
# lacks on first use anyway: this is for pre-seeding offline runs.
mirror: setup build
	$(MCC) mirror fill --dir $(SOURCES) >/dev/null

demo: mirror demo-go $(DEMO_STEPS)

demo-go: build
	bash scripts/demo-go.sh $(MCC)

test: mirror test-go test-fuzz $(TEST_STEPS)

test-go: build
	MCC_TEST_SOURCES=$(SOURCES) MCC_TEST_STORE=$(CURDIR)/.cache/test-store go test -count=1 -timeout 75m ./...

# test-fuzz runs each parser of untrusted input briefly under the fuzzer,
# from its seed corpus in testdata/fuzz (a crash fails the run and leaves
# the failing input there to commit as a regression case).
FUZZ := internal/elfcheck:FuzzInspect internal/mkbundle:FuzzReadAssembly \
        internal/unpack:FuzzArchive internal/unpack:FuzzName sysroots:FuzzParse
test-fuzz:
	for f in $(FUZZ); do \
	  go test -run '^$$' -fuzz "^$${f#*:}$$" -fuzztime 10s -fuzzminimizetime 100x ./$${f%%:*} || exit 1; \
	done

bench: mirror
	bash bench/go.sh $(MCC)

clean:
	rm -rf bin out
