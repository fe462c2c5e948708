#include "server/core/job_lifecycle.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/core/error_reason.h"

namespace jobcontrol {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);
constexpr char kLeaseId[] = "lease-1";
constexpr char kWorkerId[] = "worker-1";

Job QueuedJob() {
  Job job;
  job.tenant = "tenant-a";
  job.id = "0123456789abcdef0123456789abcdef";
  job.state = JobState::kQueued;
  job.pipeline_id = "pipeline-1";
  job.create_time = kT0;
  job.update_time = kT0;
  job.max_attempts = 3;
  job.version = 1;
  return job;
}

LeaseGrant Grant(const std::string& lease_id = kLeaseId,
                 absl::Duration duration = absl::Seconds(30)) {
  return LeaseGrant{kWorkerId, lease_id, duration};
}

// `job` leased at `now` under kLeaseId for 30s.
Job Leased(const Job& job, absl::Time now = kT0) {
  absl::StatusOr<Job> leased = JobLifecycle::Lease(job, Grant(), now);
  EXPECT_TRUE(leased.ok()) << leased.status();
  return leased.ok() ? *leased : job;
}

Job RunningJob() { return Leased(QueuedJob()); }

Job CancelingJob() {
  absl::StatusOr<Job> canceling = JobLifecycle::Cancel(
      RunningJob(), /*allow_running=*/true, kT0 + absl::Seconds(1));
  EXPECT_TRUE(canceling.ok()) << canceling.status();
  return canceling.ok() ? *canceling : Job();
}

void ExpectSameJob(const Job& a, const Job& b) {
  EXPECT_EQ(a.tenant, b.tenant);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.pipeline_id, b.pipeline_id);
  EXPECT_EQ(a.create_time, b.create_time);
  EXPECT_EQ(a.start_time, b.start_time);
  EXPECT_EQ(a.end_time, b.end_time);
  EXPECT_EQ(a.update_time, b.update_time);
  EXPECT_EQ(a.attempt_count, b.attempt_count);
  EXPECT_EQ(a.result, b.result);
  EXPECT_EQ(a.error.has_value(), b.error.has_value());
  EXPECT_EQ(a.max_attempts, b.max_attempts);
  EXPECT_EQ(a.lease_id, b.lease_id);
  EXPECT_EQ(a.worker_id, b.worker_id);
  EXPECT_EQ(a.lease_expire_time, b.lease_expire_time);
  EXPECT_EQ(a.next_attempt_time, b.next_attempt_time);
  EXPECT_EQ(a.version, b.version);
}

void ExpectNoLease(const Job& job) {
  EXPECT_TRUE(job.lease_id.empty());
  EXPECT_TRUE(job.worker_id.empty());
  EXPECT_FALSE(job.lease_expire_time.has_value());
}

void ExpectLeaseLost(const absl::StatusOr<Job>& result, const Job& job) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReasonOf(result.status()), kReasonLeaseLost);
  EXPECT_TRUE(absl::StrContains(result.status().message(), job.id))
      << result.status();
  EXPECT_TRUE(absl::StrContains(result.status().message(), "no longer current"))
      << result.status();
}

JobError WorkerError() { return JobError{13, "exit status 2: disk full"}; }

// --- Lease ---

TEST(JobLifecycleTest, LeaseStartsAnAttemptUnderTheGrant) {
  Job queued = QueuedJob();
  queued.attempt_count = 1;
  queued.next_attempt_time = kT0 - absl::Seconds(1);  // after a failure
  const absl::Time now = kT0 + absl::Seconds(5);
  absl::StatusOr<Job> leased =
      JobLifecycle::Lease(queued, Grant("lease-2", absl::Seconds(20)), now);
  ASSERT_TRUE(leased.ok()) << leased.status();
  EXPECT_EQ(leased->state, JobState::kRunning);
  EXPECT_EQ(leased->attempt_count, 2);
  EXPECT_EQ(leased->start_time, now);
  EXPECT_EQ(leased->update_time, now);
  EXPECT_FALSE(leased->end_time.has_value());
  EXPECT_EQ(leased->lease_id, "lease-2");
  EXPECT_EQ(leased->worker_id, kWorkerId);
  EXPECT_EQ(leased->lease_expire_time, now + absl::Seconds(20));
  EXPECT_FALSE(leased->next_attempt_time.has_value());
  EXPECT_EQ(leased->version, queued.version);  // the store's
}

