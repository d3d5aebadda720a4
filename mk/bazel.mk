# mk/bazel.mk: the Bazel steps of `make demo` and `make test` (issue 5),
# included by the Makefile.
#
# demo-bazel prepares the offline Bazel workspace (scripts/setup-bazel.sh)
# and builds //app:image with mcc's musl toolchain and the Mono server image
# (toolchains/mono.bzl); afterwards a plain `bazel build //app:image` or
# `bazel build //examples/mono:server_image` works in this checkout.
# test-bazel runs every Bazel check (scripts/test-bazel.sh); each fails,
# none skips.
#
# The demo's build writes Bazel's disk cache (BAZEL_DISK_CACHE): the
# remote-cache check of test-bazel starts from it, so `make demo && make
# test` does one cold Bazel build, not two. Bazel 4 never trims a disk
# cache: `make clean-bazel-cache` removes it.

BAZEL_DISK_CACHE ?= $(CURDIR)/.cache/bazel-disk
BAZEL_ENV := USE_BAZEL_VERSION=4 MCC=$(MCC) BAZEL_DISK_CACHE=$(BAZEL_DISK_CACHE)

DEMO_STEPS += demo-bazel
TEST_STEPS += test-bazel
.PHONY: setup-bazel demo-bazel test-bazel bench-bazel clean-bazel-cache

setup-bazel:
	bash scripts/setup-bazel.sh

demo-bazel: build mirror setup-bazel
	@echo "== bazel build //app:image //app:app //examples/mono:server_image (rules_go + mcc's musl toolchain, mcs + mcc mkbundle; offline)"
	$(BAZEL_ENV) bazel build --disk_cache=$(BAZEL_DISK_CACHE) //app:image //app:app //examples/mono:server_image
	@echo "== the Bazel-built binary, and the images mcc_image and mono_image packed"
	bazel-bin/app/app_/app
	$(MCC) verify bazel-bin/app/app_/app
	@ls -l bazel-bin/app/image.tar bazel-bin/examples/mono/server_image.tar

# MCC_CACHE: the repository rules install the musl toolchains and the Mono
# runtime from the store the Go tests built them in (make test-go), so each
# is built once per make test.
test-bazel: build mirror setup-bazel
	MCC_CACHE=$(CURDIR)/.cache/test-store $(BAZEL_ENV) bash scripts/test-bazel.sh

# bench-bazel measures the figures in bench/bazel.md (cold, no-op,
# incremental, remote-cache builds, output base sizes) into out/bench-bazel.md.
bench-bazel: build mirror setup-bazel
	mkdir -p out && : > out/bench-bazel.md
	$(BAZEL_ENV) BENCH_OUT=$(CURDIR)/out/bench-bazel.md bash scripts/test-bazel.sh build cache
	cat out/bench-bazel.md

clean-bazel-cache:
	rm -rf $(BAZEL_DISK_CACHE)
