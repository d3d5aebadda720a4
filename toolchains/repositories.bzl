"""Repository rules that wire mcc's Bazel build together offline.

scripts/setup-bazel.sh fills .bazel-deps/ (rules_go and rules_cc with our
patches, the pinned Go SDK, the vendored Go modules with their BUILD files);
mcc_dependencies() links those in and fails with the command to run when the
setup has not been run. mcc_pins runs `mcc pins fetch` for the pinned files
the build takes as inputs (@mcc_pins//:ca-roots.zip). mcc_musl_toolchains()
runs `mcc toolchain install` and turns each target's musl cc wrapper into a
registered C toolchain.
"""

_SETUP_HINT = "run `make demo` (or `bash scripts/setup-bazel.sh`) in this checkout first"

_MCC_HINT = "run `make build` (or `make demo`) first, or set MCC to an mcc binary"

# The pinned files the build takes as inputs, by role: mcc's pin name ->
# file name in @mcc_pins (@mcc_pins//:ca-roots.zip). Versions and digests
# live only in the pin files (sysroots/*.json) that mcc embeds.
MCC_PINS = {
    "ca-roots": "ca-roots.zip",
}

# Every pin file: reading them makes a pin bump re-run @mcc_pins (a pin that
# did not change is a store hit, so that costs nothing).
_PIN_FILES = [
    Label("//sysroots:image.json"),
    Label("//sysroots:mono.json"),
    Label("//sysroots:musl.json"),
]

# The table's order (amd64 first), not sorted: the generated block below
# follows toolchains/targets.go.
# buildifier: disable=unsorted-dict-items
# BEGIN MUSL_TARGETS: generated from toolchains/targets.go by
# `go test ./toolchains -run TestBazelTargetsMatchTable -update`; do not edit.
# Maps mcc's --target to its Bazel name, the C toolchain's CPU, Debian's
# binutils prefix and the CPU constraint rules_go picks the Go SDK by.
MUSL_TARGETS = {
    "linux/amd64": struct(name = "linux_amd64", cpu = "x86_64", binutils = "x86_64-linux-gnu", constraint = "@platforms//cpu:x86_64"),
    "linux/arm64": struct(name = "linux_arm64", cpu = "aarch64", binutils = "aarch64-linux-gnu", constraint = "@platforms//cpu:aarch64"),
    "linux/arm/v7": struct(name = "linux_arm_v7", cpu = "armv7", binutils = "arm-linux-gnueabihf", constraint = "@platforms//cpu:arm"),
    "linux/riscv64": struct(name = "linux_riscv64", cpu = "riscv64", binutils = "riscv64-linux-gnu", constraint = "@io_bazel_rules_go//go/toolchain:riscv64"),
    "linux/386": struct(name = "linux_386", cpu = "i686", binutils = "i686-linux-gnu", constraint = "@platforms//cpu:x86_32"),
    "linux/ppc64le": struct(name = "linux_ppc64le", cpu = "powerpc64le", binutils = "powerpc64le-linux-gnu", constraint = "@platforms//cpu:ppc"),
    "linux/s390x": struct(name = "linux_s390x", cpu = "s390x", binutils = "s390x-linux-gnu", constraint = "@platforms//cpu:s390x"),
    "linux/mips64le": struct(name = "linux_mips64le", cpu = "mips64el", binutils = "mips64el-linux-gnuabi64", constraint = "@io_bazel_rules_go//go/toolchain:mips64le"),
    "linux/mipsle": struct(name = "linux_mipsle", cpu = "mipsel", binutils = "mipsel-linux-gnu", constraint = "@io_bazel_rules_go//go/toolchain:mipsle"),
}
# END MUSL_TARGETS

def _workspace_dir(ctx):
    return ctx.path(Label("@//:WORKSPACE")).dirname

def _deps_dir(ctx):
    return str(_workspace_dir(ctx)) + "/.bazel-deps"

def _mcc_dep_repository_impl(ctx):
    src = ctx.path(_deps_dir(ctx) + "/" + ctx.attr.path)
    if not ctx.path(_deps_dir(ctx) + "/READY").exists or not src.exists:
        fail("mcc: Bazel dependency .bazel-deps/%s is missing: %s" % (ctx.attr.path, _SETUP_HINT))
    for entry in src.readdir():
        ctx.symlink(entry, entry.basename)
    if ctx.attr.build_file_content:
        if ctx.path("BUILD.bazel").exists or ctx.path("BUILD").exists:
            fail("mcc: .bazel-deps/%s already has a BUILD file" % ctx.attr.path)
        ctx.file("BUILD.bazel", ctx.attr.build_file_content)
    if not ctx.path("WORKSPACE").exists and not ctx.path("WORKSPACE.bazel").exists:
        ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)