TEST(JobLifecycleTest, LeaseKeepsMicrosecondPrecision) {
  absl::StatusOr<Job> leased = JobLifecycle::Lease(
      QueuedJob(), Grant(kLeaseId, absl::Seconds(1) + absl::Nanoseconds(1500)),
      kT0);
  ASSERT_TRUE(leased.ok()) << leased.status();
  EXPECT_EQ(leased->lease_expire_time,
            kT0 + absl::Seconds(1) + absl::Microseconds(1));
}

TEST(JobLifecycleTest, LeaseOfAJobNotQueuedIsRefused) {
  for (const Job& job : {RunningJob(), CancelingJob()}) {
    absl::StatusOr<Job> leased = JobLifecycle::Lease(job, Grant("other"), kT0);
    ASSERT_FALSE(leased.ok());
    EXPECT_EQ(ErrorReasonOf(leased.status()), kReasonJobNotQueued);
  }
  absl::StatusOr<Job> canceled =
      JobLifecycle::Cancel(QueuedJob(), /*allow_running=*/false, kT0);
  ASSERT_TRUE(canceled.ok());
  absl::StatusOr<Job> leased = JobLifecycle::Lease(*canceled, Grant(), kT0);
  ASSERT_FALSE(leased.ok());
  EXPECT_EQ(ErrorReasonOf(leased.status()), kReasonJobNotQueued);
}

