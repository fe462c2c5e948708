#!/usr/bin/env python3
"""Checks that BUILD.bazel builds the same targets from the same sources as CMakeLists.txt.

Compared, target by target: the .cc sources of every add_library / add_executable /
jobcontrol_test / jobcontrol_fuzz_test (with its corpus) in CMakeLists.txt against the srcs of
the Bazel rule with the same name, and the jobcontrol_proto(...) calls against the protos of the
generated_cc_proto_library (import path, and whether gRPC service code is generated).
foreach() loops in CMakeLists.txt are unrolled; BUILD.bazel is evaluated as Python. Headers are not compared: CMake does not list them
and BUILD.bazel globs them per directory.

Usage: bazel/check_build_sync.py [repo root]   (exit status 1 and a list of differences when
the two builds disagree)
"""

import glob as globlib
import os
import re
import sys

# What jobcontrol_fuzz_test() adds to each fuzz target when not built with libFuzzer.
FUZZ_CORPUS_RUNNER = "tests/fuzz/fuzz_corpus_runner.cc"


def fuzz_test_sources(source, corpus):
    return {source, FUZZ_CORPUS_RUNNER, "corpus " + corpus}


def expand_foreach(text):
    """Unrolls `foreach(var a b c) ... endforeach()` loops (not nested) into their bodies."""

    def unroll(match):
        variable, items, body = match.group(1), match.group(2).split(), match.group(3)
        return "\n".join(body.replace("${%s}" % variable, item) for item in items)

    return re.sub(
        r"\bforeach\s*\(\s*(\w+)\s+([^)]*)\)(.*?)\bendforeach\s*\([^)]*\)",
        unroll,
        text,
        flags=re.DOTALL,
    )


def cmake_targets(text):
    """Returns ({target: set of .cc}, {proto import path: generates gRPC code})."""
    text = expand_foreach(re.sub(r"#[^\n]*", "", text))
    targets = {}
    for match in re.finditer(
        r"\b(add_library|add_executable|jobcontrol_test)\s*\(([^)]*)\)", text
    ):
        tokens = match.group(2).split()
        if not tokens or tokens[0].startswith("$"):
            continue  # the definition of jobcontrol_test itself
        targets[tokens[0]] = {t for t in tokens[1:] if t.endswith(".cc")}
    for match in re.finditer(r"\bjobcontrol_fuzz_test\s*\(([^)]*)\)", text):
        tokens = match.group(1).split()
        if len(tokens) < 3 or tokens[0].startswith("$"):
            continue
        targets[tokens[0]] = fuzz_test_sources(tokens[1], tokens[2])
    protos = {}
    for match in re.finditer(r"\bjobcontrol_proto\s*\(([^)]*)\)", text):
        tokens = match.group(1).split()
        if len(tokens) != 3:
            continue
        protos[tokens[1]] = tokens[2].upper() in ("ON", "TRUE", "YES", "1")
    return targets, protos


def bazel_targets(root):
    """Evaluates BUILD.bazel with stand-ins for the rules it uses; same shapes as cmake_targets."""
    targets = {}
    proto_paths = {}

    def glob(patterns, exclude=(), **_):
        found = set()
        for pattern in patterns:
            found.update(
                os.path.relpath(p, root)
                for p in globlib.glob(os.path.join(root, pattern), recursive=True)
            )
        for pattern in exclude:
            found.difference_update(
                os.path.relpath(p, root)
                for p in globlib.glob(os.path.join(root, pattern), recursive=True)
            )
        return sorted(found)

    def cc_rule(name, srcs=(), **_):
        targets[name] = {s for s in srcs if s.endswith(".cc")}

    def jobcontrol_fuzz_test(name, src, corpus, **_):
        targets[name] = fuzz_test_sources(src, corpus)

    def generated_cc_proto_library(name, protos=(), grpc_protos=(), source_import_dir="", **_):
        targets[name] = set()  # generated sources only
        for proto, with_grpc in [(p, False) for p in protos] + [(p, True) for p in grpc_protos]:
            if proto.startswith("@"):
                path = proto.split("//:", 1)[1]
            else:
                path = proto[len(source_import_dir) + 1:]
            proto_paths[path] = with_grpc

    scope = {
        "load": lambda *args, **kwargs: None,
        "package": lambda **kwargs: None,
        "glob": glob,
        "cc_library": cc_rule,
        "cc_binary": cc_rule,
        "cc_test": cc_rule,
        "generated_cc_proto_library": generated_cc_proto_library,
        "jobcontrol_fuzz_test": jobcontrol_fuzz_test,
    }
    with open(os.path.join(root, "BUILD.bazel"), encoding="utf-8") as build_file:
        exec(compile(build_file.read(), "BUILD.bazel", "exec"), scope)
    return targets, proto_paths


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    root = os.path.abspath(root)
    with open(os.path.join(root, "CMakeLists.txt"), encoding="utf-8") as cmake_file:
        cmake, cmake_protos = cmake_targets(cmake_file.read())
    bazel, bazel_protos = bazel_targets(root)
    # CMake's proto library takes its sources from the jobcontrol_proto() calls.
    cmake.setdefault("jobcontrol_proto", set())

    problems = []
    for name in sorted(set(cmake) | set(bazel)):
        if name not in bazel:
            problems.append("target %s is in CMakeLists.txt but not in BUILD.bazel" % name)
        elif name not in cmake:
            problems.append("target %s is in BUILD.bazel but not in CMakeLists.txt" % name)
        else:
            for src in sorted(cmake[name] - bazel[name]):
                problems.append("%s: %s is in CMakeLists.txt only" % (name, src))
            for src in sorted(bazel[name] - cmake[name]):
                problems.append("%s: %s is in BUILD.bazel only" % (name, src))
    for proto in sorted(set(cmake_protos) | set(bazel_protos)):
        if proto not in bazel_protos:
            problems.append("jobcontrol_proto: %s is in CMakeLists.txt only" % proto)
        elif proto not in cmake_protos:
            problems.append("jobcontrol_proto: %s is in BUILD.bazel only" % proto)
        elif cmake_protos[proto] != bazel_protos[proto]:
            problems.append("jobcontrol_proto: %s generates gRPC code in only one build" % proto)
    for src in sorted({s for srcs in cmake.values() for s in srcs if not s.startswith("corpus ")}):
        if not os.path.exists(os.path.join(root, src)):
            problems.append("%s is listed but does not exist" % src)

    if problems:
        print("BUILD.bazel and CMakeLists.txt disagree:")
        for problem in problems:
            print("  " + problem)
        return 1
    print("BUILD.bazel matches CMakeLists.txt: %d targets, %d protos" % (len(cmake), len(cmake_protos)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
