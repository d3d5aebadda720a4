"""Mono rules: C# compiled by Debian's mcs, bundled and packed by mcc.

    mono_library(name, srcs, deps, refs)  -> name.dll
    mono_binary(name, srcs, deps, refs)   -> name.exe
    mono_bundle(name, app, out)           -> one static executable
    mono_image(name, app, out, tag, ca_files)
                                          -> name.tar (docker-archive) + the bundle

mcs (@mcc_mono_sdk, toolchains/repositories.bzl) is Debian's, checked
against the pinned Mono release; its version file, mcs.exe and the class
libraries are inputs of every compile. mcs runs with -deterministic and
without debug information: the assembly then depends on the sources, the
references and the output's file name only, not on directories, so `mcs
-deterministic -out:server.exe server.cs` anywhere gives the same bytes.

mono_bundle and mono_image run `mcc mkbundle` (the mcc that rules_go builds
from this repository) with the static musl runtime from mcc's store
(@mcc_mono_runtime_linux_amd64, copied in) and Debian's class libraries as
declared inputs, so the bundle and the image digest are those of `mcc
mkbundle -o OUT --image OUT.tar app.exe` outside Bazel.
"""

MonoAssemblyInfo = provider(
    doc = "A compiled assembly and the assemblies of this build it needs at run time.",
    fields = {
        "assembly": "File: the .exe or .dll",
        "deps": "depset of File: the .dll files of mono_library deps, transitively",
    },
)

def _compile(ctx, kind, ext):
    out = ctx.actions.declare_file(ctx.label.name + ext)
    deps = [d[MonoAssemblyInfo] for d in ctx.attr.deps]
    args = ctx.actions.args()
    args.add(ctx.file._mcs)

    # Same bytes from any directory: no random module id, no debug
    # information (which would record source paths).
    args.add("-deterministic")
    args.add("-debug-")
    args.add("-target:" + kind)
    args.add("-out:" + out.path)
    args.add_all(ctx.attr.refs, format_each = "-r:%s")
    args.add_all([d.assembly for d in deps], format_each = "-r:%s")
    args.add_all(ctx.files.srcs)

    # mcs reads the framework assemblies from Mono's own directory, the
    # files @mcc_mono_sdk links to: declared so that their bytes are part
    # of the action key.
    inputs = depset(
        ctx.files.srcs + ctx.files._sdk + [ctx.file._mcs],
        transitive = [depset([d.assembly], transitive = [d.deps]) for d in deps],
    )
    ctx.actions.run(
        executable = ctx.executable._mono,
        arguments = [args],
        inputs = inputs,
        outputs = [out],
        mnemonic = "MonoCompile",
        progress_message = "Compiling C# %s" % ctx.label,
    )
    info = MonoAssemblyInfo(
        assembly = out,
        deps = depset([d.assembly for d in deps], transitive = [d.deps for d in deps]),
    )
    return [DefaultInfo(files = depset([out])), info]

_COMPILE_ATTRS = {
    "deps": attr.label_list(providers = [MonoAssemblyInfo], doc = "mono_library targets this code references."),
    "refs": attr.string_list(doc = "Framework assemblies to reference beyond mcs's defaults, e.g. System.Net.Http.dll."),
    "srcs": attr.label_list(allow_files = [".cs"], mandatory = True, doc = "C# sources."),
    "_mcs": attr.label(default = "@mcc_mono_sdk//:mcs.exe", allow_single_file = True),
    "_mono": attr.label(
        default = "@mcc_mono_sdk//:bin/mono",
        allow_single_file = True,
        executable = True,
        cfg = "exec",
    ),
    "_sdk": attr.label_list(allow_files = True, default = [
        "@mcc_mono_sdk//:VERSION",
        "@mcc_mono_sdk//:classlib",
        "@mcc_mono_sdk//:facades",
    ]),
}

def _mono_library_impl(ctx):
    return _compile(ctx, "library", ".dll")

def _mono_binary_impl(ctx):
    return _compile(ctx, "exe", ".exe")

mono_library = rule(
    implementation = _mono_library_impl,
    doc = "Compiles C# sources into NAME.dll with Debian's mcs.",
    attrs = _COMPILE_ATTRS,
)

mono_binary = rule(
    implementation = _mono_binary_impl,
    doc = "Compiles C# sources into NAME.exe with Debian's mcs (run it with mono, or bundle it with mono_bundle/mono_image).",
    attrs = _COMPILE_ATTRS,
)

