"""mcc_image: a FROM-scratch image of a static binary, made by `mcc image`.

The rule runs the mcc binary that rules_go builds from this repository, with
mcc's default settings, so `mcc image -o out.tar BINARY` outside Bazel gives
the same bytes (and the same image digest) as the rule does.
"""

def _mcc_image_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".tar")
    sbom = ctx.actions.declare_file(ctx.label.name + ".spdx.json")
    binary = ctx.executable.binary
    args = ctx.actions.args()
    args.add("image")
    args.add("-o", out)

    # The same pinned module zip mcc fetches into its store by default, as
    # an input: both give the same image.
    args.add("--ca-roots", ctx.file.ca_roots)
    if ctx.attr.tag:
        args.add("--tag", ctx.attr.tag)
    args.add(binary)
    ctx.actions.run(
        executable = ctx.executable._mcc,
        arguments = [args],
        inputs = [binary, ctx.file.ca_roots],
        outputs = [out, sbom],
        mnemonic = "MccImage",
        progress_message = "Packing image %s" % ctx.label,
    )
    return [
        DefaultInfo(files = depset([out])),
        OutputGroupInfo(sbom = depset([sbom])),
    ]

mcc_image = rule(
    implementation = _mcc_image_impl,
    doc = "Packs a static binary into a reproducible FROM-scratch image tar (docker-archive).",
    attrs = {
        "binary": attr.label(
            mandatory = True,
            executable = True,
            cfg = "target",
            doc = "The static executable to put into the image (a go_binary with static = \"on\").",
        ),
        "ca_roots": attr.label(
            default = Label("@mcc_pins//:ca-roots.zip"),
            allow_single_file = [".zip"],
            doc = "The pinned CA roots (mcc's pin ca-roots, a Go module zip), from `mcc pins fetch ca-roots`.",
        ),
        "tag": attr.string(doc = "Image name:tag recorded in the archive; empty: mcc's default."),
        # mcc is built in the target configuration, not the exec one: on
        # Bazel 4 any other configuration compiles mcc's ~210 packages (and
        # the standard library) a second time, next to the same packages
        # that `bazel test //...` builds. So an image is built for the host
        # platform: for a cross image, build the binary with --platforms and
        # run `mcc image` on it (same bytes as this rule would give).
        "_mcc": attr.label(
            default = Label("//cmd/mcc"),
            executable = True,
            cfg = "target",
        ),
    },
)
