# mk/mono.mk: the Mono steps of `make mirror` and `make demo` (issue 4),
# included by the Makefile.
#
# mirror-mono puts the pinned Mono source and kernel headers into the mirror
# (apt-get source / apt-get download; checked against sysroots/mono.json when
# used). demo-mono bundles the C# examples in examples/mono into single
# static executables with the static musl Mono runtime (built on first use)
# and runs them in an empty root and from their FROM scratch images.

MONO_OUT ?= $(CURDIR)/out/mono

DEMO_STEPS += demo-mono
.PHONY: mirror-mono demo-mono

mirror-mono:
	bash scripts/fill-mirror-mono.sh $(SOURCES)
mirror: mirror-mono

demo-mono: build mirror-mono
	bash examples/mono/demo.sh $(MCC) $(SOURCES) $(MONO_OUT)
