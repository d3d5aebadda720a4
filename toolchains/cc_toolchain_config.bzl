"""The C toolchain configuration for mcc's musl cc wrappers.

The wrapper (from `mcc toolchain path`) already points gcc at the musl
sysroot and specs, so this only names the tools and adds the flags that keep
outputs reproducible; static linking is asked for per binary (rules_go's
static = "on" passes -static).
"""

load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")
load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
)

_COMPILE_ACTIONS = [
    ACTION_NAMES.assemble,
    ACTION_NAMES.preprocess_assemble,
    ACTION_NAMES.c_compile,
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
    ACTION_NAMES.cpp_module_codegen,
    ACTION_NAMES.linkstamp_compile,
]

def _musl_cc_toolchain_config_impl(ctx):
    tools = dict(ctx.attr.tools)
    tool_paths = [
        tool_path(name = "gcc", path = "bin/cc"),
        tool_path(name = "ar", path = tools["ar"]),
        tool_path(name = "ld", path = tools["ld"]),
        tool_path(name = "cpp", path = tools["cpp"]),
        tool_path(name = "nm", path = tools["nm"]),
        tool_path(name = "objcopy", path = tools["objcopy"]),
        tool_path(name = "objdump", path = tools["objdump"]),
        tool_path(name = "strip", path = tools["strip"]),
        tool_path(name = "gcov", path = "/bin/false"),
    ]
    features = [
        feature(
            name = "default_compile_flags",
            enabled = True,
            flag_sets = [flag_set(
                actions = _COMPILE_ACTIONS,
                flag_groups = [flag_group(flags = [
                    # No build-time stamps in objects.
                    "-Wno-builtin-macro-redefined",
                    "-D__DATE__=\"redacted\"",
                    "-D__TIMESTAMP__=\"redacted\"",
                    "-D__TIME__=\"redacted\"",
                    "-fno-canonical-system-headers",
                ])],
            )],
        ),
        feature(name = "supports_pic", enabled = True),
        feature(name = "fully_static_link"),
    ]

    # rules_cc 0.0.4 (Bazel 4) has no cc/common:cc_common.bzl to load it from.
    # buildifier: disable=native-cc-common
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        toolchain_identifier = "mcc-musl-" + ctx.attr.cpu,
        host_system_name = "x86_64-linux-gnu",
        target_system_name = ctx.attr.cpu + "-linux-musl",
        target_cpu = ctx.attr.cpu,
        target_libc = "musl",
        compiler = "gcc",
        abi_version = "musl",
        abi_libc_version = "musl",
        tool_paths = tool_paths,
        features = features,
        cxx_builtin_include_directories = ctx.attr.include_dirs,
    )

musl_cc_toolchain_config = rule(
    implementation = _musl_cc_toolchain_config_impl,
    attrs = {
        "cpu": attr.string(mandatory = True),
        "include_dirs": attr.string_list(),
        "tools": attr.string_dict(mandatory = True),
    },
    provides = [CcToolchainConfigInfo],
)
