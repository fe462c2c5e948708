#include "server/core/job_lifecycle.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/core/error_reason.h"
#include "server/core/job_state_machine.h"

namespace jobcontrol {
namespace {

// Canonical code DEADLINE_EXCEEDED (google.rpc.Code 4): the worker ran out of
// time to renew its lease.
constexpr int kLeaseExpiredErrorCode = 4;

bool HoldsLease(JobState state) {
  return state == JobState::kRunning || state == JobState::kCanceling;
}

bool AttemptsLeft(const Job& job) {
  return job.attempt_count < job.max_attempts;
}

// `time` cut to whole microseconds, the precision the store keeps, so the
// row a write returns equals the row read back later (clock.h).
absl::Time ToStoredPrecision(absl::Time time) {
  return absl::FromUnixMicros(absl::ToUnixMicros(time));
}

absl::Status LeaseLostError(const Job& job, absl::string_view why) {
  return ErrorWithReason(absl::StatusCode::kFailedPrecondition,
                         kReasonLeaseLost,
                         absl::StrCat("the lease on job ", job.id,
                                      " is no longer current: ", why));
}

// Fencing: the call's lease must be the job's current one. Lease IDs are
// fencing tokens, not secrets, so a plain comparison is enough.
absl::Status CheckCurrentLease(const Job& job, const std::string& lease_id) {
  if (!HoldsLease(job.state)) {
    return LeaseLostError(job,
                          absl::StrCat("the job is ", JobStateName(job.state)));
  }
  if (lease_id.empty() || job.lease_id != lease_id) {
    return LeaseLostError(job, "the job is held under another lease");
  }
  return absl::OkStatus();
}

// Keeps the invariants the state machine does not know about: the lease
// fields are set exactly while the job holds a lease, and next_attempt_time
// only while it waits QUEUED.
Job WithSchedulingFieldsFor(Job job) {
  if (!HoldsLease(job.state)) {
    job.lease_id.clear();
    job.worker_id.clear();
    job.lease_expire_time.reset();
  }
  if (job.state != JobState::kQueued) job.next_attempt_time.reset();
  return job;
}

// The job after a retryable failure or an expired lease, decided by the
// state machine: QUEUED with a backoff while attempts are left, CANCELED if
// it was canceling, else FAILED with `error_if_failed`.
absl::StatusOr<Job> EndAttempt(const Job& job, JobEvent event,
                               const JobError& error_if_failed,
                               const RetryPolicy& policy, double jitter,
                               absl::Time now) {
  absl::StatusOr<Job> next =
      JobStateMachine::Apply(job, event, AttemptsLeft(job), now);
  if (!next.ok()) return next.status();
  if (next->state == JobState::kQueued) {
    next->next_attempt_time = ToStoredPrecision(
        now + RetryBackoff(policy, job.attempt_count, jitter));
  } else if (next->state == JobState::kFailed) {
    next->error = error_if_failed;
  }
  return WithSchedulingFieldsFor(*std::move(next));
}

}  // namespace

absl::StatusOr<Job> JobLifecycle::Lease(const Job& job, const LeaseGrant& grant,
                                        absl::Time now) {
  if (grant.lease_id.empty() || grant.worker_id.empty() ||
      grant.duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "a lease grant needs a worker id, a lease id and a positive duration");
  }
  absl::StatusOr<Job> next = JobStateMachine::Apply(
      job, JobEvent::kLease, /*attempts_left=*/AttemptsLeft(job), now);
  if (!next.ok()) return next.status();
  next->worker_id = grant.worker_id;
  next->lease_id = grant.lease_id;
  next->lease_expire_time = ToStoredPrecision(now + grant.duration);
  return WithSchedulingFieldsFor(*std::move(next));
}

absl::StatusOr<Job> JobLifecycle::Renew(const Job& job,
                                        const std::string& lease_id,
                                        absl::Duration duration,
                                        absl::Time now) {
  if (absl::Status fenced = CheckCurrentLease(job, lease_id); !fenced.ok()) {
    return fenced;
  }
  if (duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "a lease renewal needs a positive duration");
  }
  // Not a state transition: the state machine has nothing to decide. A
  // CANCELING job keeps its lease too, so its worker has time to stop.
  Job next = job;
  next.lease_expire_time = ToStoredPrecision(now + duration);
  next.update_time = now;
  return next;
}

absl::StatusOr<Job> JobLifecycle::Complete(const Job& job,
                                           const std::string& lease_id,
                                           const std::string& result,
                                           absl::Time now) {
  if (absl::Status fenced = CheckCurrentLease(job, lease_id); !fenced.ok()) {
    return fenced;
  }
  absl::StatusOr<Job> next =
      JobStateMachine::Apply(job, JobEvent::kComplete, AttemptsLeft(job), now);
  if (!next.ok()) return next.status();
  next->result = result;
  next->error.reset();
  return WithSchedulingFieldsFor(*std::move(next));
}

absl::StatusOr<Job> JobLifecycle::Fail(const Job& job,
                                       const std::string& lease_id,
                                       const JobError& error, bool retryable,
                                       const RetryPolicy& policy, double jitter,
                                       absl::Time now) {
  if (absl::Status fenced = CheckCurrentLease(job, lease_id); !fenced.ok()) {
    return fenced;
  }
  return EndAttempt(job,
                    retryable ? JobEvent::kFailRetryable : JobEvent::kFailFinal,
                    error, policy, jitter, now);
}

absl::StatusOr<Job> JobLifecycle::AcknowledgeCancel(const Job& job,
                                                    const std::string& lease_id,
                                                    absl::Time now) {
  if (absl::Status fenced = CheckCurrentLease(job, lease_id); !fenced.ok()) {
    return fenced;
  }
  absl::StatusOr<Job> next = JobStateMachine::Apply(
      job, JobEvent::kCancelAcknowledged, AttemptsLeft(job), now);
  if (!next.ok()) return next.status();
  return WithSchedulingFieldsFor(*std::move(next));
}

absl::StatusOr<Job> JobLifecycle::ExpireLease(const Job& job,
                                              const RetryPolicy& policy,
                                              double jitter, absl::Time now) {
  // Renewed since the sweeper listed it, or ended by its worker: nothing to
  // do, and an identical row makes the store write nothing.
  if (!HoldsLease(job.state) || !job.lease_expire_time.has_value() ||
      *job.lease_expire_time > now) {
    return job;
  }
  JobError error;
  error.code = kLeaseExpiredErrorCode;
  error.message =
      absl::StrCat("lease expired: worker ", job.worker_id,
                   " did not renew it in time (attempt ", job.attempt_count,
                   " of ", job.max_attempts, ")");
  return EndAttempt(job, JobEvent::kLeaseExpired, error, policy, jitter, now);
}

absl::StatusOr<Job> JobLifecycle::Cancel(const Job& job, bool allow_running,
                                         absl::Time now) {
  absl::StatusOr<Job> next = JobStateMachine::Apply(
      job, allow_running ? JobEvent::kCancelAllowRunning : JobEvent::kCancel,
      AttemptsLeft(job), now);
  if (!next.ok()) return next.status();
  return WithSchedulingFieldsFor(*std::move(next));
}

}  // namespace jobcontrol
