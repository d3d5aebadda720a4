"""mcc_image: a FROM-scratch image of a static binary, made by `mcc image`.

The rule runs the mcc binary that rules_go builds from this repository, with
mcc's default settings, so `mcc image -o out.tar BINARY` outside Bazel gives
the same bytes (and the same image digest) as the rule does.
"""

def _host_platform_impl(_settings, _attr):
    return {"//command_line_option:platforms": "@local_config_platform//:host"}

# mcc runs on the build machine, so it is built for the host platform. Unlike
# cfg = "exec", this keeps every other setting: when the target is the host
# (the usual case) mcc and its ~760 packages are the very same actions as
# `bazel build //cmd/mcc` and `bazel test //...` use, built once, not twice.
_host_platform = transition(
    implementation = _host_platform_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

def _mcc_image_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".tar")
    sbom = ctx.actions.declare_file(ctx.label.name + ".spdx.json")
    binary = ctx.executable.binary
    mcc = ctx.attr._mcc[0][DefaultInfo].files_to_run
    args = ctx.actions.args()
    args.add("image")
    args.add("-o", out)

    # The same pinned package mcc finds in its store by default, as an input.
    args.add("--ca-deb", ctx.file.ca_deb)
    if ctx.attr.tag:
        args.add("--tag", ctx.attr.tag)
    args.add(binary)
    ctx.actions.run(
        executable = mcc,
        arguments = [args],
        inputs = [binary, ctx.file.ca_deb],
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
        "ca_deb": attr.label(
            default = Label("@mcc_image_debs//:ca-certificates.deb"),
            allow_single_file = [".deb"],
            doc = "The pinned ca-certificates package (sysroots/cacerts.json).",
        ),
        "tag": attr.string(doc = "Image name:tag recorded in the archive; empty: mcc's default."),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
        "_mcc": attr.label(
            default = Label("//cmd/mcc"),
            executable = True,
            cfg = _host_platform,
        ),
    },
)
