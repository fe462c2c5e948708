#!/usr/bin/env bash
# End-to-end: Alibaba Cloud's own Node clients against jobcontrold's ICE gateway.
#
#   tests/ice_gateway_test.sh <bin dir holding jobcontrold>
#
# Starts jobcontrold on 127.0.0.1:0 (gRPC and HTTP) with a temporary data dir and a
# credentials file of three credentials (tests/ice/ice_test_support.js names them), then:
#   1. tests/ice/ice_pop_core_test.js      @alicloud/pop-core, signature V1, GET and POST
#   2. tests/ice/ice_openapi_v3_test.js    @alicloud/openapi-client, signature V3
#   3. the same pop-core tests through a second jobcontrold started with --upstream (the
#      standalone gateway in front of the first);
#   4. over gRPC (buf curl): every job the ICE tests submitted is the same job, and no
#      other job exists for tenant 1, so no rejected request changed anything;
# and that SIGTERM stops both daemons with exit status 0.
set -euo pipefail

if (($# != 1)); then
  echo "usage: $0 <bin dir holding jobcontrold>" >&2
  exit 2
fi
bin_dir="$(cd "$1" && pwd)"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
buf="${repo_root}/node_modules/.bin/buf"
for module in @alicloud/pop-core @alicloud/openapi-client; do
  if [[ ! -d "${repo_root}/node_modules/${module}" ]]; then
    echo "FAIL: ${module} is missing from node_modules; run scripts/install-deps" >&2
    exit 1
  fi
done

source "${repo_root}/tests/gateway_test_support.sh"

token_t1="ice-test-token-t1-$(random_suffix)"
cat >"${tmp}/creds.textproto" <<CREDS
credentials {
  access_key_id: "ice-test-t1"
  access_key_secret: "ice-test-secret-t1"
  bearer_token: "${token_t1}"
  tenant: "t1"
  allowed_actions: "*"
}
credentials {
  access_key_id: "ice-test-t2"
  access_key_secret: "ice-test-secret-t2"
  bearer_token: "ice-test-token-t2-$(random_suffix)"
  tenant: "t2"
  allowed_actions: "*"
}
credentials {
  access_key_id: "ice-test-ro"
  access_key_secret: "ice-test-secret-ro"
  bearer_token: "ice-test-token-ro-$(random_suffix)"
  tenant: "t1"
  allowed_actions: "ice:QueryDNAJobList"
  allowed_actions: "ice:GetPipeline"
  allowed_actions: "ice:ListPipelines"
  allowed_actions: "jobcontrol.jobs.get"
  allowed_actions: "jobcontrol.jobs.list"
  allowed_actions: "jobcontrol.pipelines.get"
  allowed_actions: "jobcontrol.pipelines.list"
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
  local script="$1" endpoint="$2" ids_file="$3"
  echo "--- ${script} against ${endpoint}"
  ICE_ENDPOINT="${endpoint}" ICE_JOB_IDS_FILE="${ids_file}" node "tests/ice/${script}" ||
    fail "${script} against ${endpoint} failed"
}
run_node ice_pop_core_test.js "http://${daemon_http}" "${tmp}/ids-pop-core"
run_node ice_openapi_v3_test.js "http://${daemon_http}" "${tmp}/ids-v3"

start_daemon upstream-gateway --upstream="${daemon_grpc}" --http_listen=127.0.0.1:0 \
  --credentials="${tmp}/creds.textproto"
run_node ice_pop_core_test.js "http://${http_address}" "${tmp}/ids-upstream"

# Over gRPC, as tenant 1: exactly the jobs the ICE tests submitted, each a DNA job.
expected="$(cat "${tmp}"/ids-* | sort -u)"
listed="$("${buf}" curl --protocol grpc --http2-prior-knowledge --timeout 30s \
  -H "authorization: Bearer ${token_t1}" -d '{"pageSize": 1000}' \
  "http://${daemon_grpc}/jobcontrol.v1.JobService/ListJobs")" || fail "ListJobs over gRPC failed"
actual="$(python3 -c '
import json, sys
jobs = json.loads(sys.argv[1]).get("jobs", [])
assert all(j["kind"] == "JOB_KIND_DNA_ANALYSIS" for j in jobs), jobs
print("\n".join(sorted(j["id"] for j in jobs)))' "${listed}")" || fail "ListJobs answer: ${listed}"
[[ "${actual}" == "${expected}" ]] || fail "tenant 1's jobs over gRPC differ from those submitted over ICE:
gRPC: ${actual}
ICE:  ${expected}"
first_job="$(head -n1 "${tmp}/ids-pop-core")"
fetched="$("${buf}" curl --protocol grpc --http2-prior-knowledge --timeout 30s \
  -H "authorization: Bearer ${token_t1}" -d "{\"jobId\": \"${first_job}\"}" \
  "http://${daemon_grpc}/jobcontrol.v1.JobService/GetJob")" || fail "GetJob ${first_job} failed"
python3 -c '
import json, sys
job = json.loads(sys.argv[1])
assert job["state"] == "CANCELED", job
assert job["dnaAnalysis"]["dbId"] == "db-e2e", job
assert job["dnaAnalysis"]["input"]["uri"] == "oss://bucket/video/a b.mp4", job
assert job["userData"] == "user data: 中文 & more", job' "${fetched}" ||
  fail "the job submitted over ICE differs over gRPC: ${fetched}"
echo "gRPC: the $(wc -l <<<"${expected}") jobs submitted over ICE are the jobs of tenant 1"

# SIGTERM stops the gateway first, then the daemon; both exit 0.
stop_daemons
echo "PASS: ICE gateway end to end (pop-core V1 GET/POST, openapi-client V3, --upstream)"
