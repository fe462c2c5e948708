#include "server/core/job_state_machine.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/core/error_reason.h"

namespace jobcontrol {
namespace {

using S = JobState;
using E = JobEvent;

constexpr JobState kAllJobStates[] = {S::kQueued,    S::kRunning, S::kCanceling,
                                      S::kSucceeded, S::kFailed,  S::kCanceled};
static_assert(sizeof(kAllJobStates) / sizeof(kAllJobStates[0]) ==
              kJobStateCount);

// What Decide() must answer for one (state, event, attempts_left).
struct Expected {
  enum Kind { kMove, kNoChange, kRefused } kind;
  JobState to;         // kMove
  const char* reason;  // kRefused
};
Expected To(JobState to) { return {Expected::kMove, to, nullptr}; }
Expected Same() { return {Expected::kNoChange, S::kQueued, nullptr}; }
Expected NotQueued() {
  return {Expected::kRefused, S::kQueued, kReasonJobNotQueued};
}
Expected LeaseLost() {
  return {Expected::kRefused, S::kQueued, kReasonLeaseLost};
}

struct ExpectationRow {
  JobState from;
  JobEvent event;
  Expected with_attempts_left;
  Expected without_attempts_left;
};

// Written from design.md §2 and docs/state-machine.md, independently of the
// implementation's table: every (state, event) pair, once.
const std::vector<ExpectationRow>& ExpectedTable() {
  static const auto* const table = new std::vector<ExpectationRow>{
      // QUEUED
      {S::kQueued, E::kLease, To(S::kRunning), To(S::kRunning)},
      {S::kQueued, E::kCancel, To(S::kCanceled), To(S::kCanceled)},
      {S::kQueued, E::kCancelAllowRunning, To(S::kCanceled), To(S::kCanceled)},
      {S::kQueued, E::kComplete, LeaseLost(), LeaseLost()},
      {S::kQueued, E::kFailRetryable, LeaseLost(), LeaseLost()},
      {S::kQueued, E::kFailFinal, LeaseLost(), LeaseLost()},
      {S::kQueued, E::kLeaseExpired, LeaseLost(), LeaseLost()},
      {S::kQueued, E::kCancelAcknowledged, LeaseLost(), LeaseLost()},
      // RUNNING
      {S::kRunning, E::kLease, NotQueued(), NotQueued()},
      {S::kRunning, E::kCancel, NotQueued(), NotQueued()},
      {S::kRunning, E::kCancelAllowRunning, To(S::kCanceling),
       To(S::kCanceling)},
      {S::kRunning, E::kComplete, To(S::kSucceeded), To(S::kSucceeded)},
      {S::kRunning, E::kFailRetryable, To(S::kQueued), To(S::kFailed)},
      {S::kRunning, E::kFailFinal, To(S::kFailed), To(S::kFailed)},
      {S::kRunning, E::kLeaseExpired, To(S::kQueued), To(S::kFailed)},
      {S::kRunning, E::kCancelAcknowledged, LeaseLost(), LeaseLost()},
      // CANCELING
      {S::kCanceling, E::kLease, NotQueued(), NotQueued()},
      {S::kCanceling, E::kCancel, NotQueued(), NotQueued()},
      {S::kCanceling, E::kCancelAllowRunning, Same(), Same()},
      {S::kCanceling, E::kComplete, To(S::kSucceeded), To(S::kSucceeded)},
      {S::kCanceling, E::kFailRetryable, To(S::kCanceled), To(S::kCanceled)},
      {S::kCanceling, E::kFailFinal, To(S::kCanceled), To(S::kCanceled)},
      {S::kCanceling, E::kLeaseExpired, To(S::kCanceled), To(S::kCanceled)},
      {S::kCanceling, E::kCancelAcknowledged, To(S::kCanceled),
       To(S::kCanceled)},
      // SUCCEEDED
      {S::kSucceeded, E::kLease, NotQueued(), NotQueued()},
      {S::kSucceeded, E::kCancel, NotQueued(), NotQueued()},
      {S::kSucceeded, E::kCancelAllowRunning, NotQueued(), NotQueued()},
      {S::kSucceeded, E::kComplete, LeaseLost(), LeaseLost()},
      {S::kSucceeded, E::kFailRetryable, LeaseLost(), LeaseLost()},
      {S::kSucceeded, E::kFailFinal, LeaseLost(), LeaseLost()},
      {S::kSucceeded, E::kLeaseExpired, LeaseLost(), LeaseLost()},
      {S::kSucceeded, E::kCancelAcknowledged, LeaseLost(), LeaseLost()},
      // FAILED
      {S::kFailed, E::kLease, NotQueued(), NotQueued()},
      {S::kFailed, E::kCancel, NotQueued(), NotQueued()},
      {S::kFailed, E::kCancelAllowRunning, NotQueued(), NotQueued()},
      {S::kFailed, E::kComplete, LeaseLost(), LeaseLost()},
      {S::kFailed, E::kFailRetryable, LeaseLost(), LeaseLost()},
      {S::kFailed, E::kFailFinal, LeaseLost(), LeaseLost()},
      {S::kFailed, E::kLeaseExpired, LeaseLost(), LeaseLost()},
      {S::kFailed, E::kCancelAcknowledged, LeaseLost(), LeaseLost()},
      // CANCELED
      {S::kCanceled, E::kLease, NotQueued(), NotQueued()},
      {S::kCanceled, E::kCancel, Same(), Same()},
      {S::kCanceled, E::kCancelAllowRunning, Same(), Same()},
      {S::kCanceled, E::kComplete, LeaseLost(), LeaseLost()},
      {S::kCanceled, E::kFailRetryable, LeaseLost(), LeaseLost()},
      {S::kCanceled, E::kFailFinal, LeaseLost(), LeaseLost()},
      {S::kCanceled, E::kLeaseExpired, LeaseLost(), LeaseLost()},
      {S::kCanceled, E::kCancelAcknowledged, LeaseLost(), LeaseLost()},
  };
  return *table;
}

const ExpectationRow* FindExpectation(JobState from, JobEvent event) {
  const ExpectationRow* found = nullptr;
  for (const ExpectationRow& row : ExpectedTable()) {
    if (row.from == from && row.event == event) {
      EXPECT_EQ(found, nullptr)
          << "expectation listed twice for " << JobStateName(from) << " + "
          << JobEventName(event);
      found = &row;
    }
  }
  return found;
}

TEST(JobStateMachineTest, ExpectedTableCoversEveryPairOnce) {
  EXPECT_EQ(ExpectedTable().size(),
            static_cast<size_t>(kJobStateCount) *
                (sizeof(kAllJobEvents) / sizeof(kAllJobEvents[0])));
  for (JobState from : kAllJobStates) {
    for (JobEvent event : kAllJobEvents) {
      EXPECT_NE(FindExpectation(from, event), nullptr)
          << JobStateName(from) << " + " << JobEventName(event);
    }
  }
}

TEST(JobStateMachineTest, DecidesEveryStateEventAndAttemptsLeftAsExpected) {
  int combinations = 0;
  for (JobState from : kAllJobStates) {
    for (JobEvent event : kAllJobEvents) {
      for (bool attempts_left : {true, false}) {
        ++combinations;
        const std::string label =
            absl::StrCat(JobStateName(from), " + ", JobEventName(event),
                         attempts_left ? " (attempts left)" : " (exhausted)");
        const ExpectationRow* row = FindExpectation(from, event);
        ASSERT_NE(row, nullptr) << label;
        const Expected& expected = attempts_left ? row->with_attempts_left
                                                 : row->without_attempts_left;
        const absl::StatusOr<JobTransition> decided =
            JobStateMachine::Decide(from, event, attempts_left);
        switch (expected.kind) {
          case Expected::kMove:
            ASSERT_TRUE(decided.ok()) << label << ": " << decided.status();
            EXPECT_TRUE(decided->changes_state) << label;
            EXPECT_EQ(decided->to, expected.to)
                << label << ": got " << JobStateName(decided->to)
                << ", expected " << JobStateName(expected.to);
            break;
          case Expected::kNoChange:
            ASSERT_TRUE(decided.ok()) << label << ": " << decided.status();
            EXPECT_FALSE(decided->changes_state) << label;
            EXPECT_EQ(decided->to, from) << label;
            break;
          case Expected::kRefused:
            ASSERT_FALSE(decided.ok())
                << label << ": allowed, to " << JobStateName(decided->to);
            EXPECT_EQ(decided.status().code(),
                      absl::StatusCode::kFailedPrecondition)
                << label << ": " << decided.status();
            EXPECT_EQ(ErrorReasonOf(decided.status()), expected.reason)
                << label << ": " << decided.status();
            // The message names the state the job is in and the event.
            EXPECT_TRUE(
                absl::StrContains(decided.status().message(),
                                  absl::StrCat("job is ", JobStateName(from))))
                << label << ": " << decided.status();
            EXPECT_TRUE(absl::StrContains(decided.status().message(),
                                          JobEventName(event)))
                << label << ": " << decided.status();
            break;
        }
      }
    }
  }
  EXPECT_EQ(combinations, 6 * 8 * 2);
}

TEST(JobStateMachineTest, CancelOfRunningJobSaysOnlyQueuedJobsCanBeCanceled) {
  const absl::StatusOr<JobTransition> decided =
      JobStateMachine::Decide(S::kRunning, E::kCancel, true);
  ASSERT_FALSE(decided.ok());
  EXPECT_TRUE(
      absl::StrContains(decided.status().message(),
                        "job is RUNNING; only QUEUED jobs can be canceled"))
      << decided.status();
}

TEST(JobStateMachineTest, EveryEventHasADistinctName) {
  std::vector<std::string> names;
  for (JobEvent event : kAllJobEvents) {
    const std::string name = JobEventName(event);
    EXPECT_NE(name, "unknown");
    for (const std::string& seen : names) EXPECT_NE(seen, name);
    names.push_back(name);
  }
  EXPECT_STREQ(JobEventName(E::kCancelAllowRunning), "cancel_allow_running");
}

// --- Apply() -----------------------------------------------------------------

const absl::Time kCreated = absl::FromUnixSeconds(1700000000);
const absl::Time kEarlier = kCreated + absl::Minutes(1);
const absl::Time kNow = kCreated + absl::Minutes(5);

Job QueuedJob() {
  Job job;
  job.tenant = "t1";
  job.id = "0123456789abcdef0123456789abcdef";
  job.state = S::kQueued;
  job.spec = "spec-bytes";
  job.pipeline_id = "fedcba9876543210fedcba9876543210";
  job.user_data = "user data";
  job.create_time = kCreated;
  job.update_time = kCreated;
  job.version = 7;
  job.sequence = 3;
  return job;
}

Job RunningJob(int attempt_count) {
  Job job = QueuedJob();
  job.state = S::kRunning;
  job.start_time = kEarlier;
  job.update_time = kEarlier;
  job.attempt_count = attempt_count;
  return job;
}

// Expects every field of `a` to equal that of `b`.
void ExpectSameJob(const Job& a, const Job& b) {
  EXPECT_EQ(a.tenant, b.tenant);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.spec, b.spec);
  EXPECT_EQ(a.pipeline_id, b.pipeline_id);
  EXPECT_EQ(a.priority, b.priority);
  EXPECT_EQ(a.user_data, b.user_data);
  EXPECT_EQ(a.create_time, b.create_time);
  EXPECT_EQ(a.start_time, b.start_time);
  EXPECT_EQ(a.end_time, b.end_time);
  EXPECT_EQ(a.update_time, b.update_time);
  EXPECT_EQ(a.attempt_count, b.attempt_count);
  EXPECT_EQ(a.result, b.result);
  ASSERT_EQ(a.error.has_value(), b.error.has_value());
  if (a.error.has_value()) {
    EXPECT_EQ(a.error->code, b.error->code);
    EXPECT_EQ(a.error->message, b.error->message);
  }
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.sequence, b.sequence);
}