TEST(JobLifecycleTest, LeaseNeedsACompleteGrant) {
  EXPECT_EQ(JobLifecycle::Lease(QueuedJob(), Grant(""), kT0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JobLifecycle::Lease(QueuedJob(),
                                Grant(kLeaseId, absl::ZeroDuration()), kT0)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JobLifecycle::Lease(QueuedJob(),
                                LeaseGrant{"", kLeaseId, absl::Seconds(1)}, kT0)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

// --- Renew ---

TEST(JobLifecycleTest, RenewExtendsTheLease) {
  const Job running = RunningJob();
  const absl::Time now = kT0 + absl::Seconds(20);
  absl::StatusOr<Job> renewed =
      JobLifecycle::Renew(running, kLeaseId, absl::Seconds(30), now);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(renewed->state, JobState::kRunning);
  EXPECT_EQ(renewed->lease_expire_time, now + absl::Seconds(30));
  EXPECT_EQ(renewed->lease_id, kLeaseId);
  EXPECT_EQ(renewed->worker_id, kWorkerId);
  EXPECT_EQ(renewed->attempt_count, running.attempt_count);
  EXPECT_EQ(renewed->start_time, running.start_time);
  EXPECT_EQ(renewed->update_time, now);
}

TEST(JobLifecycleTest, RenewOfACancelingJobExtendsAndKeepsItCanceling) {
  const absl::Time now = kT0 + absl::Seconds(25);
  absl::StatusOr<Job> renewed =
      JobLifecycle::Renew(CancelingJob(), kLeaseId, absl::Seconds(30), now);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(renewed->state, JobState::kCanceling);
  EXPECT_EQ(renewed->lease_expire_time, now + absl::Seconds(30));
}

TEST(JobLifecycleTest, RenewBeforeTheSweeperActsKeepsTheJob) {
  // Expired by the clock but not yet ended: the lease is still the job's.
  const absl::Time late = kT0 + absl::Seconds(31);
  absl::StatusOr<Job> renewed =
      JobLifecycle::Renew(RunningJob(), kLeaseId, absl::Seconds(30), late);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(renewed->lease_expire_time, late + absl::Seconds(30));
}

TEST(JobLifecycleTest, RenewIsFenced) {
  const Job running = RunningJob();
  ExpectLeaseLost(
      JobLifecycle::Renew(running, "stale-lease", absl::Seconds(30), kT0),
      running);
  ExpectLeaseLost(JobLifecycle::Renew(running, "", absl::Seconds(30), kT0),
                  running);
  const Job queued = QueuedJob();  // lease expired and the job was requeued
  ExpectLeaseLost(JobLifecycle::Renew(queued, kLeaseId, absl::Seconds(30), kT0),
                  queued);
}

// --- Complete ---

TEST(JobLifecycleTest, CompleteSucceedsWithTheResult) {
  const absl::Time now = kT0 + absl::Seconds(10);
  absl::StatusOr<Job> done =
      JobLifecycle::Complete(RunningJob(), kLeaseId, "result-bytes", now);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state, JobState::kSucceeded);
  EXPECT_EQ(done->result, "result-bytes");
  EXPECT_EQ(done->end_time, now);
  EXPECT_EQ(done->update_time, now);
  EXPECT_FALSE(done->error.has_value());
  EXPECT_EQ(done->attempt_count, 1);
  ExpectNoLease(*done);
}

TEST(JobLifecycleTest, CompleteOfACancelingJobSucceeds) {
  absl::StatusOr<Job> done = JobLifecycle::Complete(
      CancelingJob(), kLeaseId, "result", kT0 + absl::Seconds(2));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state, JobState::kSucceeded);
  EXPECT_EQ(done->result, "result");
  ExpectNoLease(*done);
}

TEST(JobLifecycleTest, CompleteIsFenced) {
  const Job running = RunningJob();
  ExpectLeaseLost(JobLifecycle::Complete(running, "stale-lease", "r", kT0),
                  running);
  // Completing twice: the second call finds the job SUCCEEDED.
  absl::StatusOr<Job> done =
      JobLifecycle::Complete(running, kLeaseId, "r", kT0);
  ASSERT_TRUE(done.ok());
  ExpectLeaseLost(JobLifecycle::Complete(*done, kLeaseId, "r2", kT0), *done);
}

// --- Fail ---

TEST(JobLifecycleTest, RetryableFailureRequeuesWithBackoff) {
  const RetryPolicy policy;  // 1s initial
  const absl::Time now = kT0 + absl::Seconds(3);
  absl::StatusOr<Job> failed =
      JobLifecycle::Fail(RunningJob(), kLeaseId, WorkerError(),
                         /*retryable=*/true, policy, /*jitter=*/0.0, now);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->state, JobState::kQueued);
  EXPECT_EQ(failed->attempt_count, 1);
  EXPECT_EQ(failed->next_attempt_time, now + absl::Milliseconds(500));
  EXPECT_FALSE(failed->end_time.has_value());
  EXPECT_FALSE(failed->error.has_value());
  EXPECT_EQ(failed->update_time, now);
  ExpectNoLease(*failed);

  // The second failure waits twice as long; full jitter up to the whole step.
  const Job second = Leased(*failed, now + absl::Seconds(1));
  EXPECT_EQ(second.attempt_count, 2);
  absl::StatusOr<Job> failed_again =
      JobLifecycle::Fail(second, kLeaseId, WorkerError(), true, policy,
                         /*jitter=*/0.5, now + absl::Seconds(2));
  ASSERT_TRUE(failed_again.ok()) << failed_again.status();
  EXPECT_EQ(failed_again->state, JobState::kQueued);
  EXPECT_EQ(failed_again->next_attempt_time,
            now + absl::Seconds(2) + absl::Milliseconds(1500));
}

TEST(JobLifecycleTest, RetryableFailureOnTheLastAttemptFails) {
  Job last = QueuedJob();
  last.attempt_count = 2;
  last = Leased(last);
  ASSERT_EQ(last.attempt_count, 3);
  const absl::Time now = kT0 + absl::Seconds(4);
  absl::StatusOr<Job> failed =
      JobLifecycle::Fail(last, kLeaseId, WorkerError(), /*retryable=*/true,
                         RetryPolicy(), 0.0, now);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->state, JobState::kFailed);
  ASSERT_TRUE(failed->error.has_value());
  EXPECT_EQ(failed->error->code, 13);
  EXPECT_EQ(failed->error->message, "exit status 2: disk full");
  EXPECT_EQ(failed->end_time, now);
  EXPECT_FALSE(failed->next_attempt_time.has_value());
  ExpectNoLease(*failed);
}

