#!/usr/bin/env bash
# End-to-end: an external gRPC client (buf curl, npm @bufbuild/buf) discovers and calls
# jobcontrold through server reflection alone, with no .proto files.
#
#   tests/reflection_test.sh <bin dir holding jobcontrold>
#
# Starts the daemon on 127.0.0.1:0 with a temporary data dir and credentials file, waits for
# its "serving gRPC on" line, then checks: the service list (JobService, PipelineService,
# Health), the method list, Health/Check = SERVING, SubmitJob + GetJob with a bearer token
# (and UNAUTHENTICATED without one), and that SIGTERM stops the daemon with exit status 0.
set -euo pipefail

if (($# != 1)); then
  echo "usage: $0 <bin dir holding jobcontrold>" >&2
  exit 2
fi
bin_dir="$(cd "$1" && pwd)"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
buf="${repo_root}/node_modules/.bin/buf"
if [[ ! -x "${buf}" ]]; then
  echo "FAIL: ${buf} is missing; run scripts/install-deps" >&2
  exit 1
fi

tmp="$(mktemp -d)"
daemon_pid=""
drain_pid=""
cleanup() {
  if [[ -n "${daemon_pid}" ]] && kill -0 "${daemon_pid}" 2>/dev/null; then
    kill -KILL "${daemon_pid}" 2>/dev/null || true
  fi
  if [[ -n "${drain_pid}" ]]; then
    kill "${drain_pid}" 2>/dev/null || true
  fi
  rm -rf "${tmp}"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  if [[ -f "${tmp}/daemon.log" ]]; then
    echo "--- jobcontrold output ---" >&2
    cat "${tmp}/daemon.log" >&2
  fi
  exit 1
}

token="reflection-test-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
cat >"${tmp}/creds.textproto" <<EOF
credentials {
  access_key_id: "reflection-test-access-key"
  access_key_secret: "reflection-test-secret"
  bearer_token: "${token}"
  tenant: "reflection-test"
  allowed_actions: "*"
}
EOF
chmod 0600 "${tmp}/creds.textproto"

# The daemon's stdout+stderr arrive on fd daemon_out; $! is the daemon itself (exec).
exec {daemon_out}< <(exec "${bin_dir}/jobcontrold" --grpc_listen=127.0.0.1:0 --http_listen=127.0.0.1:0 \
  --data_dir="${tmp}/data" --credentials="${tmp}/creds.textproto" 2>&1)
daemon_pid=$!

address=""
deadline=$((SECONDS + 60))
while ((SECONDS < deadline)); do
  if ! IFS= read -r -t $((deadline - SECONDS)) -u "${daemon_out}" line; then
    break  # timeout, or the daemon exited
  fi
  printf '%s\n' "${line}" >>"${tmp}/daemon.log"
  if [[ "${line}" =~ ^jobcontrold:\ serving\ gRPC\ on\ (127\.0\.0\.1:[0-9]+)$ ]]; then
    address="${BASH_REMATCH[1]}"
    break
  fi
done
[[ -n "${address}" ]] || fail "jobcontrold did not print 'serving gRPC on 127.0.0.1:<port>'"
# Keep reading the daemon's output so it never blocks on a full pipe.
cat <&"${daemon_out}" >>"${tmp}/daemon.log" &
drain_pid=$!
exec {daemon_out}<&-

url="http://${address}"
curl_flags=(--protocol grpc --http2-prior-knowledge --connect-timeout 10 --timeout 30s)
auth="authorization: Bearer ${token}"

# json_field <json> <python expression over `m`>: prints the value, e.g. json_field "$j" 'm["id"]'
json_field() {
  python3 -c 'import json, sys; m = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

services="$("${buf}" curl "${curl_flags[@]}" --list-services "${url}")" ||
  fail "buf curl --list-services failed"
for service in jobcontrol.v1.JobService jobcontrol.v1.PipelineService grpc.health.v1.Health; do
  grep -qxF "${service}" <<<"${services}" || fail "--list-services lacks ${service}:
${services}"
done

methods="$("${buf}" curl "${curl_flags[@]}" --list-methods "${url}")" ||
  fail "buf curl --list-methods failed"
for method in jobcontrol.v1.JobService/SubmitJob jobcontrol.v1.JobService/GetJob \
  jobcontrol.v1.JobService/ListJobs jobcontrol.v1.JobService/CancelJob \
  jobcontrol.v1.PipelineService/CreatePipeline grpc.health.v1.Health/Check; do
  grep -qxF "${method}" <<<"${methods}" || fail "--list-methods lacks ${method}:
${methods}"
done

health="$("${buf}" curl "${curl_flags[@]}" "${url}/grpc.health.v1.Health/Check")" ||
  fail "Health/Check failed"
[[ "$(json_field "${health}" 'm.get("status")')" == SERVING ]] ||
  fail "Health/Check answered ${health}, want status SERVING"

submit_body='{
  "job": {
    "dnaAnalysis": {
      "dbId": "reflection-db",
      "primaryKey": "video-1",
      "input": {"uri": "oss://bucket/a.mp4"}
    }
  },
  "requestId": "reflection-test-submit-1"
}'

# Without a token the call is refused (buf exits with the gRPC code << 3; UNAUTHENTICATED = 16).
set +e
"${buf}" curl "${curl_flags[@]}" -d "${submit_body}" \
  "${url}/jobcontrol.v1.JobService/SubmitJob" >"${tmp}/unauthenticated.out" 2>&1
status=$?
set -e
((status == 16 << 3)) ||
  fail "SubmitJob without a token: buf exit ${status}, want $((16 << 3)) (UNAUTHENTICATED): $(cat "${tmp}/unauthenticated.out")"

submitted="$("${buf}" curl "${curl_flags[@]}" -H "${auth}" -d "${submit_body}" \
  "${url}/jobcontrol.v1.JobService/SubmitJob")" || fail "SubmitJob failed"
job_id="$(json_field "${submitted}" 'm["id"]')"
[[ -n "${job_id}" ]] || fail "SubmitJob returned no id: ${submitted}"
[[ "$(json_field "${submitted}" 'm["state"]')" == QUEUED ]] ||
  fail "SubmitJob returned ${submitted}, want state QUEUED"

fetched="$("${buf}" curl "${curl_flags[@]}" -H "${auth}" -d "{\"jobId\": \"${job_id}\"}" \
  "${url}/jobcontrol.v1.JobService/GetJob")" || fail "GetJob ${job_id} failed"
[[ "$(json_field "${fetched}" 'm["id"]')" == "${job_id}" ]] ||
  fail "GetJob ${job_id} returned ${fetched}"
[[ "$(json_field "${fetched}" 'm["dnaAnalysis"]["dbId"]')" == reflection-db ]] ||
  fail "GetJob ${job_id} lost the job spec: ${fetched}"

# SIGTERM drains and exits 0 (under ASan, also without a leak report).
kill -TERM "${daemon_pid}"
set +e
wait "${daemon_pid}"
status=$?
set -e
daemon_pid=""
wait "${drain_pid}" 2>/dev/null || true
drain_pid=""
((status == 0)) || fail "jobcontrold exited with status ${status} after SIGTERM"

echo "PASS: buf curl lists and calls jobcontrold through reflection (${address})"
