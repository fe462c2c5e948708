# Shared by the gateway end-to-end tests (tests/*_gateway_test.sh), which source it after
# `set -euo pipefail`: a temporary directory, the daemons they start and the logs they keep.
#
#   tmp                       a fresh temporary directory, removed on exit with every
#                             daemon still running (SIGKILL)
#   fail <message>            prints the message and every ${tmp}/*.log, exits 1
#   start_daemon <log> <flags...>
#                             starts bin_dir/jobcontrold (bin_dir must be set), waits for its
#                             "serving HTTP on" line, sets http_address (and grpc_address
#                             when it serves gRPC); its output goes to ${tmp}/<log>.log
#   stop_daemons              SIGTERM to every daemon, last started first; fails unless
#                             each exits 0
#   random_suffix             16 random hex digits, for tokens

tmp="$(mktemp -d)"
pids=()
drain_pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    if kill -0 "${pid}" 2>/dev/null; then kill -KILL "${pid}" 2>/dev/null || true; fi
  done
  for pid in "${drain_pids[@]}"; do kill "${pid}" 2>/dev/null || true; done
  rm -rf "${tmp}"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for log in "${tmp}"/*.log; do
    [[ -f "${log}" ]] || continue
    echo "--- ${log##*/} ---" >&2
    cat "${log}" >&2
  done
  exit 1
}

random_suffix() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n'; }

start_daemon() {
  local name="$1"
  shift
  local out
  exec {out}< <(exec "${bin_dir}/jobcontrold" "$@" 2>&1)
  pids+=($!)
  http_address=""
  grpc_address=""
  local deadline=$((SECONDS + 60)) line
  while ((SECONDS < deadline)); do
    if ! IFS= read -r -t $((deadline - SECONDS)) -u "${out}" line; then
      break
    fi
    printf '%s\n' "${line}" >>"${tmp}/${name}.log"
    if [[ "${line}" =~ ^jobcontrold:\ serving\ gRPC\ on\ (127\.0\.0\.1:[0-9]+)$ ]]; then
      grpc_address="${BASH_REMATCH[1]}"
    fi
    if [[ "${line}" =~ ^jobcontrold:\ serving\ HTTP\ on\ (127\.0\.0\.1:[0-9]+)$ ]]; then
      http_address="${BASH_REMATCH[1]}"
      break
    fi
  done
  [[ -n "${http_address}" ]] || fail "${name} did not print 'serving HTTP on 127.0.0.1:<port>'"
  cat <&"${out}" >>"${tmp}/${name}.log" &
  drain_pids+=($!)
  exec {out}<&-
}

stop_daemons() {
  local i status
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}"
    set +e
    wait "${pids[i]}"
    status=$?
    set -e
    ((status == 0)) || fail "jobcontrold (pid ${pids[i]}) exited with status ${status} after SIGTERM"
  done
  pids=()
}