TEST(JobLifecycleTest, FinalFailureFailsWithAttemptsLeft) {
  absl::StatusOr<Job> failed =
      JobLifecycle::Fail(RunningJob(), kLeaseId, WorkerError(),
                         /*retryable=*/false, RetryPolicy(), 0.0, kT0);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->state, JobState::kFailed);
  ASSERT_TRUE(failed->error.has_value());
  EXPECT_EQ(failed->error->message, "exit status 2: disk full");
  EXPECT_FALSE(failed->next_attempt_time.has_value());
  ExpectNoLease(*failed);
}

TEST(JobLifecycleTest, FailureOfACancelingJobCancelsIt) {
  for (bool retryable : {true, false}) {
    absl::StatusOr<Job> ended =
        JobLifecycle::Fail(CancelingJob(), kLeaseId, WorkerError(), retryable,
                           RetryPolicy(), 0.0, kT0 + absl::Seconds(2));
    ASSERT_TRUE(ended.ok()) << ended.status();
    EXPECT_EQ(ended->state, JobState::kCanceled) << retryable;
    EXPECT_FALSE(ended->error.has_value());
    EXPECT_FALSE(ended->next_attempt_time.has_value());
    EXPECT_EQ(ended->end_time, kT0 + absl::Seconds(2));
    ExpectNoLease(*ended);
  }
}

TEST(JobLifecycleTest, FailIsFenced) {
  const Job running = RunningJob();
  ExpectLeaseLost(JobLifecycle::Fail(running, "stale-lease", WorkerError(),
                                     true, RetryPolicy(), 0.0, kT0),
                  running);
  absl::StatusOr<Job> requeued = JobLifecycle::Fail(
      running, kLeaseId, WorkerError(), true, RetryPolicy(), 0.0, kT0);
  ASSERT_TRUE(requeued.ok());
  // The old lease cannot fail the requeued job, nor its next attempt.
  ExpectLeaseLost(JobLifecycle::Fail(*requeued, kLeaseId, WorkerError(), false,
                                     RetryPolicy(), 0.0, kT0),
                  *requeued);
  absl::StatusOr<Job> next_attempt =
      JobLifecycle::Lease(*requeued, Grant("lease-2"), kT0 + absl::Seconds(1));
  ASSERT_TRUE(next_attempt.ok());
  ExpectLeaseLost(JobLifecycle::Fail(*next_attempt, kLeaseId, WorkerError(),
                                     false, RetryPolicy(), 0.0, kT0),
                  *next_attempt);
  ExpectLeaseLost(JobLifecycle::Complete(*next_attempt, kLeaseId, "r", kT0),
                  *next_attempt);
}

// --- AcknowledgeCancel ---

TEST(JobLifecycleTest, AcknowledgeCancelEndsACancelingJob) {
  const absl::Time now = kT0 + absl::Seconds(3);
  absl::StatusOr<Job> canceled =
      JobLifecycle::AcknowledgeCancel(CancelingJob(), kLeaseId, now);
  ASSERT_TRUE(canceled.ok()) << canceled.status();
  EXPECT_EQ(canceled->state, JobState::kCanceled);
  EXPECT_EQ(canceled->end_time, now);
  EXPECT_FALSE(canceled->error.has_value());
  ExpectNoLease(*canceled);
}

TEST(JobLifecycleTest, AcknowledgeCancelIsFenced) {
  const Job canceling = CancelingJob();
  ExpectLeaseLost(
      JobLifecycle::AcknowledgeCancel(canceling, "stale-lease", kT0),
      canceling);
  // Nothing to acknowledge on a RUNNING job, even with its lease.
  absl::StatusOr<Job> running =
      JobLifecycle::AcknowledgeCancel(RunningJob(), kLeaseId, kT0);
  ASSERT_FALSE(running.ok());
  EXPECT_EQ(running.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReasonOf(running.status()), kReasonLeaseLost);
  // Acknowledging twice: the second call finds the job CANCELED.
  absl::StatusOr<Job> canceled =
      JobLifecycle::AcknowledgeCancel(canceling, kLeaseId, kT0);
  ASSERT_TRUE(canceled.ok());
  ExpectLeaseLost(JobLifecycle::AcknowledgeCancel(*canceled, kLeaseId, kT0),
                  *canceled);
}

