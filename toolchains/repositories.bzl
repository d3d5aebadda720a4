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

    # Mono (toolchains/mono.bzl): fetched only when a Mono target is built.
    mcc_mono_sdk(name = "mcc_mono_sdk")
    mcc_mono_runtime(name = "mcc_mono_runtime_linux_amd64", target = "linux/amd64")

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
    mirror = []
    for name, path in zip(names, paths):
        ctx.download(url = "file://" + path, output = ctx.attr.pins[name], sha256 = records[name]["sha256"])

        # The same bytes under the pin's own file name: a directory that an
        # mcc command inside an action takes as --mirror (mcc mkbundle
        # --image fetches the CA roots itself).
        mirror.append("mirror/" + records[name]["file"])
        ctx.symlink(ctx.attr.pins[name], mirror[-1])
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    ctx.file("BUILD.bazel", "\n".join([
        "exports_files(%s)" % repr(sorted(ctx.attr.pins.values())),
        "",
        "filegroup(",
        "    name = \"mirror\",",
        "    srcs = %s," % repr(sorted(mirror)),
        "    visibility = [\"//visibility:public\"],",
        ")",
        "",
    ]))

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

_MONO_HINT = "apt-get install mono-devel (or run `make setup`)"

def _pinned_mono_version(ctx):
    # The Mono release the static runtime is built from: Debian's compiler
    # and class libraries must be the same release for the runtime to run
    # what they produce.
    for p in json.decode(ctx.read(ctx.path(Label("//sysroots:mono.json")))):
        if p["name"] == "mono-source":
            return p["version"]
    fail("mcc: sysroots/mono.json has no mono-source pin")

def _sha256(ctx, path):
    res = ctx.execute(["sha256sum", str(path)])
    if res.return_code != 0:
        fail("mcc: sha256sum %s failed: %s" % (path, res.stderr.strip()))
    return res.stdout.split(" ")[0]

def _mono_tool_version(ctx, cmd):
    # The word after "version" on the first line: "Mono C# compiler version
    # 6.8.0.105", "Mono JIT compiler version 6.8.0.105 (Debian ...)".
    res = ctx.execute(cmd)
    words = (res.stdout.splitlines() or [""])[0].split(" ")
    if res.return_code != 0 or "version" not in words or words.index("version") + 1 >= len(words):
        fail("mcc: `%s` failed (exit %d): %s; %s" % (
            " ".join([str(c) for c in cmd]),
            res.return_code,
            (res.stderr + res.stdout).strip(),
            _MONO_HINT,
        ))
    return words[words.index("version") + 1]

def _mcs_exe(ctx, mcs):
    # Debian's mcs is a script: exec /usr/bin/mono ... /usr/lib/mono/4.5/mcs.exe "$@".
    for word in ctx.read(mcs).replace("\n", " ").split(" "):
        if word.endswith("/mcs.exe") and ctx.path(word).exists:
            return ctx.path(word)
    fail("mcc: %s does not name an mcs.exe to run: %s" % (mcs, _MONO_HINT))

def _link_dlls(ctx, src, dst):
    n = 0
    for entry in src.readdir():
        if entry.basename.endswith(".dll"):
            ctx.symlink(entry, dst + "/" + entry.basename)
            n += 1
    return n

