"""Offline stand-in for @rules_cc//cc:defs.bzl: the native C++ rules under their rules_cc names.

Bazel 4.2.3's auto-configured C++ toolchain and this repository's BUILD files load these names;
each forwards its arguments unchanged to the rule built into Bazel.
"""

def cc_binary(**kwargs):
    native.cc_binary(**kwargs)

def cc_import(**kwargs):
    native.cc_import(**kwargs)

def cc_library(**kwargs):
    native.cc_library(**kwargs)

def cc_test(**kwargs):
    native.cc_test(**kwargs)

def cc_toolchain(**kwargs):
    native.cc_toolchain(**kwargs)

def cc_toolchain_suite(**kwargs):
    native.cc_toolchain_suite(**kwargs)