TEST(JobStateMachineApplyTest, LeaseStartsAnAttempt) {
  Job queued = QueuedJob();
  queued.attempt_count = 1;  // requeued once before
  queued.start_time = kEarlier;
  const absl::StatusOr<Job> leased =
      JobStateMachine::Apply(queued, E::kLease, true, kNow);
  ASSERT_TRUE(leased.ok()) << leased.status();
  EXPECT_EQ(leased->state, S::kRunning);
  EXPECT_EQ(leased->attempt_count, 2);
  EXPECT_EQ(leased->start_time, kNow);
  EXPECT_EQ(leased->update_time, kNow);
  EXPECT_FALSE(leased->end_time.has_value());
  EXPECT_EQ(leased->create_time, kCreated);
  EXPECT_EQ(leased->version, queued.version) << "version is the store's";
  EXPECT_EQ(leased->spec, queued.spec);
}

TEST(JobStateMachineApplyTest, CancelOfQueuedJobEndsIt) {
  const absl::StatusOr<Job> canceled =
      JobStateMachine::Apply(QueuedJob(), E::kCancel, false, kNow);
  ASSERT_TRUE(canceled.ok()) << canceled.status();
  EXPECT_EQ(canceled->state, S::kCanceled);
  EXPECT_EQ(canceled->end_time, kNow);
  EXPECT_EQ(canceled->update_time, kNow);
  EXPECT_FALSE(canceled->start_time.has_value());
  EXPECT_EQ(canceled->attempt_count, 0);
  EXPECT_EQ(canceled->version, 7);
}