def _mcc_mono_sdk_impl(ctx):
    want = _pinned_mono_version(ctx)
    mcs = ctx.which("mcs")
    mono = ctx.which("mono")
    if not mcs or not mono:
        fail("mcc: Mono's C# compiler (mcs) not found: " + _MONO_HINT)
    exe = _mcs_exe(ctx, mcs)
    lib = ctx.path(ctx.attr.classlib_dir)
    if not ctx.path(str(lib) + "/mscorlib.dll").exists:
        fail("mcc: no Mono class libraries in %s (mscorlib.dll): %s" % (lib, _MONO_HINT))
    machine_config = ctx.path(ctx.attr.machine_config)
    if not machine_config.exists:
        fail("mcc: no %s: apt-get install mono-runtime" % machine_config)

    # mono refuses to start on class libraries of another release ("corlib
    # out of sync"), so the runtime's version is the class libraries' too.
    found = {
        "mcs": _mono_tool_version(ctx, [mono, exe, "--version"]),
        "mono": _mono_tool_version(ctx, [mono, "--version"]),
    }
    for what, v in found.items():
        if v != want:
            fail("mcc: Debian's %s is Mono %s, but mcc's static runtime is Mono %s (sysroots/mono.json): install Debian 12's Mono (%s)" % (what, v, want, _MONO_HINT))

    ctx.symlink(mono, "bin/mono")
    ctx.symlink(exe, "mcs.exe")
    ctx.symlink(machine_config, "etc/machine.config")
    if _link_dlls(ctx, lib, "lib/4.5") == 0 or _link_dlls(ctx, ctx.path(str(lib) + "/Facades"), "lib/4.5/Facades") == 0:
        fail("mcc: %s or its Facades directory has no assemblies: %s" % (lib, _MONO_HINT))

    # An input of every compile: a new Debian Mono changes the action keys
    # (the linked files are inputs too, so their bytes count as well).
    ctx.file("VERSION", "".join([
        "mono %s\n" % want,
        "mcs.exe sha256 %s\n" % _sha256(ctx, exe),
        "mono sha256 %s\n" % _sha256(ctx, mono),
        "mscorlib.dll sha256 %s\n" % _sha256(ctx, str(lib) + "/mscorlib.dll"),
    ]))
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    ctx.file("BUILD.bazel", """package(default_visibility = ["//visibility:public"])

exports_files([
    "VERSION",
    "bin/mono",
    "etc/machine.config",
    "mcs.exe",
])

# Debian's 4.5 profile: what mcs compiles against and mkbundle bundles.
filegroup(
    name = "classlib",
    srcs = glob(["lib/4.5/*.dll"]),
)

filegroup(
    name = "facades",
    srcs = glob(["lib/4.5/Facades/*.dll"]),
)
""")

mcc_mono_sdk = repository_rule(
    implementation = _mcc_mono_sdk_impl,
    doc = "Debian's Mono C# compiler (mcs), class libraries and machine.config, checked against the pinned Mono release.",
    attrs = {
        "classlib_dir": attr.string(default = "/usr/lib/mono/4.5"),
        "machine_config": attr.string(default = "/etc/mono/4.5/machine.config"),
    },
    # Re-checked at every server start: an apt upgrade of Mono is seen.
    local = True,
    environ = ["PATH"],
)

def _mcc_mono_runtime_impl(ctx):
    cmd = _mcc_cmd(ctx) + ["--json", "--target", ctx.attr.target]

    # Built once into mcc's store from the pinned, patched Mono source (the
    # same runtime `mcc mkbundle` uses), then copied in: actions never read
    # the store.
    out = json.decode(_run_mcc(ctx, cmd + ["toolchain", "install", "--mono"], timeout = 3600))
    if len(out) != 1 or not out[0].get("path"):
        fail("`mcc toolchain install --mono` printed %s, want one runtime" % out)
    dl = ctx.download(url = "file://" + out[0]["path"], output = "mono-runtime", executable = True)
    ctx.file("KEY", "%s %s sha256 %s\n" % (ctx.attr.target, out[0]["key"], dl.sha256))
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    ctx.file("BUILD.bazel", 'exports_files(["KEY", "mono-runtime"])\n')

mcc_mono_runtime = repository_rule(
    implementation = _mcc_mono_runtime_impl,
    doc = "mcc's static musl Mono runtime for one target, from `mcc toolchain install --mono`.",
    attrs = {"target": attr.string(default = "linux/amd64", values = MUSL_TARGETS.keys())},
    # Re-run at every server start (a store hit takes milliseconds): a new
    # mcc with a new runtime recipe is picked up.
    local = True,
    environ = ["MCC", "MCC_CACHE", "MCC_MIRROR", "MCC_OFFLINE", "XDG_CACHE_HOME", "PATH"],
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
