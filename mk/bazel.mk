# mk/bazel.mk: the Bazel steps of `make demo` and `make test` (issue 5),
# included by the Makefile.
#
# demo-bazel prepares the offline Bazel workspace (scripts/setup-bazel.sh)
# and builds //app:image with mcc's musl toolchain; afterwards a plain
# `bazel build //app:image` works in this checkout. test-bazel runs every
# Bazel check (scripts/test-bazel.sh); each fails, none skips.

BAZEL_ENV := USE_BAZEL_VERSION=4 MCC=$(MCC)

DEMO_STEPS += demo-bazel
TEST_STEPS += test-bazel
.PHONY: setup-bazel demo-bazel test-bazel bench-bazel

setup-bazel:
	bash scripts/setup-bazel.sh

demo-bazel: build mirror setup-bazel
	@echo "== bazel build //app:image //app:app (rules_go + mcc's musl toolchain, offline)"
	$(BAZEL_ENV) bazel build //app:image //app:app
	@echo "== the Bazel-built binary, and the image mcc_image packed from it"
	bazel-bin/app/app_/app
	$(MCC) verify bazel-bin/app/app_/app
	@ls -l bazel-bin/app/image.tar

test-bazel: build mirror setup-bazel
	$(BAZEL_ENV) bash scripts/test-bazel.sh

# bench-bazel measures the figures in bench/bazel.md (cold, no-op,
# incremental, remote-cache builds, output base sizes) into out/bench-bazel.md.
bench-bazel: build mirror setup-bazel
	mkdir -p out && : > out/bench-bazel.md
	$(BAZEL_ENV) BENCH_OUT=$(CURDIR)/out/bench-bazel.md bash scripts/test-bazel.sh build cache
	cat out/bench-bazel.md