TEST(JobStateMachineApplyTest, CompleteSetsEndTimeAndKeepsStart) {
  const absl::StatusOr<Job> done =
      JobStateMachine::Apply(RunningJob(1), E::kComplete, true, kNow);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state, S::kSucceeded);
  EXPECT_EQ(done->start_time, kEarlier);
  EXPECT_EQ(done->end_time, kNow);
  EXPECT_EQ(done->attempt_count, 1);
}

TEST(JobStateMachineApplyTest, RetryableFailureRequeuesKeepingAttempts) {
  const absl::StatusOr<Job> requeued =
      JobStateMachine::Apply(RunningJob(2), E::kFailRetryable, true, kNow);
  ASSERT_TRUE(requeued.ok()) << requeued.status();
  EXPECT_EQ(requeued->state, S::kQueued);
  EXPECT_EQ(requeued->attempt_count, 2);
  EXPECT_FALSE(requeued->end_time.has_value());
  EXPECT_EQ(requeued->start_time, kEarlier) << "when it last started";
  EXPECT_EQ(requeued->update_time, kNow);

  // Leased again: the attempt count goes on from where it was.
  const absl::StatusOr<Job> leased =
      JobStateMachine::Apply(*requeued, E::kLease, true, kNow + absl::Hours(1));
  ASSERT_TRUE(leased.ok()) << leased.status();
  EXPECT_EQ(leased->attempt_count, 3);
  EXPECT_EQ(leased->start_time, kNow + absl::Hours(1));
}

