// The reference worker of `jobctl worker` (docs/worker.md): leases jobs from
// jobcontrold, runs a shell command per job, keeps the lease alive while the
// command runs, and reports how it ended.
//
// Per job:
//  1. LeaseJob (a long poll of `wait`) for a job of the kinds and pipelines
//     served; the job is RUNNING.
//  2. The command template is filled in with the job's fields (each value
//     shell-quoted, see command_template.h) and run by /bin/sh in a process
//     group of its own, stdout and stderr captured (the last 4 KiB of each).
//  3. Meanwhile a heartbeat thread calls RenewLease three times per lease
//     length (after a failed call, within a second). When the answer says
//     cancel_requested, the command's process group gets SIGTERM, then SIGKILL
//     after 5 s, and the job is acknowledged CANCELED. When the lease is lost
//     (LEASE_LOST), the command is stopped the same way and the job is dropped:
//     someone else owns it now.
//  4. Exit status 0: CompleteJob with result {output_uri: the editing job's
//     output location ({output}), "" for dna; details_json:
//     {"exit_code":0,"stdout_tail":"...","stderr_tail":"..."}}. Anything
//     else: FailJob with code UNKNOWN and "command exited with status N:
//     <stderr tail>" (or "command killed by signal ..."), retryable unless
//     `retry_failures` is false.
//
// Stop() (SIGINT / SIGTERM in jobctl) ends leasing at once; a command still
// running is stopped as for a cancel and its job failed as retryable with
// "worker <id> stopped before the command finished", so that another worker
// takes it up after the backoff. A command that finished first is reported
// as usual.
//
// One line per job event goes to stdout; problems the worker rides out
// (e.g. a failed heartbeat) go to stderr.
#ifndef JOBCONTROL_CLIENT_JOBCTL_WORKER_H_
#define JOBCONTROL_CLIENT_JOBCTL_WORKER_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "client/child_process.h"
#include "client/command_template.h"
#include "client/jobcontrol_client.h"
#include "client/jobctl_commands.h"

namespace jobcontrol {

struct WorkerOptions {
  std::string worker_id;           // Job.worker_id; see DefaultWorkerId()
  std::vector<v1::JobKind> kinds;  // empty: every kind
  std::vector<std::string> pipeline_ids;  // empty: every pipeline
  CommandTemplate command;
  // Lease asked for in LeaseJob; zero: the pipeline's lease_duration.
  absl::Duration lease_duration = absl::ZeroDuration();
  // How long one LeaseJob waits for a job (the server allows up to 60s).
  absl::Duration wait = absl::Seconds(30);
  bool once = false;           // stop after one job
  bool retry_failures = true;  // FailJob's `retryable` for a failed command
  // Between SIGTERM and SIGKILL when a command is stopped.
  absl::Duration kill_grace = absl::Seconds(5);
};

class ReferenceWorker {
 public:
  // `client` must outlive the worker.
  ReferenceWorker(WorkerOptions options, JobControlClient& client);
  ReferenceWorker(const ReferenceWorker&) = delete;
  ReferenceWorker& operator=(const ReferenceWorker&) = delete;

  // Leases and runs jobs until Stop() or, with `once`, until one job was
  // run and reported. Returns 0 when stopped (also during a job), or with
  // `once` when the job SUCCEEDED; kExitJobUnsuccessful (3) with `once` when
  // it did not (failed, canceled, lease lost); kExitServerError (1)
  // on an error of the server that retrying cannot fix (UNAUTHENTICATED,
  // PERMISSION_DENIED, INVALID_ARGUMENT...). UNAVAILABLE and the like are
  // retried with backoff. Call once.
  int Run();

  // Thread-safe, async-signal-unsafe (call it from a thread, not a signal
  // handler): stops leasing and stops the running command, as described at
  // the top. Idempotent.
  void Stop();

 private:
  // What became of one job.
  enum class JobEnding { kSucceeded, kUnsuccessful };

  JobEnding RunJob(const v1::Job& job, const v1::Lease& lease);

  WorkerOptions options_;
  JobControlClient& client_;
  CallCanceller lease_canceller_;  // ends a LeaseJob long poll on Stop()
  absl::Notification stopped_;     // notified by Stop()

  absl::Mutex mutex_;
  ChildProcess* running_child_ ABSL_GUARDED_BY(mutex_) = nullptr;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  bool child_stopped_by_worker_ ABSL_GUARDED_BY(mutex_) = false;
};

// "<hostname>-<pid>" with characters outside [A-Za-z0-9_.:-] replaced by '-',
// at most 128 bytes: a worker ID unique on the network at any one time.
std::string DefaultWorkerId();

// Runs `worker` with SIGINT and SIGTERM calling its Stop() (from a thread of
// its own, through a self-pipe), restores their default handling afterwards,
// and returns Run()'s exit code.
int RunWorkerUntilSignaled(ReferenceWorker& worker);

}  // namespace jobcontrol

#endif  // JOBCONTROL_CLIENT_JOBCTL_WORKER_H_