mcc_dep_repository = repository_rule(
    implementation = _mcc_dep_repository_impl,
    doc = "Links a directory of .bazel-deps/ in as a repository.",
    attrs = {
        "build_file_content": attr.string(doc = "BUILD.bazel to write when the directory has none"),
        "path": attr.string(mandatory = True, doc = "directory under .bazel-deps/"),
    },
    # Re-linked on every server start, so a new setup run is seen at once.
    local = True,
)

def _stub_repository_impl(ctx):
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    ctx.file("BUILD.bazel", ctx.attr.build_file_content)

_stub_repository = repository_rule(
    implementation = _stub_repository_impl,
    attrs = {"build_file_content": attr.string(mandatory = True)},
)

# buildifier: disable=unnamed-macro
def mcc_dependencies():
    """Declares every repository the build needs.

    Nothing is downloaded by Bazel: mcc fetches a pin its store and mirrors
    lack (`mcc pins fetch`).
    """
    mcc_dep_repository(name = "io_bazel_rules_go", path = "rules_go")
    mcc_dep_repository(name = "rules_cc", path = "rules_cc")
    mcc_dep_repository(
        name = "mcc_go_sdk_files",
        path = "go",
        build_file_content = "exports_files([\"VERSION\"])\n",
    )
    mcc_dep_repository(name = "mcc_go_deps", path = "go_deps")
    mcc_pins(name = "mcc_pins", pins = MCC_PINS)

    # Debian's bazel-skylib and bazel-rules-java packages.
    native.local_repository(name = "bazel_skylib", path = "/usr/share/bazel/tools/skylib")
    native.local_repository(name = "rules_java", path = "/usr/share/bazel/rules/java")

    # `bazel test` asks for coverage tools even when coverage is off; they
    # are only downloaded for real coverage runs, which mcc does not do.
    _stub_repository(
        name = "remote_coverage_tools",
        build_file_content = "\n".join([
            "package(default_visibility = [\"//visibility:public\"])",
            "",
            "filegroup(name = \"coverage_report_generator\")",
            "",
            "filegroup(name = \"lcov_merger\")",
            "",
        ]),
    )

def _absolute(label):
    # Bazel 4 prints labels of the main repository without "@".
    s = str(label)
    return "@" + s if s.startswith("//") else s

def _find_mcc(ctx):
    mcc = ctx.os.environ.get("MCC", "")
    if mcc:
        path = ctx.path(mcc)
    else:
        path = ctx.path(str(_workspace_dir(ctx)) + "/bin/mcc")
    if not path.exists:
        fail("mcc: no mcc binary at %s to build the musl toolchain with: %s" % (path, _MCC_HINT))
    return path

def _mcc_cmd(ctx):
    # mcc and its global flags. mcc looks in its store, then its local
    # mirror, then the --mirror given here: MCC_MIRROR, else the checkout's
    # mirror (`make mirror`), then the pin's own locations.
    cmd = [_find_mcc(ctx)]
    mirror = str(_workspace_dir(ctx)) + "/.mirror/debian"
    if not ctx.os.environ.get("MCC_MIRROR") and ctx.path(mirror).exists:
        cmd += ["--mirror", "file://" + mirror]
    return cmd

def _run_mcc(ctx, cmd, timeout = 600):
    # Returns mcc's stdout; on failure, mcc's own one-line error names the
    # problem and the fix: it is passed on.
    res = ctx.execute(cmd, timeout = timeout)
    if res.return_code != 0:
        fail("`mcc %s` failed (exit %d):\n%s" % (
            " ".join([str(a) for a in cmd[1:]]),
            res.return_code,
            (res.stderr + res.stdout).strip(),
        ))
    return res.stdout.strip()

def _mcc_musl_toolchain_impl(ctx):
    target = MUSL_TARGETS[ctx.attr.target]

    cmd = _mcc_cmd(ctx) + ["--target", ctx.attr.target]
    _run_mcc(ctx, cmd + ["toolchain", "install"], timeout = 3600)
    cc = ctx.path(_run_mcc(ctx, cmd + ["toolchain", "path"]))
    if not cc.exists:
        fail("`mcc toolchain path` printed %s for %s, which does not exist" % (cc, ctx.attr.target))

    # The wrapper and the whole store entry it uses (headers, libc.a, specs)
    # are inputs of every C action, so a new musl build changes action keys.
    ctx.symlink(cc, "bin/cc")
    ctx.symlink(cc.dirname.dirname, "sysroot")

    tools = {}
    for tool in ["ar", "ld", "nm", "objcopy", "objdump", "strip", "cpp"]:
        path = ctx.which(target.binutils + "-" + tool)
        if not path:
            fail("mcc: %s-%s not found; run `make setup` (Debian's binutils for %s)" % (target.binutils, tool, ctx.attr.target))
        tools[tool] = str(path)

    # Header directories the compiler searches on its own, for Bazel's
    # inclusion checks: the wrapper's -v output lists them.
    res = ctx.execute(["sh", "-c", "echo | '%s' -xc -E -v - 2>&1 >/dev/null" % cc])
    include_dirs = []
    in_list = False
    for line in res.stdout.splitlines():
        if line.startswith("#include <...> search starts here:"):
            in_list = True
        elif line.startswith("End of search list."):
            in_list = False
        elif in_list:
            include_dirs.append(str(ctx.path(line.strip())))

    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    ctx.template("BUILD.bazel", ctx.attr._build_tpl, {
        "{config_bzl}": _absolute(Label("//toolchains:cc_toolchain_config.bzl")),
        "{cpu}": target.cpu,
        "{include_dirs}": repr(include_dirs),
        "{target}": ctx.attr.target,
        "{tools}": repr(tools),
    })