TEST(JobStateMachineApplyTest, ExhaustedLeaseExpiryFailsTheJob) {
  const absl::StatusOr<Job> failed =
      JobStateMachine::Apply(RunningJob(3), E::kLeaseExpired, false, kNow);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->state, S::kFailed);
  EXPECT_EQ(failed->end_time, kNow);
  EXPECT_EQ(failed->attempt_count, 3);
}

TEST(JobStateMachineApplyTest, CancelingIsNotTerminal) {
  const absl::StatusOr<Job> canceling =
      JobStateMachine::Apply(RunningJob(1), E::kCancelAllowRunning, true, kNow);
  ASSERT_TRUE(canceling.ok()) << canceling.status();
  EXPECT_EQ(canceling->state, S::kCanceling);
  EXPECT_FALSE(canceling->end_time.has_value());
  EXPECT_EQ(canceling->update_time, kNow);
}

TEST(JobStateMachineApplyTest, NoChangeReturnsTheJobIdentical) {
  Job canceled = QueuedJob();
  canceled.state = S::kCanceled;
  canceled.end_time = kEarlier;
  canceled.update_time = kEarlier;
  for (JobEvent event : {E::kCancel, E::kCancelAllowRunning}) {
    const absl::StatusOr<Job> again =
        JobStateMachine::Apply(canceled, event, true, kNow);
    ASSERT_TRUE(again.ok()) << again.status();
    ExpectSameJob(*again, canceled);
  }

  Job canceling = RunningJob(1);
  canceling.state = S::kCanceling;
  const absl::StatusOr<Job> again =
      JobStateMachine::Apply(canceling, E::kCancelAllowRunning, true, kNow);
  ASSERT_TRUE(again.ok()) << again.status();
  ExpectSameJob(*again, canceling);
}

TEST(JobStateMachineApplyTest, RefusalIsReturnedAsIs) {
  const absl::StatusOr<Job> refused =
      JobStateMachine::Apply(RunningJob(1), E::kCancel, true, kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReasonOf(refused.status()), kReasonJobNotQueued);

  const absl::StatusOr<Job> stale =
      JobStateMachine::Apply(QueuedJob(), E::kComplete, true, kNow);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(ErrorReasonOf(stale.status()), kReasonLeaseLost);
}

}  // namespace
}  // namespace jobcontrol
