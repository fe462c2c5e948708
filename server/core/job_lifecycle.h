// JobLifecycle: what each worker call and lease expiry does to a job, as
// pure functions from the job as stored to the job to store. They check the
// fencing token, ask JobStateMachine for the transition (the only decider),
// and maintain the lease fields: set exactly while RUNNING or CANCELING,
// cleared otherwise. Callers run them as the `decide` function of
// Store::UpdateJob / Store::LeaseNextJob, so each is one compare-and-set.
//
// Fencing: every function taking a `lease_id` fails with FAILED_PRECONDITION
// reason LEASE_LOST, changing nothing, when the job is not RUNNING/CANCELING
// or holds another lease.
#ifndef JOBCONTROL_SERVER_CORE_JOB_LIFECYCLE_H_
#define JOBCONTROL_SERVER_CORE_JOB_LIFECYCLE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/core/job.h"
#include "server/core/retry_policy.h"

namespace jobcontrol {

struct LeaseGrant {
  std::string worker_id;
  std::string lease_id;  // new fencing token (NewResourceId())
  absl::Duration duration;
};

class JobLifecycle {
 public:
  // QUEUED -> RUNNING under `grant`: attempt_count + 1, start_time = now,
  // lease_expire_time = now + duration, next_attempt_time cleared.
  static absl::StatusOr<Job> Lease(const Job& job, const LeaseGrant& grant,
                                   absl::Time now);

  // Extends a current lease: lease_expire_time = now + duration. State is
  // unchanged (a CANCELING job stays CANCELING: the caller tells the worker).
  static absl::StatusOr<Job> Renew(const Job& job, const std::string& lease_id,
                                   absl::Duration duration, absl::Time now);

  // RUNNING or CANCELING -> SUCCEEDED with `result` (serialized JobResult).
  static absl::StatusOr<Job> Complete(const Job& job,
                                      const std::string& lease_id,
                                      const std::string& result,
                                      absl::Time now);

  // RUNNING -> QUEUED (retryable, attempts left; next_attempt_time = now +
  // RetryBackoff(policy, attempt_count, jitter)) or FAILED with `error`;
  // CANCELING -> CANCELED.
  static absl::StatusOr<Job> Fail(const Job& job, const std::string& lease_id,
                                  const JobError& error, bool retryable,
                                  const RetryPolicy& policy, double jitter,
                                  absl::Time now);

  // CANCELING -> CANCELED.
  static absl::StatusOr<Job> AcknowledgeCancel(const Job& job,
                                               const std::string& lease_id,
                                               absl::Time now);

  // A lease past its expiry (lease_expire_time <= now): RUNNING -> QUEUED
  // with backoff or FAILED (error DEADLINE_EXCEEDED "lease expired"),
  // CANCELING -> CANCELED. A job whose lease is not expired (renewed in the
  // meantime) or that has none is returned unchanged.
  static absl::StatusOr<Job> ExpireLease(const Job& job,
                                         const RetryPolicy& policy,
                                         double jitter, absl::Time now);

  // Client cancel: QUEUED -> CANCELED; with allow_running RUNNING ->
  // CANCELING (the lease stays, so the worker can acknowledge).
  static absl::StatusOr<Job> Cancel(const Job& job, bool allow_running,
                                    absl::Time now);
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_CORE_JOB_LIFECYCLE_H_
