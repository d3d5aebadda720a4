# mk/mono.mk: the Mono steps of `make mirror` and `make demo` (issue 4),
# included by the Makefile.
#
# demo-mono bundles the C# examples in examples/mono into single
# static executables with the static musl Mono runtime (built on first use)
# and runs them in an empty root and from their FROM scratch images.

MONO_OUT ?= $(CURDIR)/out/mono

DEMO_STEPS += demo-mono
.PHONY: demo-mono

demo-mono: build mirror
	bash examples/mono/demo.sh $(MCC) $(SOURCES) $(MONO_OUT)
