#!/usr/bin/env bash
# End-to-end test of the reference worker (`jobctl worker`) with real
# commands against a real jobcontrold, plus `jobctl watch`, `wait` and
# `cancel --allow-running`.
#
#   tests/jobctl_worker_test.sh <bin dir holding jobcontrold and jobctl>
#
# Scenarios, each in a pipeline of its own so that each worker sees only its
# jobs:
#  - copy:     an editing job whose input is a real local file is run by
#              `cp {input} {output}`; the output matches the input; a paused
#              pipeline holds the job QUEUED until resumed; `watch` (text and
#              --json, started before the job ran) shows every version in
#              order up to SUCCEEDED.
#  - failure:  `echo boom >&2; exit 3` with max_attempts 1 ends FAILED with a
#              message holding "status 3" and "boom"; worker --once exits 3.
#  - cancel:   `sleep 60` running: cancel without --allow-running is
#              FAILED_PRECONDITION (JOB_NOT_QUEUED); with --allow-running the
#              job goes CANCELING, then CANCELED, and the sleep is gone.
#  - hostile:  user_data full of shell metacharacters reaches the command as
#              one literal argument and runs nothing.
#  - stop:     SIGTERM to a worker running a job: the worker exits 0, the
#              command is gone, the job is QUEUED again for another attempt.
#  - lost:     a worker frozen (SIGSTOP) past its lease: the job FAILs by
#              expiry; resumed, the worker hears LEASE_LOST, kills the command
#              and drops the job.
#  - policy:   pipelines update of one retry-policy field keeps the others.
# Every process started here is stopped by its pid on exit.
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
background_pids=()  # workers and watchers
command_pids=()     # processes the workers' commands reported
cleanup() {
  local pid
  # Workers first, politely: each stops its command and exits.
  for pid in "${background_pids[@]}"; do kill -TERM "${pid}" 2>/dev/null || true; done
  for pid in "${background_pids[@]}"; do
    timeout 10 tail --pid="${pid}" -f /dev/null 2>/dev/null || kill -KILL "${pid}" 2>/dev/null || true
    wait "${pid}" 2>/dev/null || true
  done
  for pid in "${command_pids[@]}"; do kill -KILL "${pid}" 2>/dev/null || true; done
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
  local log
  for log in "${tmp}"/*.log; do
    [[ -s "${log}" ]] || continue
    echo "--- ${log#"${tmp}/"} ---" >&2
    cat "${log}" >&2
  done
  exit 1
}

# --- Credentials and daemon (as in jobctl_cli_test.sh) -------------------------
token="jobctl-worker-test-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
credentials="${tmp}/creds.textproto"
cat >"${credentials}" <<EOF_CREDENTIALS
credentials {
  access_key_id: "jobctl-worker-test-key"
  access_key_secret: "jobctl-worker-test-secret"
  bearer_token: "${token}"
  tenant: "jobctl-worker-test"
  allowed_actions: "*"
}
EOF_CREDENTIALS
chmod 0600 "${credentials}"

# The daemon's "serving" line is awaited through a FIFO, with a deadline.
mkfifo "${tmp}/daemon.out"
"${bin_dir}/jobcontrold" --grpc_listen=127.0.0.1:0 --data_dir="${tmp}/data" \
  --credentials="${credentials}" >"${tmp}/daemon.out" 2>&1 &
daemon_pid=$!
exec {daemon_out}<"${tmp}/daemon.out"
address=""
deadline=$((SECONDS + 60))
while ((SECONDS < deadline)); do
  if ! IFS= read -r -t $((deadline - SECONDS)) -u "${daemon_out}" line; then
    break
  fi
  printf '%s\n' "${line}" >>"${tmp}/daemon.log"
  if [[ "${line}" =~ ^jobcontrold:\ serving\ gRPC\ on\ 127\.0\.0\.1:([0-9]+)$ ]]; then
    address="127.0.0.1:${BASH_REMATCH[1]}"
    break
  fi
done
[[ -n "${address}" ]] ||
  fail "jobcontrold did not print 'jobcontrold: serving gRPC on 127.0.0.1:<port>'"
cat <&"${daemon_out}" >>"${tmp}/daemon.log" &
reader_pid=$!

# --- Helpers -------------------------------------------------------------------
jobctl=("${bin_dir}/jobctl" --server="${address}")
export JOBCTL_TOKEN="${token}"

# run <expected exit status> <command...>: stdout in $out, stderr in $err.
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

expect_contains() {
  [[ "$1" == *"$2"* ]] || fail "$3 does not contain '$2':
$1"
}

value_of() {
  awk -v key="$1" '$1 == key { $1 = ""; sub(/^ +/, ""); print; exit }' <<<"$2"
}

json_eval() {
  "${python}" -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2" ||
    fail "not JSON, or no '$2' in it: $1"
}

# new_pipeline <name> [flags...]: creates a pipeline, prints its ID.
new_pipeline() {
  local name="$1"
  shift
  run 0 "${jobctl[@]}" --json pipelines create --name="${name}" "$@"
  json_eval "${out}" 'd["id"]'
}

# start_worker <name> <flags...>: a background `jobctl worker`, its output in
# ${tmp}/<name>.log; its pid ends up in $worker_pid.
start_worker() {
  local name="$1"
  shift
  "${jobctl[@]}" worker --worker_id="${name}" "$@" >"${tmp}/${name}.log" 2>&1 &
  worker_pid=$!
  background_pids+=("${worker_pid}")
}

# wait_for <pid>: waits for a background process started here and sets
# $status to its exit status; it is then no longer killed on exit.
wait_for() {
  status=0
  wait "$1" || status=$?
  local kept=() pid
  for pid in "${background_pids[@]}"; do [[ "${pid}" == "$1" ]] || kept+=("${pid}"); done
  background_pids=("${kept[@]}")
}

# read_fifo <fifo>: the first line a command writes into the FIFO; blocks
# until it does (at most 60 s): how the test learns that a command runs.
read_fifo() {
  local line=""
  exec {fifo_fd}<>"$1"  # read-write: opening does not block
  IFS= read -r -t 60 -u "${fifo_fd}" line || fail "nothing was written into $1"
  exec {fifo_fd}<&-
  printf '%s' "${line}"
}

# process_is_gone <pid>: no such process (or only an unreaped zombie).
process_is_gone() {
  [[ ! -e "/proc/$1" ]] || [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" == Z ]]
}

# --- Usage errors of worker ------------------------------------------------------
run 2 "${jobctl[@]}" worker --kinds=editing
expect_contains "${err}" "worker needs --exec" "stderr of worker without --exec"
run 2 "${jobctl[@]}" worker --exec='cp {inptu} {output}'
expect_contains "${err}" "unknown placeholder {inptu}" "stderr of a misspelt placeholder"
run 2 "${jobctl[@]}" worker --exec=true --kinds=audio
expect_contains "${err}" "--kinds" "stderr of an unknown kind"

# --- copy: a real command on a real file, pause/resume, watch --------------------
mkdir -p "${tmp}/media" "${tmp}/out"
input="${tmp}/media/input file.bin"  # a space, to prove the quoting
head -c 100000 /dev/urandom >"${input}"
copy_pipeline="$(new_pipeline copy --paused)"
start_worker copy-worker --kinds=editing --pipelines="${copy_pipeline}" \
  --exec='cp {input} {output} && printf "%s-%s" {start} {end} > {output}.range'
copy_worker_pid="${worker_pid}"

run 0 "${jobctl[@]}" submit editing --pipeline="${copy_pipeline}" \
  --input="${input}@1.5-4" --output_uri="${tmp}/out/" --output_file_name=copy.bin
copy_job="${out}"
# Watchers from the start: every version must appear, in order.
"${jobctl[@]}" watch "${copy_job}" >"${tmp}/watch.txt" 2>"${tmp}/watch-stderr.log" &
watch_pid=$!
background_pids+=("${watch_pid}")
"${jobctl[@]}" --json watch "${copy_job}" >"${tmp}/watch.json" 2>"${tmp}/watch-json-stderr.log" &
watch_json_pid=$!
background_pids+=("${watch_json_pid}")

# Paused: the job stays QUEUED although a worker waits for it.
run 4 "${jobctl[@]}" wait "${copy_job}" --timeout=1s
[[ "$(value_of state "${out}")" == QUEUED ]] || fail "job in a paused pipeline is not QUEUED:
${out}"
expect_contains "${err}" "still QUEUED" "stderr of wait on a held job"
run 0 "${jobctl[@]}" pipelines resume "${copy_pipeline}"

run 0 "${jobctl[@]}" wait "${copy_job}" --timeout=60s
[[ "$(value_of state "${out}")" == SUCCEEDED ]] || fail "copy job did not succeed:
${out}"
[[ "$(value_of result.output_uri "${out}")" == "${tmp}/out/copy.bin" ]] ||
  fail "result.output_uri is not the output location: ${out}"
cmp -s "${input}" "${tmp}/out/copy.bin" || fail "the copy differs from the input"
[[ "$(cat "${tmp}/out/copy.bin.range")" == "1.5-4" ]] ||
  fail "{start}-{end} gave '$(cat "${tmp}/out/copy.bin.range")', want 1.5-4"
run 0 "${jobctl[@]}" --json get "${copy_job}"
details="$(json_eval "${out}" 'd["result"]["detailsJson"]')"
[[ "$(json_eval "${details}" 'd["exit_code"]')" == 0 ]] ||
  fail "details_json lacks exit_code 0: ${details}"

wait_for "${watch_pid}"
((status == 0)) || fail "watch of a SUCCEEDED job exited ${status}"
"${python}" - "${tmp}/watch.txt" <<'EOF_PY' || fail "watch output wrong: $(cat "${tmp}/watch.txt")"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
versions = [int(re.search(r"  v(\d+)  ", l).group(1)) for l in lines]
states = [l.split()[2] for l in lines]
assert versions == list(range(1, len(lines) + 1)), versions
assert states[0] == "QUEUED" and states[-1] == "SUCCEEDED", states
assert "RUNNING" in states, states
assert "worker copy-worker" in lines[states.index("RUNNING")], lines
EOF_PY
wait_for "${watch_json_pid}"
((status == 0)) || fail "watch --json of a SUCCEEDED job exited ${status}"
"${python}" - "${tmp}/watch.json" <<'EOF_PY' || fail "watch --json output wrong: $(cat "${tmp}/watch.json")"
import json, sys
jobs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
assert [int(j["version"]) for j in jobs] == list(range(1, len(jobs) + 1))
assert jobs[0]["state"] == "QUEUED" and jobs[-1]["state"] == "SUCCEEDED"
EOF_PY
# A watch of a finished job prints its last version and exits at once.
run 0 "${jobctl[@]}" watch "${copy_job}"
expect_contains "${out}" "SUCCEEDED" "watch of a finished job"

# --- failure: non-zero exit, max_attempts 1, worker --once ----------------------
fail_pipeline="$(new_pipeline failure --max_attempts=1)"
run 0 "${jobctl[@]}" submit dna --pipeline="${fail_pipeline}" --db_id=db-1 \
  --primary_key=k-1 --input_uri="${input}"
fail_job="${out}"
run 3 timeout 60 "${jobctl[@]}" worker --once --worker_id=failing-worker \
  --pipelines="${fail_pipeline}" --exec='echo boom >&2; exit 3'
expect_contains "${out}" "command exited with status 3" "worker output"
run 3 "${jobctl[@]}" wait "${fail_job}" --timeout=60s
[[ "$(value_of state "${out}")" == FAILED ]] || fail "failing job is not FAILED:
${out}"
error_line="$(value_of error "${out}")"
expect_contains "${error_line}" "UNKNOWN" "the failed job's error"
expect_contains "${error_line}" "status 3" "the failed job's error"
expect_contains "${error_line}" "boom" "the failed job's error"
[[ "$(value_of attempt_count "${out}")" == 1 ]] || fail "attempts of the failed job:
${out}"

# --- cancel of a running job ------------------------------------------------------
cancel_pipeline="$(new_pipeline cancel)"
mkfifo "${tmp}/cancel.pid"
start_worker cancel-worker --pipelines="${cancel_pipeline}" --lease_duration=2s \
  --exec="echo \$\$ > '${tmp}/cancel.pid'; exec sleep 60"
run 0 "${jobctl[@]}" submit dna --pipeline="${cancel_pipeline}" --db_id=db-1 \
  --primary_key=k-2 --input_uri="${input}"
cancel_job="${out}"
sleep_pid="$(read_fifo "${tmp}/cancel.pid")"  # the command runs: the job is RUNNING
command_pids+=("${sleep_pid}")
[[ "$(cat "/proc/${sleep_pid}/comm")" == sleep ]] || fail "pid ${sleep_pid} is not the sleep"

run 1 "${jobctl[@]}" cancel "${cancel_job}"
expect_contains "${err}" "FAILED_PRECONDITION (JOB_NOT_QUEUED)" "stderr of cancel of a running job"
run 0 "${jobctl[@]}" cancel "${cancel_job}" --allow-running
[[ "$(value_of state "${out}")" == CANCELING ]] || fail "cancel --allow-running: not CANCELING:
${out}"
run 3 "${jobctl[@]}" wait "${cancel_job}" --timeout=60s
[[ "$(value_of state "${out}")" == CANCELED ]] || fail "canceled running job is not CANCELED:
${out}"
process_is_gone "${sleep_pid}" || fail "the canceled job's sleep (pid ${sleep_pid}) still runs"
expect_contains "$(cat "${tmp}/cancel-worker.log")" "cancel requested" "the cancel worker's output"

# --- hostile user_data --------------------------------------------------------------
hostile_pipeline="$(new_pipeline hostile)"
hostile="'; rm -rf / # \$(touch ${tmp}/pwned) \`touch ${tmp}/pwned\` \"q\" \\ * ? ~ & | ; {x} \${HOME}"
run 0 "${jobctl[@]}" submit dna --pipeline="${hostile_pipeline}" --db_id=db-1 \
  --primary_key=k-3 --input_uri="${input}" --user_data="${hostile}"
hostile_job="${out}"
run 0 timeout 60 "${jobctl[@]}" worker --once --worker_id=hostile-worker \
  --pipelines="${hostile_pipeline}" \
  --exec="printf '%s' {user_data} > '${tmp}/user_data.out'"
[[ "$(cat "${tmp}/user_data.out")" == "${hostile}" ]] ||
  fail "user_data did not arrive literally: '$(cat "${tmp}/user_data.out")'"
[[ ! -e "${tmp}/pwned" ]] || fail "user_data ran a command"
run 0 "${jobctl[@]}" wait "${hostile_job}" --timeout=60s

# --- stop: SIGTERM to a worker in the middle of a job ------------------------------
stop_pipeline="$(new_pipeline stop --max_attempts=2 --initial_backoff=1h --max_backoff=2h)"
mkfifo "${tmp}/stop.pid"
start_worker stop-worker --pipelines="${stop_pipeline}" \
  --exec="echo \$\$ > '${tmp}/stop.pid'; exec sleep 60"
stop_worker_pid="${worker_pid}"
run 0 "${jobctl[@]}" submit dna --pipeline="${stop_pipeline}" --db_id=db-1 \
  --primary_key=k-4 --input_uri="${input}"
stop_job="${out}"
stop_sleep_pid="$(read_fifo "${tmp}/stop.pid")"
command_pids+=("${stop_sleep_pid}")
kill -TERM "${stop_worker_pid}"
wait_for "${stop_worker_pid}"
((status == 0)) || fail "the stopped worker exited ${status}, want 0"
process_is_gone "${stop_sleep_pid}" || fail "the stopped worker's sleep still runs"
run 0 "${jobctl[@]}" get "${stop_job}"
[[ "$(value_of state "${out}")" == QUEUED ]] || fail "job of a stopped worker is not QUEUED again:
${out}"
[[ "$(value_of attempt_count "${out}")" == 1 ]] || fail "attempts of the requeued job:
${out}"
expect_contains "$(cat "${tmp}/stop-worker.log")" \
  "QUEUED for another attempt after" "the stopped worker's output"
expect_contains "$(cat "${tmp}/stop-worker.log")" \
  "worker stop-worker stopped before the command finished" "the stopped worker's output"
run 0 "${jobctl[@]}" cancel "${stop_job}"

# --- lease lost: a worker frozen past its lease drops the job -------------------
lost_pipeline="$(new_pipeline lost --max_attempts=1)"
mkfifo "${tmp}/lost.pid"
start_worker lost-worker --once --pipelines="${lost_pipeline}" --lease_duration=1s \
  --exec="echo \$\$ > '${tmp}/lost.pid'; exec sleep 60"
lost_worker_pid="${worker_pid}"
run 0 "${jobctl[@]}" submit dna --pipeline="${lost_pipeline}" --db_id=db-1 \
  --primary_key=k-5 --input_uri="${input}"
lost_job="${out}"
lost_sleep_pid="$(read_fifo "${tmp}/lost.pid")"
command_pids+=("${lost_sleep_pid}")
kill -STOP "${lost_worker_pid}"  # no more heartbeats: the lease expires
run 3 "${jobctl[@]}" wait "${lost_job}" --timeout=60s
[[ "$(value_of state "${out}")" == FAILED ]] || fail "job with an expired lease is not FAILED:
${out}"
kill -CONT "${lost_worker_pid}"  # its next heartbeat hears LEASE_LOST
wait_for "${lost_worker_pid}"
((status == 3)) || fail "worker --once that lost its lease exited ${status}, want 3"
expect_contains "$(cat "${tmp}/lost-worker.log")" "lease lost" "the lost worker's output"
expect_contains "$(cat "${tmp}/lost-worker.log")" "dropped" "the lost worker's output"
process_is_gone "${lost_sleep_pid}" || fail "the lost job's sleep still runs"
run 0 "${jobctl[@]}" get "${lost_job}"
[[ "$(value_of state "${out}")" == FAILED ]] || fail "the dropped job changed after LEASE_LOST:
${out}"

# --- policy: updating one retry-policy field keeps the others -------------------
run 0 "${jobctl[@]}" --json pipelines update "${fail_pipeline}" --initial_backoff=2s
[[ "$(json_eval "${out}" 'd["retryPolicy"]["maxAttempts"]')" == 1 ]] ||
  fail "pipelines update --initial_backoff lost max_attempts: ${out}"
[[ "$(json_eval "${out}" 'd["retryPolicy"]["initialBackoff"]')" == 2s ]] ||
  fail "pipelines update --initial_backoff did not set it: ${out}"
run 0 "${jobctl[@]}" --json pipelines update "${fail_pipeline}" --max_running_jobs=4
[[ "$(json_eval "${out}" 'd["maxRunningJobs"]')" == 4 ]] ||
  fail "pipelines update --max_running_jobs: ${out}"

# The copy worker is still serving; stop it the way a user would (Ctrl-C).
kill -INT "${copy_worker_pid}"
wait_for "${copy_worker_pid}"
((status == 0)) || fail "the copy worker exited ${status} on SIGINT, want 0"
expect_contains "$(cat "${tmp}/copy-worker.log")" "stopped" "the copy worker's output"

echo "PASS: jobctl worker end-to-end against jobcontrold on ${address}"