// --- ExpireLease ---

TEST(JobLifecycleTest, ExpiredLeaseRequeuesWithBackoff) {
  const Job running = RunningJob();                   // expires at kT0 + 30s
  const absl::Time now = *running.lease_expire_time;  // due exactly now
  absl::StatusOr<Job> expired =
      JobLifecycle::ExpireLease(running, RetryPolicy(), /*jitter=*/0.0, now);
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_EQ(expired->state, JobState::kQueued);
  EXPECT_EQ(expired->attempt_count, 1);
  EXPECT_EQ(expired->next_attempt_time, now + absl::Milliseconds(500));
  EXPECT_EQ(expired->update_time, now);
  EXPECT_FALSE(expired->error.has_value());
  ExpectNoLease(*expired);
}

TEST(JobLifecycleTest, ExpiredLeaseUsesThePolicysBackoff) {
  RetryPolicy policy;
  policy.initial_backoff = absl::Seconds(10);
  policy.max_backoff = absl::Seconds(10);
  const absl::Time now = kT0 + absl::Minutes(1);
  absl::StatusOr<Job> expired =
      JobLifecycle::ExpireLease(RunningJob(), policy, /*jitter=*/0.5, now);
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_EQ(expired->next_attempt_time, now + absl::Milliseconds(7500));
}

TEST(JobLifecycleTest, ExpiredLeaseOnTheLastAttemptFails) {
  Job last = QueuedJob();
  last.attempt_count = 2;
  last = Leased(last);
  const absl::Time now = kT0 + absl::Minutes(1);
  absl::StatusOr<Job> expired =
      JobLifecycle::ExpireLease(last, RetryPolicy(), 0.0, now);
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_EQ(expired->state, JobState::kFailed);
  EXPECT_EQ(expired->end_time, now);
  ASSERT_TRUE(expired->error.has_value());
  EXPECT_EQ(expired->error->code, 4);  // DEADLINE_EXCEEDED
  EXPECT_TRUE(absl::StartsWith(expired->error->message, "lease expired"))
      << expired->error->message;
  EXPECT_TRUE(absl::StrContains(expired->error->message, "attempt 3 of 3"))
      << expired->error->message;
  EXPECT_FALSE(expired->next_attempt_time.has_value());
  ExpectNoLease(*expired);
}

TEST(JobLifecycleTest, ExpiredLeaseOfACancelingJobCancelsIt) {
  const absl::Time now = kT0 + absl::Minutes(1);
  absl::StatusOr<Job> expired =
      JobLifecycle::ExpireLease(CancelingJob(), RetryPolicy(), 0.0, now);
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_EQ(expired->state, JobState::kCanceled);
  EXPECT_EQ(expired->end_time, now);
  EXPECT_FALSE(expired->error.has_value());
  ExpectNoLease(*expired);
}

TEST(JobLifecycleTest, ExpireOfALeaseNotDueChangesNothing) {
  // Renewed after the sweeper listed it: the renewal wins.
  absl::StatusOr<Job> renewed = JobLifecycle::Renew(
      RunningJob(), kLeaseId, absl::Seconds(30), kT0 + absl::Seconds(25));
  ASSERT_TRUE(renewed.ok());
  const absl::Time now = kT0 + absl::Seconds(40);  // old expiry has passed
  absl::StatusOr<Job> expired =
      JobLifecycle::ExpireLease(*renewed, RetryPolicy(), 0.0, now);
  ASSERT_TRUE(expired.ok()) << expired.status();
  ExpectSameJob(*expired, *renewed);

  // Jobs without a lease are left alone as well.
  const Job queued = QueuedJob();
  absl::StatusOr<Job> still_queued =
      JobLifecycle::ExpireLease(queued, RetryPolicy(), 0.0, now);
  ASSERT_TRUE(still_queued.ok());
  ExpectSameJob(*still_queued, queued);
  absl::StatusOr<Job> done =
      JobLifecycle::Complete(RunningJob(), kLeaseId, "r", kT0);
  ASSERT_TRUE(done.ok());
  absl::StatusOr<Job> still_done =
      JobLifecycle::ExpireLease(*done, RetryPolicy(), 0.0, now);
  ASSERT_TRUE(still_done.ok());
  ExpectSameJob(*still_done, *done);
}

