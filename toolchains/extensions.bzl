"""Module extension for bzlmod users: the same repositories WORKSPACE declares.

The vendored Go packages, the musl toolchains and Mono come from the same
repository rules as in WORKSPACE mode; rules_go, gazelle and platforms come
from the registry (see MODULE.bazel).
"""

load(
    ":repositories.bzl",
    "MCC_PINS",
    "MUSL_TARGETS",
    "mcc_dep_repository",
    "mcc_mono_runtime",
    "mcc_mono_sdk",
    "mcc_musl_toolchain",
    "mcc_pins",
)

def _mcc_impl(_module_ctx):
    mcc_dep_repository(name = "mcc_go_deps", path = "go_deps")
    mcc_pins(name = "mcc_pins", pins = MCC_PINS)
    mcc_mono_sdk(name = "mcc_mono_sdk")
    mcc_mono_runtime(name = "mcc_mono_runtime_linux_amd64", target = "linux/amd64")
    for target, t in MUSL_TARGETS.items():
        mcc_musl_toolchain(name = "mcc_musl_" + t.name, target = target)

mcc = module_extension(
    implementation = _mcc_impl,
    doc = "Declares @mcc_go_deps, @mcc_pins (pinned files by role), the @mcc_musl_<target> C toolchain repositories and the Mono ones (@mcc_mono_sdk: Debian's mcs and class libraries; @mcc_mono_runtime_linux_amd64: mcc's static runtime).",
)
