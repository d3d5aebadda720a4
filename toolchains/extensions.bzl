"""Module extension for bzlmod users: the same repositories WORKSPACE declares.

The vendored Go packages and the musl toolchains come from the same
repository rules as in WORKSPACE mode; rules_go, gazelle and platforms come
from the registry (see MODULE.bazel).
"""

load(":repositories.bzl", "MCC_PINS", "MUSL_TARGETS", "mcc_dep_repository", "mcc_musl_toolchain", "mcc_pins")

def _mcc_impl(_module_ctx):
    mcc_dep_repository(name = "mcc_go_deps", path = "go_deps")
    mcc_pins(name = "mcc_pins", pins = MCC_PINS)
    for target, t in MUSL_TARGETS.items():
        mcc_musl_toolchain(name = "mcc_musl_" + t.name, target = target)

mcc = module_extension(
    implementation = _mcc_impl,
    doc = "Declares @mcc_go_deps, @mcc_pins (pinned files by role) and the @mcc_musl_<target> C toolchain repositories.",
)
