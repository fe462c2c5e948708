#!/usr/bin/env bash
# End-to-end: Huawei Cloud's own Node SDK core against jobcontrold's MPC dialect.
#
#   tests/mpc_gateway_test.sh <bin dir holding jobcontrold>
#
# Starts jobcontrold on 127.0.0.1:0 (gRPC and HTTP) with a temporary data dir and a
# credentials file of four credentials (tests/mpc/mpc_test_support.js names them), then:
#   1. tests/mpc/mpc_sdk_core_test.js    @huaweicloud/huaweicloud-sdk-core, AK/SK and
#                                        X-Auth-Token, every route, error and bad input;
#   2. the same tests through a second jobcontrold started with --upstream (the standalone
#      gateway in front of the first);
#   3. over gRPC (buf curl): the jobs of project p1 are exactly those the MPC tests created,
#      each an editing job, so no rejected request changed anything;
# and that SIGTERM stops both daemons with exit status 0.
set -euo pipefail

if (($# != 1)); then
  echo "usage: $0 <bin dir holding jobcontrold>" >&2
  exit 2
fi
bin_dir="$(cd "$1" && pwd)"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
buf="${repo_root}/node_modules/.bin/buf"
for module in @huaweicloud/huaweicloud-sdk-core uuid @bufbuild/buf; do
  if [[ ! -d "${repo_root}/node_modules/${module}" ]]; then
    echo "FAIL: ${module} is missing from node_modules; run scripts/install-deps" >&2
    exit 1
  fi
done

source "${repo_root}/tests/gateway_test_support.sh"

export MPC_TOKEN_P1="mpc-test-token-p1-$(random_suffix)"
export MPC_TOKEN_P2="mpc-test-token-p2-$(random_suffix)"
export MPC_TOKEN_P3="mpc-test-token-p3-$(random_suffix)"
cat >"${tmp}/creds.textproto" <<CREDS
credentials {
  access_key_id: "mpc-test-p1"
  access_key_secret: "mpc-test-secret-p1"
  bearer_token: "${MPC_TOKEN_P1}"
  tenant: "p1"
  allowed_actions: "*"
}
credentials {
  access_key_id: "mpc-test-p2"
  access_key_secret: "mpc-test-secret-p2"
  bearer_token: "${MPC_TOKEN_P2}"
  tenant: "p2"
  allowed_actions: "*"
}
credentials {
  access_key_id: "mpc-test-p3"
  access_key_secret: "mpc-test-secret-p3"
  bearer_token: "${MPC_TOKEN_P3}"
  tenant: "p3"
  allowed_actions: "*"
}
credentials {
  access_key_id: "mpc-test-viewer"
  access_key_secret: "mpc-test-secret-viewer"
  bearer_token: "mpc-test-token-viewer-$(random_suffix)"
  tenant: "p1"
  allowed_actions: "mpc:editingTask:view"
  allowed_actions: "jobcontrol.jobs.get"
}
CREDS
chmod 0600 "${tmp}/creds.textproto"

start_daemon daemon --grpc_listen=127.0.0.1:0 --http_listen=127.0.0.1:0 \
  --data_dir="${tmp}/data" --credentials="${tmp}/creds.textproto"
daemon_grpc="${grpc_address}"
daemon_http="${http_address}"
[[ -n "${daemon_grpc}" ]] || fail "jobcontrold did not print 'serving gRPC on'"

cd "${repo_root}"
run_node() {
  local endpoint="$1" ids_file="$2"
  echo "--- mpc_sdk_core_test.js against ${endpoint}"
  MPC_ENDPOINT="${endpoint}" MPC_GRPC_ADDRESS="${daemon_grpc}" MPC_JOB_IDS_FILE="${ids_file}" \
    node tests/mpc/mpc_sdk_core_test.js || fail "mpc_sdk_core_test.js against ${endpoint} failed"
}
run_node "http://${daemon_http}" "${tmp}/ids-direct"

start_daemon upstream-gateway --upstream="${daemon_grpc}" --http_listen=127.0.0.1:0 \
  --credentials="${tmp}/creds.textproto"
run_node "http://${http_address}" "${tmp}/ids-upstream"

# Over gRPC, as project p1: exactly the jobs the MPC tests created there, each an editing job.
# (The ids files also hold p3's jobs; those are not p1's.)
listed="$("${buf}" curl --protocol grpc --http2-prior-knowledge --timeout 30s \
  -H "authorization: Bearer ${MPC_TOKEN_P1}" -d '{"pageSize": 1000}' \
  "http://${daemon_grpc}/jobcontrol.v1.JobService/ListJobs")" || fail "ListJobs over gRPC failed"
listed_p3="$("${buf}" curl --protocol grpc --http2-prior-knowledge --timeout 30s \
  -H "authorization: Bearer ${MPC_TOKEN_P3}" -d '{"pageSize": 1000}' \
  "http://${daemon_grpc}/jobcontrol.v1.JobService/ListJobs")" || fail "ListJobs over gRPC failed"
python3 -c '
import json, sys
created = set(open(sys.argv[3]).read().split()) | set(open(sys.argv[4]).read().split())
jobs = json.loads(sys.argv[1]).get("jobs", []) + json.loads(sys.argv[2]).get("jobs", [])
assert all(j["kind"] == "JOB_KIND_EDITING" for j in jobs), jobs
listed = set(j["id"] for j in jobs)
assert listed == created, (sorted(listed - created), sorted(created - listed))
print(f"gRPC: the {len(listed)} jobs of projects p1 and p3 are exactly those created over MPC")
' "${listed}" "${listed_p3}" "${tmp}/ids-direct" "${tmp}/ids-upstream" ||
  fail "the jobs over gRPC differ from those created over MPC"

# SIGTERM stops the gateway first, then the daemon; both exit 0.
stop_daemons
echo "PASS: MPC gateway end to end (huaweicloud-sdk-core AK/SK and X-Auth-Token, --upstream)"