# The shell around mcc: a store of its own for the one pinned file mkbundle
# --image fetches (the CA roots, from the @mcc_pins mirror, checked against
# the pin), removed afterwards. Nothing outside the action is read.
_MKBUNDLE_SH = """set -eu
store=$1
mcc=$2
shift 2
trap 'if [ -e "$store" ]; then chmod -R u+w "$store"; rm -rf "$store"; fi' EXIT
rm -rf "$store"
"$mcc" --quiet --offline --cache "$store" "$@"
"""

def _bundle(ctx, image):
    info = ctx.attr.app[MonoAssemblyInfo]
    name = ctx.attr.out or info.assembly.basename.rsplit(".", 1)[0]

    # The image records the bundle's file name (/app/NAME, the default tag):
    # the bundle keeps the name `mcc mkbundle -o NAME` would give it.
    bundle = ctx.actions.declare_file(ctx.label.name + "/" + name)
    outputs = [bundle]
    args = ctx.actions.args()
    args.add(bundle.path + ".mcc-store")
    args.add(ctx.executable._mcc)
    args.add("--mirror", ctx.files._mirror[0].dirname)
    args.add("mkbundle")
    args.add("-o", bundle)
    if image:
        tar = ctx.actions.declare_file(ctx.label.name + ".tar")
        outputs.append(tar)
        args.add("--image", tar)
        if ctx.attr.tag:
            args.add("--tag", ctx.attr.tag)
        args.add_all(ctx.files.ca_files, before_each = "--ca-file")
    args.add("--runtime", ctx.file._runtime)
    args.add("--machine-config", ctx.file._machine_config)
    args.add("--lib", ctx.files._classlib[0].dirname)
    args.add("--lib", ctx.files._facades[0].dirname)
    args.add(info.assembly)
    args.add_all(info.deps)
    ctx.actions.run_shell(
        command = _MKBUNDLE_SH,
        arguments = [args],
        tools = [ctx.executable._mcc],
        inputs = depset(
            [info.assembly, ctx.file._runtime, ctx.file._runtime_key, ctx.file._machine_config] +
            ctx.files._classlib + ctx.files._facades + ctx.files._mirror +
            (ctx.files.ca_files if image else []),
            transitive = [info.deps],
        ),
        outputs = outputs,
        mnemonic = "MccMkbundle",
        progress_message = "Bundling %s%s" % (ctx.label, " and its image" if image else ""),
    )
    if image:
        return [DefaultInfo(files = depset(outputs)), OutputGroupInfo(bundle = depset([bundle]))]
    return [DefaultInfo(files = depset([bundle]), executable = bundle)]

_BUNDLE_ATTRS = {
    "app": attr.label(mandatory = True, providers = [MonoAssemblyInfo], doc = "The mono_binary to bundle."),
    "out": attr.string(doc = "The bundle's file name (default: the app's name without .exe), as `mcc mkbundle -o`."),
    "_classlib": attr.label(default = "@mcc_mono_sdk//:classlib"),
    "_facades": attr.label(default = "@mcc_mono_sdk//:facades"),
    "_machine_config": attr.label(default = "@mcc_mono_sdk//:etc/machine.config", allow_single_file = True),
    # mcc is built in the target configuration, as in mcc_image (image.bzl):
    # another configuration would compile mcc and the standard library twice.
    "_mcc": attr.label(default = Label("//cmd/mcc"), executable = True, cfg = "target"),
    "_mirror": attr.label(default = "@mcc_pins//:mirror"),
    "_runtime": attr.label(default = "@mcc_mono_runtime_linux_amd64//:mono-runtime", allow_single_file = True),
    "_runtime_key": attr.label(default = "@mcc_mono_runtime_linux_amd64//:KEY", allow_single_file = True),
}

def _mono_bundle_impl(ctx):
    return _bundle(ctx, False)

def _mono_image_impl(ctx):
    return _bundle(ctx, True)

mono_bundle = rule(
    implementation = _mono_bundle_impl,
    doc = "One static linux/amd64 executable from a mono_binary (`mcc mkbundle`): bazel run works.",
    attrs = _BUNDLE_ATTRS,
    executable = True,
)

mono_image = rule(
    implementation = _mono_image_impl,
    doc = "The bundle in a reproducible FROM-scratch image, NAME.tar (`mcc mkbundle --image`); the bundle is in output group `bundle`.",
    attrs = dict(
        _BUNDLE_ATTRS,
        ca_files = attr.label_list(
            allow_files = [".pem", ".crt"],
            doc = "Extra CA certificates (PEM) the image trusts besides the pinned roots, as `mcc mkbundle --ca-file`.",
        ),
        tag = attr.string(doc = "Image name:tag in the archive; empty: mcc's default (the bundle's name:latest)."),
    ),
)
