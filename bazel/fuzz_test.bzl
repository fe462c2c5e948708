"""Fuzz targets of parsers, run over their seed corpus as ordinary tests.

The counterpart of jobcontrol_fuzz_test() in CMakeLists.txt without -DJOBCONTROL_LIBFUZZER:
the target's LLVMFuzzerTestOneInput is linked with tests/fuzz/fuzz_corpus_runner.cc, which
feeds it every file of the corpus directory. Real fuzzing (libFuzzer, clang) is CMake-only.
"""

load("@rules_cc//cc:defs.bzl", "cc_test")

def jobcontrol_fuzz_test(name, src, corpus, deps):
    """A cc_test running the fuzz target in `src` over the files of directory `corpus`.

    Args:
      name: test name, as in CMakeLists.txt.
      src: the .cc defining LLVMFuzzerTestOneInput.
      corpus: directory of seed inputs, relative to the repository root.
      deps: libraries the fuzz target needs.
    """
    cc_test(
        name = name,
        size = "small",
        srcs = [src, "tests/fuzz/fuzz_corpus_runner.cc"],
        # A test runs in the root of its runfiles tree, where the corpus sits at its source path.
        args = [corpus],
        data = native.glob([corpus + "/**"], allow_empty = False),
        deps = deps,
    )
