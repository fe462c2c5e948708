#!/bin/sh
# Stand-in for Bazel's coverage tools, which this offline build does not have.
echo "bazel coverage is not supported by the offline jobcontrol build" >&2
exit 1
