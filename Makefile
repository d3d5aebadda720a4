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
# Each target runs a fixed number of inputs (about 10 s on an idle machine),
# not a -fuzztime duration: Go 1.26's fuzz coordinator can report a bare
# "context deadline exceeded" failure when a duration ends while a worker is
# busy on a loaded machine (go.dev/issue/75804, fixed in Go 1.27); a count has
# no deadline to race. -timeout still bounds a hang.
FUZZ := internal/elfcheck:FuzzInspect:100000 internal/mkbundle:FuzzReadAssembly:80000 \
        internal/unpack:FuzzArchive:5000 internal/unpack:FuzzName:100000 \
        sysroots:FuzzParse:300000
test-fuzz:
	for f in $(FUZZ); do \
	  pkg=$${f%%:*}; rest=$${f#*:}; name=$${rest%%:*}; count=$${rest#*:}; \
	  go test -run '^$$' -fuzz "^$$name$$" -fuzztime $${count}x -fuzzminimizetime 100x -timeout 10m ./$$pkg || exit 1; \
	done

bench: mirror
	bash bench/go.sh $(MCC)

clean:
	rm -rf bin out
