"""Public Bazel API of mcc: load mcc's rules from here."""

load(":image.bzl", _mcc_image = "mcc_image")
load(
    ":mono.bzl",
    _MonoAssemblyInfo = "MonoAssemblyInfo",
    _mono_binary = "mono_binary",
    _mono_bundle = "mono_bundle",
    _mono_image = "mono_image",
    _mono_library = "mono_library",
)

mcc_image = _mcc_image
MonoAssemblyInfo = _MonoAssemblyInfo
mono_binary = _mono_binary
mono_bundle = _mono_bundle
mono_image = _mono_image
mono_library = _mono_library
