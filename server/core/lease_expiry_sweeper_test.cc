// Tests of LeaseExpirySweeper against a real SqliteStore in a fresh temporary
// directory per test. Jobs that only SweepOnce should touch are leased at
// times an hour ahead of the clock, so the sweeper's own thread, which works
// at the current time, leaves them alone.
#include "server/core/lease_expiry_sweeper.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/core/clock.h"
#include "server/core/ids.h"
#include "server/core/job_change_hub.h"
#include "server/core/job_lifecycle.h"
#include "server/store/sqlite/sqlite_store.h"

namespace jobcontrol {
namespace {

constexpr char kTenant[] = "tenant-a";
constexpr char kWorkerId[] = "worker-1";

// Bounds every wait on the sweeper's thread; a passing test never gets near
// it. Sweepers whose thread a test relies on sleep far longer than this
// (kLongSleep), so only a wake-up the test expects can make it pass.
const absl::Duration kGiveUpAfter = absl::Seconds(30);
const absl::Duration kLongSleep = absl::Hours(1);

// A fresh directory under the test temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    std::string pattern = testing::TempDir() + "lease_expiry_sweeper.XXXXXX";
    char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr) << "mkdtemp " << pattern;
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class LeaseExpirySweeperTest : public testing::Test {
 protected:
  void SetUp() override {
    OpenStore();
    ASSERT_NE(store_, nullptr);
    Pipeline pipeline;
    pipeline.tenant = kTenant;
    pipeline.id = NewResourceId();
    pipeline.name = "slow-retries";
    pipeline.state = PipelineState::kActive;
    pipeline.create_time = CurrentTime();
    pipeline.update_time = pipeline.create_time;
    // Distinct from the defaults, so the tests see which policy was used.
    pipeline.retry_policy.initial_backoff = absl::Seconds(10);
    pipeline.retry_policy.max_backoff = absl::Seconds(10);
    absl::StatusOr<Pipeline> created = store_->CreatePipeline(pipeline);
    ASSERT_TRUE(created.ok()) << created.status();
    pipeline_ = *created;
  }

  void OpenStore() {
    store_.reset();
    SqliteStoreOptions options;
    options.path = dir_.path() + "/jobcontrol.db";
    absl::StatusOr<std::unique_ptr<SqliteStore>> store =
        SqliteStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  void SetRetryPolicy(const RetryPolicy& policy) {
    absl::StatusOr<Pipeline> updated = store_->UpdatePipeline(
        kTenant, pipeline_.id, [&](const Pipeline& current) {
          Pipeline next = current;
          next.retry_policy = policy;
          return next;
        });
    ASSERT_TRUE(updated.ok()) << updated.status();
    pipeline_ = *updated;
  }

  Job Submit(int max_attempts) {
    JobSubmission submission;
    Job& job = submission.job;
    job.tenant = kTenant;
    job.id = NewResourceId();
    job.state = JobState::kQueued;
    job.kind = JobKind::kDnaAnalysis;
    job.spec = "spec";
    job.pipeline_id = pipeline_.id;
    job.create_time = CurrentTime();
    job.update_time = job.create_time;
    job.max_attempts = max_attempts;
    absl::StatusOr<SubmitResult> submitted = store_->SubmitJob(submission);
    EXPECT_TRUE(submitted.ok()) << submitted.status();
    return submitted.ok() ? submitted->job : Job();
  }

  // Leases the next dispatchable job at `now` for `duration`, as
  // WorkerService.LeaseJob does.
  std::optional<Job> LeaseAt(absl::Time now, absl::Duration duration) {
    LeaseQuery query;
    query.now = now;
    const LeaseGrant grant{kWorkerId, NewResourceId(), duration};
    absl::StatusOr<std::optional<Job>> leased =
        store_->LeaseNextJob(kTenant, query, [&](const Job& current) {
          return JobLifecycle::Lease(current, grant, now);
        });
    EXPECT_TRUE(leased.ok()) << leased.status();
    return leased.ok() ? *leased : std::nullopt;
  }

  Job Get(const std::string& id) {
    absl::StatusOr<Job> job = store_->GetJob(kTenant, id);
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? *job : Job();
  }

  // Waits, on the hub, until job `id` is no longer in `state`.
  Job AwaitStateOtherThan(const std::string& id, JobState state) {
    const absl::Time give_up = absl::Now() + kGiveUpAfter;
    while (true) {
      const int64_t seen = hub_.Generation();
      Job job = Get(id);
      if (job.state != state) return job;
      if (!hub_.WaitForChange(seen, give_up)) {
        ADD_FAILURE() << "job " << id << " stayed " << JobStateName(state);
        return job;
      }
    }
  }

  TempDir dir_;
  JobChangeHub hub_;
  std::unique_ptr<SqliteStore> store_;
  Pipeline pipeline_;
};

TEST_F(LeaseExpirySweeperTest, SweepOnceRequeuesAnExpiredLeaseWithBackoff) {
  LeaseExpirySweeper sweeper(store_.get(), &hub_);
  const Job submitted = Submit(/*max_attempts=*/3);
  const absl::Time t = CurrentTime() + absl::Hours(1);
  std::optional<Job> leased = LeaseAt(t, absl::Seconds(1));
  ASSERT_TRUE(leased.has_value());
  ASSERT_EQ(leased->id, submitted.id);

  // Not expired yet: nothing to do.
  EXPECT_EQ(sweeper.SweepOnce(t + absl::Milliseconds(500)), 0);
  EXPECT_EQ(Get(submitted.id).state, JobState::kRunning);

  const int64_t generation = hub_.Generation();
  const absl::Time sweep_time = t + absl::Seconds(2);
  EXPECT_EQ(sweeper.SweepOnce(sweep_time), 1);
  EXPECT_GT(hub_.Generation(), generation);  // long-polls look again

  const Job requeued = Get(submitted.id);
  EXPECT_EQ(requeued.state, JobState::kQueued);
  EXPECT_EQ(requeued.attempt_count, 1);
  EXPECT_TRUE(requeued.lease_id.empty());
  EXPECT_TRUE(requeued.worker_id.empty());
  EXPECT_FALSE(requeued.lease_expire_time.has_value());
  EXPECT_FALSE(requeued.error.has_value());
  // The pipeline's policy: 10s with equal jitter, so 5s to 10s.
  ASSERT_TRUE(requeued.next_attempt_time.has_value());
  EXPECT_GE(*requeued.next_attempt_time, sweep_time + absl::Seconds(5));
  EXPECT_LE(*requeued.next_attempt_time, sweep_time + absl::Seconds(10));

  // Done: a second sweep changes nothing, and the backoff holds the job.
  EXPECT_EQ(sweeper.SweepOnce(sweep_time), 0);
  EXPECT_FALSE(LeaseAt(*requeued.next_attempt_time - absl::Microseconds(1),
                       absl::Seconds(1))
                   .has_value());
  std::optional<Job> second =
      LeaseAt(*requeued.next_attempt_time, absl::Seconds(1));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->attempt_count, 2);
}

TEST_F(LeaseExpirySweeperTest, ExpiriesUpToMaxAttemptsEndFailed) {
  LeaseExpirySweeper sweeper(store_.get(), &hub_);
  const Job submitted = Submit(/*max_attempts=*/2);
  absl::Time t = CurrentTime() + absl::Hours(1);
  for (int attempt = 1; attempt <= 2; ++attempt) {
    std::optional<Job> leased = LeaseAt(t, absl::Seconds(1));
    ASSERT_TRUE(leased.has_value()) << attempt;
    EXPECT_EQ(leased->attempt_count, attempt);
    EXPECT_EQ(sweeper.SweepOnce(t + absl::Seconds(2)), 1) << attempt;
    t += absl::Minutes(1);  // past any backoff
  }
  const Job failed = Get(submitted.id);
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_EQ(failed.attempt_count, 2);
  ASSERT_TRUE(failed.error.has_value());
  EXPECT_EQ(failed.error->code, 4);  // DEADLINE_EXCEEDED
  EXPECT_TRUE(absl::StrContains(failed.error->message, "lease expired"))
      << failed.error->message;
  EXPECT_TRUE(absl::StrContains(failed.error->message, "attempt 2 of 2"))
      << failed.error->message;
  EXPECT_FALSE(failed.next_attempt_time.has_value());
  EXPECT_TRUE(failed.lease_id.empty());
  EXPECT_FALSE(LeaseAt(t, absl::Seconds(1)).has_value());
}

TEST_F(LeaseExpirySweeperTest, ExpiryOfACancelingJobCancelsIt) {
  LeaseExpirySweeper sweeper(store_.get(), &hub_);
  const Job submitted = Submit(/*max_attempts=*/3);
  const absl::Time t = CurrentTime() + absl::Hours(1);
  ASSERT_TRUE(LeaseAt(t, absl::Seconds(1)).has_value());
  absl::StatusOr<Job> canceling =
      store_->UpdateJob(kTenant, submitted.id, [&](const Job& current) {
        return JobLifecycle::Cancel(current, /*allow_running=*/true, t);
      });
  ASSERT_TRUE(canceling.ok()) << canceling.status();
  ASSERT_EQ(canceling->state, JobState::kCanceling);

  EXPECT_EQ(sweeper.SweepOnce(t + absl::Seconds(2)), 1);
  const Job canceled = Get(submitted.id);
  EXPECT_EQ(canceled.state, JobState::kCanceled);
  EXPECT_EQ(canceled.end_time, t + absl::Seconds(2));
  EXPECT_TRUE(canceled.lease_id.empty());
  EXPECT_FALSE(canceled.error.has_value());
}

TEST_F(LeaseExpirySweeperTest, RenewedLeaseIsLeftAlone) {
  LeaseExpirySweeper sweeper(store_.get(), &hub_);
  const Job submitted = Submit(/*max_attempts=*/3);
  const absl::Time t = CurrentTime() + absl::Hours(1);
  std::optional<Job> leased = LeaseAt(t, absl::Seconds(1));
  ASSERT_TRUE(leased.has_value());
  absl::StatusOr<Job> renewed =
      store_->UpdateJob(kTenant, submitted.id, [&](const Job& current) {
        return JobLifecycle::Renew(current, leased->lease_id, absl::Seconds(30),
                                   t + absl::Milliseconds(900));
      });
  ASSERT_TRUE(renewed.ok()) << renewed.status();

  EXPECT_EQ(sweeper.SweepOnce(t + absl::Seconds(2)), 0);
  const Job still_running = Get(submitted.id);
  EXPECT_EQ(still_running.state, JobState::kRunning);
  EXPECT_EQ(still_running.lease_id, leased->lease_id);
  EXPECT_EQ(still_running.version, renewed->version);
}

TEST_F(LeaseExpirySweeperTest, UsesThePipelinesPolicyAsItIsAtExpiry) {
  LeaseExpirySweeper sweeper(store_.get(), &hub_);
  const Job submitted = Submit(/*max_attempts=*/3);
  const absl::Time t = CurrentTime() + absl::Hours(1);
  ASSERT_TRUE(LeaseAt(t, absl::Seconds(1)).has_value());
  SetRetryPolicy(RetryPolicy());  // back to the defaults: initial 1s
  const absl::Time sweep_time = t + absl::Seconds(2);
  EXPECT_EQ(sweeper.SweepOnce(sweep_time), 1);
  const Job requeued = Get(submitted.id);
  ASSERT_TRUE(requeued.next_attempt_time.has_value());
  EXPECT_GE(*requeued.next_attempt_time, sweep_time + absl::Milliseconds(500));
  EXPECT_LE(*requeued.next_attempt_time, sweep_time + absl::Seconds(1));
}

TEST_F(LeaseExpirySweeperTest, ThreadEndsALeaseLeasedAfterItFellAsleep) {
  // The sweeper sleeps up to an hour unless told of a change: only the
  // hub's wake-up can make it see the new, short lease in time.
  LeaseExpirySweeper sweeper(store_.get(), &hub_, kLongSleep);
  const Job submitted = Submit(/*max_attempts=*/3);
  std::optional<Job> leased = LeaseAt(CurrentTime(), absl::Milliseconds(300));
  ASSERT_TRUE(leased.has_value());
  hub_.Notify();  // as the server's store change listener does

  const Job requeued = AwaitStateOtherThan(submitted.id, JobState::kRunning);
  EXPECT_EQ(requeued.state, JobState::kQueued);
  EXPECT_EQ(requeued.attempt_count, 1);
  EXPECT_TRUE(requeued.next_attempt_time.has_value());
  EXPECT_TRUE(requeued.lease_id.empty());
}

TEST_F(LeaseExpirySweeperTest, LeasesThatExpiredWhileDownEndAtStart) {
  const Job running = Submit(/*max_attempts=*/3);
  const Job canceling = Submit(/*max_attempts=*/3);
  const absl::Time long_ago = CurrentTime() - absl::Minutes(10);
  ASSERT_TRUE(LeaseAt(long_ago, absl::Seconds(1)).has_value());
  ASSERT_TRUE(LeaseAt(long_ago, absl::Seconds(1)).has_value());
  ASSERT_TRUE(store_
                  ->UpdateJob(kTenant, canceling.id,
                              [&](const Job& current) {
                                return JobLifecycle::Cancel(current, true,
                                                            long_ago);
                              })
                  .ok());
  // The server stops with both leases outstanding and starts again later.
  OpenStore();
  ASSERT_NE(store_, nullptr);

  LeaseExpirySweeper sweeper(store_.get(), &hub_, kLongSleep);
  EXPECT_EQ(AwaitStateOtherThan(running.id, JobState::kRunning).state,
            JobState::kQueued);
  EXPECT_EQ(AwaitStateOtherThan(canceling.id, JobState::kCanceling).state,
            JobState::kCanceled);
}

TEST_F(LeaseExpirySweeperTest, ThreadWakesLongPollsWhenABackoffEnds) {
  RetryPolicy policy;
  policy.initial_backoff = absl::Seconds(2);  // waits 1s to 2s
  policy.max_backoff = absl::Seconds(2);
  SetRetryPolicy(policy);
  const Job submitted = Submit(/*max_attempts=*/3);
  ASSERT_TRUE(
      LeaseAt(CurrentTime() - absl::Minutes(1), absl::Seconds(1)).has_value());

  LeaseExpirySweeper sweeper(store_.get(), &hub_, kLongSleep);
  ASSERT_EQ(AwaitStateOtherThan(submitted.id, JobState::kRunning).state,
            JobState::kQueued);

  // A LeaseJob long-poll: look, and wait on the hub while nothing is
  // dispatchable. Nothing but the sweeper tells the hub about the backoff's
  // end, and it would otherwise sleep for an hour.
  const absl::Time give_up = absl::Now() + kGiveUpAfter;
  std::optional<Job> leased;
  while (true) {
    const int64_t seen = hub_.Generation();
    leased = LeaseAt(CurrentTime(), absl::Seconds(30));
    if (leased.has_value()) break;
    ASSERT_TRUE(hub_.WaitForChange(seen, give_up))
        << "no wake-up when the backoff ended";
  }
  EXPECT_EQ(leased->id, submitted.id);
  EXPECT_EQ(leased->attempt_count, 2);
}

TEST_F(LeaseExpirySweeperTest, StopsPromptlyEvenAfterTheHubShutDown) {
  // Both sweepers would sleep an hour; their destructors must not wait for
  // that (the test would time out).
  { LeaseExpirySweeper sweeper(store_.get(), &hub_, kLongSleep); }
  LeaseExpirySweeper sweeper(store_.get(), &hub_, kLongSleep);
  hub_.Shutdown();
}

}  // namespace
}  // namespace jobcontrol