mcc_musl_toolchain = repository_rule(
    implementation = _mcc_musl_toolchain_impl,
    doc = "A C toolchain for one musl target, built by `mcc toolchain install`.",
    attrs = {
        "target": attr.string(mandatory = True, values = MUSL_TARGETS.keys()),
        "_build_tpl": attr.label(default = "//toolchains:BUILD.musl.tpl"),
    },
    environ = ["MCC", "MCC_CACHE", "MCC_MIRROR", "MCC_OFFLINE", "XDG_CACHE_HOME", "PATH"],
)

def _mcc_pins_impl(ctx):
    for f in ctx.attr._pin_files:
        ctx.path(f)  # watched: a pin bump re-runs this rule
    cmd = _mcc_cmd(ctx)
    names = sorted(ctx.attr.pins.keys())
    records = {p["name"]: p for p in json.decode(_run_mcc(ctx, cmd + ["--json", "pins", "list"] + names))}

    # `mcc pins fetch` fetches what the store lacks, checks size and sha256,
    # and prints each pin's store path, in the order asked.
    paths = _run_mcc(ctx, cmd + ["pins", "fetch"] + names, timeout = 3600).splitlines()
    if len(paths) != len(names):
        fail("`mcc pins fetch %s` printed %d paths, want one per pin" % (" ".join(names), len(paths)))

    # Copied in (not linked), checked again against the pin's sha256 on the
    # way: the repository holds the pinned bytes whatever later happens to
    # the store.
    for name, path in zip(names, paths):
        ctx.download(url = "file://" + path, output = ctx.attr.pins[name], sha256 = records[name]["sha256"])
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    ctx.file("BUILD.bazel", "exports_files(%s)\n" % repr(sorted(ctx.attr.pins.values())))

mcc_pins = repository_rule(
    implementation = _mcc_pins_impl,
    doc = "Pinned files (sysroots/*.json) as checked inputs, fetched by `mcc pins fetch`.",
    attrs = {
        "pins": attr.string_dict(
            mandatory = True,
            doc = "mcc's pin name -> the file name it gets in this repository",
        ),
        "_pin_files": attr.label_list(default = _PIN_FILES, allow_files = [".json"]),
    },
    # Only which mcc runs matters: the bytes are pinned, wherever they come from.
    environ = ["MCC"],
)

# buildifier: disable=unnamed-macro
def mcc_musl_toolchain_targets():
    """Declares, in //toolchains, each target's toolchain() and platform().

    A toolchain runs on this x86_64 Linux host and serves its target's CPU;
    a platform (//toolchains:linux_arm64, ...) is what --platforms names, with
    cgo on so rules_go links through the musl C toolchain.
    """
    for t in MUSL_TARGETS.values():
        native.toolchain(
            name = "musl_" + t.name,
            exec_compatible_with = [
                "@platforms//os:linux",
                "@platforms//cpu:x86_64",
            ],
            target_compatible_with = [
                "@platforms//os:linux",
                t.constraint,
            ],
            toolchain = "@mcc_musl_%s//:cc_toolchain" % t.name,
            toolchain_type = "@bazel_tools//tools/cpp:toolchain_type",
        )
        native.platform(
            name = t.name,
            constraint_values = [
                "@platforms//os:linux",
                t.constraint,
                "@io_bazel_rules_go//go/toolchain:cgo_on",
            ],
        )

# buildifier: disable=unnamed-macro
def mcc_musl_toolchains():
    """Declares the musl C toolchain repositories and registers them.

    The toolchain() targets live in //toolchains, so resolving a toolchain
    builds only the musl sysroot of the target actually asked for.
    """
    for target, t in MUSL_TARGETS.items():
        mcc_musl_toolchain(name = "mcc_musl_" + t.name, target = target)
        native.register_toolchains("//toolchains:musl_" + t.name)
