"""Module extension for bzlmod users: the same repositories WORKSPACE declares.

The vendored Go packages and the musl toolchains come from the same
repository rules as in WORKSPACE mode; rules_go, gazelle and platforms come
from the registry (see MODULE.bazel).
"""

load(":repositories.bzl", "MUSL_TARGETS", "mcc_dep_repository", "mcc_musl_toolchain", "mcc_pinned_debs")

def _mcc_impl(_module_ctx):
    mcc_dep_repository(name = "mcc_go_deps", path = "go_deps")
    mcc_pinned_debs(
        name = "mcc_image_debs",
        pins = {Label("//sysroots:cacerts.json"): "ca-certificates"},
    )
    for target, t in MUSL_TARGETS.items():
        mcc_musl_toolchain(name = "mcc_musl_" + t.name, target = target)

mcc = module_extension(
    implementation = _mcc_impl,
    doc = "Declares @mcc_go_deps, @mcc_image_debs and the @mcc_musl_<target> C toolchain repositories.",
)
