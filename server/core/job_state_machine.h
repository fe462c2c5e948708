// JobStateMachine: the one place that decides job state transitions
// (docs/state-machine.md). Pure: no I/O, no clock, no locks; thread-safe.
//
// Callers (the api layer, the scheduler) read a job, ask Decide() what an
// event does to it, and let the store apply the answer as a compare-and-set,
// so two racing events can never both win.
#ifndef JOBCONTROL_SERVER_CORE_JOB_STATE_MACHINE_H_
#define JOBCONTROL_SERVER_CORE_JOB_STATE_MACHINE_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/core/job.h"

namespace jobcontrol {

// Everything that can happen to an existing job. (Submit creates a job in
// QUEUED and is not an event on one.)
enum class JobEvent {
  kLease,               // a worker leases the queued job
  kCancel,              // client cancel, only queued jobs
  kCancelAllowRunning,  // client cancel that may also stop a running job
  kComplete,            // the worker reports success
  kFailRetryable,       // the worker reports a failure worth retrying
  kFailFinal,           // the worker reports a failure not worth retrying
  kLeaseExpired,        // the worker stopped heartbeating
  kCancelAcknowledged,  // the worker confirms it stopped a canceling job
};
inline constexpr JobEvent kAllJobEvents[] = {
    JobEvent::kLease,         JobEvent::kCancel,
    JobEvent::kCancelAllowRunning, JobEvent::kComplete,
    JobEvent::kFailRetryable, JobEvent::kFailFinal,
    JobEvent::kLeaseExpired,  JobEvent::kCancelAcknowledged,
};
const char* JobEventName(JobEvent event);

// What an allowed event does.
struct JobTransition {
  JobState to;
  // False when the event is allowed but changes nothing (cancel of a
  // CANCELED job); the store then writes nothing.
  bool changes_state;
};

class JobStateMachine {
 public:
  // Decides `event` on a job in state `from`. `attempts_left` tells whether a
  // retryable failure or an expired lease may requeue the job (else FAILED).
  // A refused event is FAILED_PRECONDITION with an ErrorInfo reason
  // (error_reason.h): JOB_NOT_QUEUED for a cancel, LEASE_LOST for a worker
  // event on a job that is no longer running under a lease.
  static absl::StatusOr<JobTransition> Decide(JobState from, JobEvent event,
                                              bool attempts_left);

  // Decides `event` for `job` and returns the job as it is after the event
  // at time `now`: state, update_time, end_time when terminal, start_time and
  // attempt_count on lease. Does not touch version (the store's).
  static absl::StatusOr<Job> Apply(const Job& job, JobEvent event,
                                   bool attempts_left, absl::Time now);
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_CORE_JOB_STATE_MACHINE_H_
