#!/usr/bin/env bash
# End-to-end test of the jobctl CLI against a real jobcontrold.
#
#   tests/jobctl_cli_test.sh <bin dir holding jobcontrold and jobctl>
#
# Starts jobcontrold on 127.0.0.1:0 with a temporary data dir and a credentials
# file of a known token, waits for its "serving gRPC on" line, then runs jobctl
# as a user would: submit, get, list, cancel (twice), JSON output, errors with
# their codes and exit statuses, token resolution, usage errors, and the
# pipeline commands. Stops at the first mismatch with a message saying what
# was expected; the daemon is killed by its pid on every exit.
set -euo pipefail

if (($# != 1)); then
  echo "usage: $0 <bin dir holding jobcontrold and jobctl>" >&2
  exit 2
fi
bin_dir="$(cd "$1" && pwd)"
python=/usr/bin/python3
for binary in "${bin_dir}/jobcontrold" "${bin_dir}/jobctl" "${python}"; do
  if [[ ! -x "${binary}" ]]; then
    echo "FAIL: ${binary} is missing" >&2
    exit 1
  fi
done

tmp="$(mktemp -d)"
daemon_pid=""
reader_pid=""
cleanup() {
  if [[ -n "${daemon_pid}" ]]; then
    kill -KILL "${daemon_pid}" 2>/dev/null || true
    wait "${daemon_pid}" 2>/dev/null || true
  fi
  if [[ -n "${reader_pid}" ]]; then kill "${reader_pid}" 2>/dev/null || true; fi
  rm -rf "${tmp}"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  if [[ -s "${tmp}/daemon.log" ]]; then
    echo "--- jobcontrold output ---" >&2
    cat "${tmp}/daemon.log" >&2
  fi
  exit 1
}

# --- Credentials and daemon --------------------------------------------------
token="jobctl-cli-test-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
credentials="${tmp}/creds.textproto"
cat >"${credentials}" <<EOF
credentials {
  access_key_id: "jobctl-cli-test-key"
  access_key_secret: "jobctl-cli-test-secret"
  bearer_token: "${token}"
  tenant: "jobctl-cli-test"
  allowed_actions: "*"
}
EOF
chmod 0600 "${credentials}"

# The daemon writes into a FIFO we read line by line: its "serving" line is
# awaited as an event, with a deadline, never by sleeping.
mkfifo "${tmp}/daemon.out"
"${bin_dir}/jobcontrold" --grpc_listen=127.0.0.1:0 --http_listen=127.0.0.1:0 --data_dir="${tmp}/data" \
  --credentials="${credentials}" >"${tmp}/daemon.out" 2>&1 &
daemon_pid=$!
exec {daemon_out}<"${tmp}/daemon.out"

address=""
deadline=$((SECONDS + 60))
while ((SECONDS < deadline)); do
  if ! IFS= read -r -t $((deadline - SECONDS)) -u "${daemon_out}" line; then
    break  # the deadline passed or the daemon exited
  fi
  printf '%s\n' "${line}" >>"${tmp}/daemon.log"
  if [[ "${line}" =~ ^jobcontrold:\ serving\ gRPC\ on\ 127\.0\.0\.1:([0-9]+)$ ]]; then
    address="127.0.0.1:${BASH_REMATCH[1]}"
    break
  fi
done
[[ -n "${address}" ]] ||
  fail "jobcontrold did not print 'jobcontrold: serving gRPC on 127.0.0.1:<port>'"
# Keep draining the daemon's output so that it never blocks or gets SIGPIPE.
cat <&"${daemon_out}" >>"${tmp}/daemon.log" &
reader_pid=$!

# --- Helpers -----------------------------------------------------------------
jobctl=("${bin_dir}/jobctl" --server="${address}")
unset JOBCTL_TOKEN
export JOBCTL_TOKEN="${token}"

# run <expected exit status> <command...>: runs the command with its stdout in
# $out and stderr in $err, and fails unless it exits with the expected status.
run() {
  local expected="$1"
  shift
  local status=0
  "$@" >"${tmp}/stdout" 2>"${tmp}/stderr" || status=$?
  out="$(cat "${tmp}/stdout")"
  err="$(cat "${tmp}/stderr")"
  if ((status != expected)); then
    fail "'${*#"${bin_dir}/"}' exited ${status}, want ${expected}
--- stdout ---
${out}
--- stderr ---
${err}"
  fi
}

# expect_contains <text> <wanted substring> <what the text is>
expect_contains() {
  [[ "$1" == *"$2"* ]] || fail "$3 does not contain '$2':
$1"
}

expect_not_contains() {
  [[ "$1" != *"$2"* ]] || fail "$3 contains '$2' but should not:
$1"
}

# value_of <key> <key/value text>: the value of one line of a get/cancel view.
value_of() {
  awk -v key="$1" '$1 == key { $1 = ""; sub(/^ +/, ""); print; exit }' <<<"$2"
}

# json_eval <json text> <python expression over d>: prints the expression.
json_eval() {
  "${python}" -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2" ||
    fail "not JSON, or no '$2' in it: $1"
}

# --- Usage -------------------------------------------------------------------
run 0 "${jobctl[@]}" --help
for subcommand in "submit dna" "submit editing" "get" "list" "cancel" \
  "pipelines create" "pipelines get" "pipelines list" "pipelines pause" \
  "pipelines resume" "pipelines update" "pipelines delete"; do
  expect_contains "${out}" "jobctl ${subcommand}" "jobctl --help"
done
run 2 "${jobctl[@]}"
expect_contains "${err}" "jobctl pipelines delete" "usage of jobctl without arguments"
run 2 "${jobctl[@]}" frobnicate
expect_contains "${err}" "unknown command 'frobnicate'" "stderr of an unknown command"
run 2 "${jobctl[@]}" get
expect_contains "${err}" "usage: jobctl get <job_id>" "stderr of get without an ID"
run 2 "${jobctl[@]}" list --no_such_flag=1
expect_contains "${err}" "unknown flag --no_such_flag" "stderr of an unknown flag"
run 2 "${jobctl[@]}" get 0123456789abcdef0123456789abcdef --db_id=x
expect_contains "${err}" "--db_id does not apply to get" "stderr of a misplaced flag"
run 2 "${jobctl[@]}" submit dna --db_id=db-1 --primary_key=video-1
expect_contains "${err}" "exactly one of --input_uri and --input_media_id" \
  "stderr of submit dna without input"

# --- Jobs ----------------------------------------------------------------------
run 0 "${jobctl[@]}" submit dna --db_id=db-1 --primary_key=video-1 \
  --input_uri=oss://bucket/a.mp4 --user_data=cli-test
job_id="${out}"
[[ "${job_id}" =~ ^[0-9a-f]{32}$ ]] || fail "submit dna printed '${job_id}', want a job ID"

run 0 "${jobctl[@]}" get "${job_id}"
[[ "$(value_of state "${out}")" == QUEUED ]] || fail "get after submit: state is not QUEUED:
${out}"
[[ "$(value_of dna_analysis.db_id "${out}")" == db-1 ]] || fail "get: db_id is not db-1:
${out}"
[[ "$(value_of user_data "${out}")" == cli-test ]] || fail "get: user_data is not cli-test:
${out}"

run 0 "${jobctl[@]}" list
expect_contains "${out}" "ID" "list header"
expect_contains "$(grep "^${job_id} " <<<"${out}")" "QUEUED" "the job's row in list"

run 0 "${jobctl[@]}" cancel "${job_id}"
[[ "$(value_of state "${out}")" == CANCELED ]] || fail "cancel: state is not CANCELED:
${out}"
run 0 "${jobctl[@]}" cancel "${job_id}"
[[ "$(value_of state "${out}")" == CANCELED ]] || fail "second cancel: state is not CANCELED:
${out}"
run 0 "${jobctl[@]}" get "${job_id}"
[[ "$(value_of state "${out}")" == CANCELED ]] || fail "get after cancel: state is not CANCELED:
${out}"

run 0 "${jobctl[@]}" list --state=CANCELED
expect_contains "${out}" "${job_id}" "list --state=CANCELED"
run 0 "${jobctl[@]}" list --state=QUEUED
expect_not_contains "${out}" "${job_id}" "list --state=QUEUED"

# JSON output parses and carries the same facts.
run 0 "${jobctl[@]}" --json get "${job_id}"
"${python}" -c 'import json, sys; json.load(sys.stdin)' <<<"${out}" ||
  fail "get --json is not JSON: ${out}"
[[ "$(json_eval "${out}" 'd["state"]')" == CANCELED ]] || fail "get --json: state: ${out}"
run 0 "${jobctl[@]}" list --json
"${python}" -c 'import json, sys; json.load(sys.stdin)' <<<"${out}" ||
  fail "list --json is not JSON: ${out}"
[[ "$(json_eval "${out}" '[j["id"] for j in d["jobs"]]')" == *"${job_id}"* ]] ||
  fail "list --json lacks the job: ${out}"

# Editing: repeated --input with time ranges, repeated --setting.
run 0 "${jobctl[@]}" --json submit editing --input=obs://b/a.mp4@10s-1m30s \
  --input=obs://b/c.mp4@-20.5 --output_uri=obs://b/out/ --output_file_name=o.mp4 \
  --setting=resolution_adaptation=OPEN --setting=mode=a=b --priority=9
editing_json="${out}"
editing_id="$(json_eval "${editing_json}" 'd["id"]')"
[[ "$(json_eval "${editing_json}" '[(i["media"]["uri"], i.get("timelineStart"), i.get("timelineEnd")) for i in d["editing"]["inputs"]]')" == \
  "[('obs://b/a.mp4', '10s', '90s'), ('obs://b/c.mp4', None, '20.500s')]" ]] ||
  fail "submit editing: inputs not as given: ${editing_json}"
[[ "$(json_eval "${editing_json}" 'sorted(d["editing"]["settings"].items())')" == \
  "[('mode', 'a=b'), ('resolution_adaptation', 'OPEN')]" ]] ||
  fail "submit editing: settings not as given: ${editing_json}"
[[ "$(json_eval "${editing_json}" 'd["priority"]')" == 9 ]] ||
  fail "submit editing: priority is not 9: ${editing_json}"
run 0 "${jobctl[@]}" list --kind=editing
expect_contains "${out}" "${editing_id}" "list --kind=editing"
expect_not_contains "${out}" "${job_id}" "list --kind=editing"

# An explicit --request_id makes a repeated submit return the same job.
for attempt in 1 2; do
  run 0 "${jobctl[@]}" submit dna --db_id=db-1 --primary_key=video-2 \
    --input_media_id=media-2 --request_id=cli-test-request-1
  request_job_ids[attempt]="${out}"
done
[[ "${request_job_ids[1]}" == "${request_job_ids[2]}" ]] ||
  fail "the same --request_id made two jobs: ${request_job_ids[*]}"

# --all follows the page tokens: three jobs at one per page.
run 0 "${jobctl[@]}" --json list --page_size=1
[[ -n "$(json_eval "${out}" 'd["nextPageToken"]')" ]] ||
  fail "list --page_size=1 of three jobs has no next page token: ${out}"
run 0 "${jobctl[@]}" --json list --page_size=1 --all
[[ "$(json_eval "${out}" 'len(d["jobs"])')" == 3 ]] ||
  fail "list --page_size=1 --all did not return the 3 jobs: ${out}"

# --- Errors --------------------------------------------------------------------
run 1 "${jobctl[@]}" get not-a-job-id
expect_contains "${err}" "jobctl: INVALID_ARGUMENT" "stderr of get with a bad ID"
expect_contains "${err}" "field job_id" "stderr of get with a bad ID"
run 1 "${jobctl[@]}" get 0123456789abcdef0123456789abcdef
expect_contains "${err}" "jobctl: NOT_FOUND (JOB_NOT_FOUND)" "stderr of get of an unknown job"
run 1 env -u JOBCTL_TOKEN "${jobctl[@]}" --token=wrong list
expect_contains "${err}" "jobctl: UNAUTHENTICATED" "stderr with a wrong token"

# --- Token resolution ----------------------------------------------------------
# --token wins over JOBCTL_TOKEN.
run 1 "${jobctl[@]}" --token=wrong list
expect_contains "${err}" "UNAUTHENTICATED" "stderr with --token=wrong and a good JOBCTL_TOKEN"
# Without both, the first credential of --credentials.
run 0 env -u JOBCTL_TOKEN "${jobctl[@]}" --credentials="${credentials}" get "${job_id}"
[[ "$(value_of id "${out}")" == "${job_id}" ]] || fail "get with --credentials: ${out}"
# With none of them, a usage error naming the sources.
run 2 env -u JOBCTL_TOKEN "${jobctl[@]}" --credentials="${tmp}/none.textproto" list
expect_contains "${err}" "JOBCTL_TOKEN" "stderr without any token"

# --- Pipelines -----------------------------------------------------------------
run 0 "${jobctl[@]}" --json pipelines create --name=cli-test-pipeline --priority=8
pipeline_id="$(json_eval "${out}" 'd["id"]')"
[[ "${pipeline_id}" =~ ^[0-9a-f]{32}$ ]] || fail "pipelines create: no ID in ${out}"
[[ "$(json_eval "${out}" 'd["state"]')" == ACTIVE ]] || fail "new pipeline not ACTIVE: ${out}"

run 0 "${jobctl[@]}" pipelines pause "${pipeline_id}"
[[ "$(value_of state "${out}")" == PAUSED ]] || fail "pipelines pause: ${out}"
run 0 "${jobctl[@]}" pipelines get "${pipeline_id}"
[[ "$(value_of state "${out}")" == PAUSED ]] || fail "pipelines get after pause: ${out}"
run 0 "${jobctl[@]}" pipelines resume "${pipeline_id}"
[[ "$(value_of state "${out}")" == ACTIVE ]] || fail "pipelines resume: ${out}"

# The update mask holds only the flags given: the name stays.
run 0 "${jobctl[@]}" pipelines update "${pipeline_id}" --priority=3
[[ "$(value_of priority "${out}")" == 3 && "$(value_of name "${out}")" == cli-test-pipeline ]] ||
  fail "pipelines update --priority=3: ${out}"
run 1 "${jobctl[@]}" pipelines update "${pipeline_id}" --priority=11
expect_contains "${err}" "INVALID_ARGUMENT" "stderr of an out-of-range priority"

run 0 "${jobctl[@]}" pipelines list
pipeline_row="$(grep "^${pipeline_id} " <<<"${out}")" ||
  fail "pipelines list lacks ${pipeline_id}: ${out}"
expect_contains "${pipeline_row}" "cli-test-pipeline" "the pipeline's row"
expect_contains "${out}" "default" "pipelines list (the default pipeline)"

# A job submitted into the pipeline, listed by --pipeline.
run 0 "${jobctl[@]}" submit dna --db_id=db-1 --primary_key=video-3 \
  --input_uri=oss://bucket/c.mp4 --pipeline="${pipeline_id}"
pipeline_job_id="${out}"
run 0 "${jobctl[@]}" list --pipeline="${pipeline_id}"
expect_contains "${out}" "${pipeline_job_id}" "list --pipeline"
expect_not_contains "${out}" "${job_id}" "list --pipeline"
run 1 "${jobctl[@]}" pipelines delete "${pipeline_id}"
expect_contains "${err}" "FAILED_PRECONDITION (PIPELINE_NOT_EMPTY)" \
  "stderr of deleting a pipeline with a queued job"
run 0 "${jobctl[@]}" cancel "${pipeline_job_id}"

run 0 "${jobctl[@]}" pipelines delete "${pipeline_id}"
run 1 "${jobctl[@]}" pipelines get "${pipeline_id}"
expect_contains "${err}" "NOT_FOUND (PIPELINE_NOT_FOUND)" "stderr of get of a deleted pipeline"
run 0 "${jobctl[@]}" pipelines list
expect_not_contains "${out}" "${pipeline_id}" "pipelines list after delete"

echo "PASS: jobctl end-to-end against jobcontrold on ${address}"