// --- Cancel ---

TEST(JobLifecycleTest, CancelOfAQueuedJobEndsIt) {
  Job queued = QueuedJob();
  queued.next_attempt_time = kT0 + absl::Seconds(9);  // waiting for a retry
  for (bool allow_running : {false, true}) {
    absl::StatusOr<Job> canceled =
        JobLifecycle::Cancel(queued, allow_running, kT0 + absl::Seconds(1));
    ASSERT_TRUE(canceled.ok()) << canceled.status();
    EXPECT_EQ(canceled->state, JobState::kCanceled);
    EXPECT_EQ(canceled->end_time, kT0 + absl::Seconds(1));
    EXPECT_FALSE(canceled->next_attempt_time.has_value());
    ExpectNoLease(*canceled);
  }
}

TEST(JobLifecycleTest, CancelOfARunningJobNeedsAllowRunning) {
  const Job running = RunningJob();
  absl::StatusOr<Job> refused =
      JobLifecycle::Cancel(running, /*allow_running=*/false, kT0);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReasonOf(refused.status()), kReasonJobNotQueued);

  const absl::Time now = kT0 + absl::Seconds(1);
  absl::StatusOr<Job> canceling =
      JobLifecycle::Cancel(running, /*allow_running=*/true, now);
  ASSERT_TRUE(canceling.ok()) << canceling.status();
  EXPECT_EQ(canceling->state, JobState::kCanceling);
  EXPECT_EQ(canceling->update_time, now);
  EXPECT_FALSE(canceling->end_time.has_value());
  // The worker keeps its lease so that it can acknowledge.
  EXPECT_EQ(canceling->lease_id, running.lease_id);
  EXPECT_EQ(canceling->worker_id, running.worker_id);
  EXPECT_EQ(canceling->lease_expire_time, running.lease_expire_time);
}

TEST(JobLifecycleTest, RepeatedCancelsChangeNothing) {
  const Job canceling = CancelingJob();
  absl::StatusOr<Job> again =
      JobLifecycle::Cancel(canceling, true, kT0 + absl::Seconds(9));
  ASSERT_TRUE(again.ok()) << again.status();
  ExpectSameJob(*again, canceling);
  EXPECT_EQ(ErrorReasonOf(JobLifecycle::Cancel(canceling, false, kT0).status()),
            kReasonJobNotQueued);

  absl::StatusOr<Job> canceled = JobLifecycle::Cancel(QueuedJob(), false, kT0);
  ASSERT_TRUE(canceled.ok());
  for (bool allow_running : {false, true}) {
    absl::StatusOr<Job> twice =
        JobLifecycle::Cancel(*canceled, allow_running, kT0 + absl::Seconds(9));
    ASSERT_TRUE(twice.ok()) << twice.status();
    ExpectSameJob(*twice, *canceled);
  }
}

TEST(JobLifecycleTest, CancelOfAFinishedJobIsRefused) {
  absl::StatusOr<Job> done =
      JobLifecycle::Complete(RunningJob(), kLeaseId, "r", kT0);
  ASSERT_TRUE(done.ok());
  for (bool allow_running : {false, true}) {
    absl::StatusOr<Job> refused =
        JobLifecycle::Cancel(*done, allow_running, kT0);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(ErrorReasonOf(refused.status()), kReasonJobNotQueued);
  }
}

}  // namespace
}  // namespace jobcontrol
