#!/usr/bin/env bash
# Smoke run of one benchmark scenario (bench/run_bench.py --smoke): the real
# jobcontrold and bench_baseline_server on 127.0.0.1 port 0, each load
# generator for about a second. It asserts only that the scenario ran and that
# every call it issued was counted by status (run_bench.py fails otherwise),
# never a speed: the full measurement is scripts/bench. The gateway scenario
# also requires every signed ICE and MPC request to be answered with its
# success status (200, MPC cancel 204), so a signer drift fails it.
#
# Usage: bench_smoke_test.sh <bin dir> <scenario>
set -euo pipefail
bin_dir="$1"
scenario="$2"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work_dir="$(mktemp -d)"
trap 'rm -rf "${work_dir}"' EXIT
output="$(python3 "${repo_root}/bench/run_bench.py" --smoke \
  --bin_dir="${bin_dir}" --work_dir="${work_dir}" --scenario="${scenario}")"
echo "${output}"
# The table has a header, a rule and at least one row of this scenario.
rows="$(grep -c '^| ' <<<"${output}")"
if (( rows < 3 )); then
  echo "bench_smoke_test: ${scenario} produced no result row" >&2
  exit 1
fi
