"""Public Bazel API of mcc: load mcc's rules from here."""

load(":image.bzl", _mcc_image = "mcc_image")

mcc_image = _mcc_image
