// Race test of dispatch against cancel below the gRPC layer, built to run
// under ThreadSanitizer (scripts/test, stage tsan): thousands of queued jobs
// in a real SQLite file, several threads leasing them through
// Store::LeaseNextJob + JobLifecycle::Lease while several others cancel every
// job through Store::UpdateJob + JobLifecycle::Cancel, with the server's
// JobChangeHub and LeaseExpirySweeper running beside them and a reader
// following job histories. Each job must end with exactly one winner:
// CANCELED and never leased, or RUNNING and leased exactly once; every
// cancel reply must agree with that outcome, and every job's history must be
// QUEUED then its final state, nothing else.
//
// A second race has workers wait (Store::LeaseNextJobOrWait) while the jobs
// are being submitted, each wait ending at a random moment: a job leased to
// a wait must reach that worker (through the wait's Outcome or End) exactly
// once, and no job may be left QUEUED or leased twice.
//
// (tests/dispatch_race_test.cc fires the same race through the gRPC API;
// Debian's gRPC is not built with ThreadSanitizer, so that one runs in the
// plain and ASan builds only.)
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/core/clock.h"
#include "server/core/error_reason.h"
#include "server/core/ids.h"
#include "server/core/job_change_hub.h"
#include "server/core/job_lifecycle.h"
#include "server/core/lease_expiry_sweeper.h"
#include "server/store/sqlite/sqlite_store.h"

namespace jobcontrol {
namespace {

constexpr char kTenant[] = "race-tenant";
// Kept in the thousands, sized for a 2-core machine under ThreadSanitizer.
constexpr int kJobs = 2000;
constexpr int kSubmitThreads = 4;
constexpr int kLeaseThreads = 3;
constexpr int kCancelThreads = 3;

class HubListener final : public StoreChangeListener {
 public:
  explicit HubListener(JobChangeHub* hub) : hub_(hub) {}
  void OnJobChanged(const Job&) override { hub_->Notify(); }
  void OnPipelineChanged(const Pipeline&) override { hub_->Notify(); }

 private:
  JobChangeHub* hub_;
};

Pipeline NewPipeline(const std::string& name, int priority) {
  Pipeline pipeline;
  pipeline.tenant = kTenant;
  pipeline.id = NewResourceId();
  pipeline.name = name;
  pipeline.state = PipelineState::kActive;
  pipeline.priority = priority;
  pipeline.create_time = CurrentTime();
  pipeline.update_time = pipeline.create_time;
  return pipeline;
}

Job NewJob(const std::string& pipeline_id, int i) {
  Job job;
  job.tenant = kTenant;
  job.id = NewResourceId();
  job.state = JobState::kQueued;
  job.kind = i % 2 == 0 ? JobKind::kDnaAnalysis : JobKind::kEditing;
  job.spec = absl::StrCat("spec-", i);
  job.pipeline_id = pipeline_id;
  job.priority = 1 + i % 10;
  job.create_time = CurrentTime();
  job.update_time = job.create_time;
  return job;
}

class SqliteLeaseRaceTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = testing::TempDir() + "sqlite_lease_race.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    SqliteStoreOptions options;
    options.path = dir_ + "/jobcontrol.db";
    auto store = SqliteStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    store_->SetChangeListener(&listener_);
    sweeper_ = std::make_unique<LeaseExpirySweeper>(store_.get(), &hub_,
                                                    absl::Milliseconds(20));
  }

  void TearDown() override {
    hub_.Shutdown();
    sweeper_.reset();
    if (store_ != nullptr) store_->SetChangeListener(nullptr);
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string dir_;
  JobChangeHub hub_;
  HubListener listener_{&hub_};
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<LeaseExpirySweeper> sweeper_;
};

TEST_F(SqliteLeaseRaceTest, EveryJobIsEitherCanceledOrLeasedExactlyOnce) {
  std::vector<std::string> pipelines;
  for (int priority : {2, 5, 9}) {
    auto created = store_->CreatePipeline(
        NewPipeline(absl::StrCat("race-", priority), priority));
    ASSERT_TRUE(created.ok()) << created.status();
    pipelines.push_back(created->id);
  }

  std::vector<std::string> ids(kJobs);
  {
    std::atomic<int> failures{0};
    std::vector<std::thread> submitters;
    for (int t = 0; t < kSubmitThreads; ++t) {
      submitters.emplace_back([&, t] {
        for (int i = t; i < kJobs; i += kSubmitThreads) {
          JobSubmission submission;
          submission.job = NewJob(pipelines[i % pipelines.size()], i);
          auto submitted = store_->SubmitJob(submission);
          if (!submitted.ok()) {
            ++failures;
            continue;
          }
          ids[i] = submitted->job.id;  // each thread writes its own slots
        }
      });
    }
    for (std::thread& submitter : submitters) submitter.join();
    ASSERT_EQ(failures.load(), 0);
  }

  std::atomic<bool> go{false};
  std::atomic<int> leasers_done{0};
  std::atomic<int> unexpected_errors{0};
  std::mutex results_mutex;
  std::map<std::string, int> leases;          // job id -> times leased
  std::map<std::string, int> cancels_won;     // job id -> QUEUED->CANCELED
  std::map<std::string, int> cancels_refused; // job id -> JOB_NOT_QUEUED

  std::vector<std::thread> threads;
  for (int t = 0; t < kLeaseThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      const std::string worker = absl::StrCat("worker-", t);
      for (;;) {
        const absl::Time now = CurrentTime();
        LeaseQuery query;
        query.now = now;
        auto leased = store_->LeaseNextJob(kTenant, query, [&](const Job& job) {
          LeaseGrant grant;
          grant.worker_id = worker;
          grant.lease_id = NewResourceId();
          grant.duration = absl::Hours(1);
          return JobLifecycle::Lease(job, grant, now);
        });
        if (!leased.ok()) {
          ++unexpected_errors;
          ADD_FAILURE() << "LeaseNextJob: " << leased.status();
          break;
        }
        if (!leased->has_value()) break;  // nothing QUEUED is left
        std::lock_guard<std::mutex> lock(results_mutex);
        ++leases[(*leased)->id];
      }
      ++leasers_done;
    });
  }
  for (int t = 0; t < kCancelThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::string> order = ids;
      std::shuffle(order.begin(), order.end(), std::mt19937(t + 1));
      while (!go.load()) std::this_thread::yield();
      for (const std::string& id : order) {
        const absl::Time now = CurrentTime();
        std::optional<JobState> before;
        auto canceled = store_->UpdateJob(kTenant, id, [&](const Job& job) {
          before = job.state;
          return JobLifecycle::Cancel(job, /*allow_running=*/false, now);
        });
        std::lock_guard<std::mutex> lock(results_mutex);
        if (canceled.ok() && canceled->state == JobState::kCanceled) {
          if (before == JobState::kQueued) ++cancels_won[id];
        } else if (!canceled.ok() &&
                   ErrorReasonOf(canceled.status()) == kReasonJobNotQueued) {
          ++cancels_refused[id];
        } else {
          ++unexpected_errors;
          ADD_FAILURE() << "cancel " << id << ": "
                        << (canceled.ok() ? JobStateName(canceled->state)
                                          : canceled.status().ToString());
        }
      }
    });
  }
  // A reader following histories while the writers run, as WatchJob does.
  threads.emplace_back([&] {
    while (!go.load()) std::this_thread::yield();
    size_t next = 0;
    while (leasers_done.load() < kLeaseThreads) {
      const int64_t seen = hub_.Generation();
      auto versions = store_->ListJobVersions(kTenant, ids[next], 0, 10);
      if (!versions.ok()) {
        ++unexpected_errors;
        ADD_FAILURE() << "ListJobVersions: " << versions.status();
        break;
      }
      next = (next + 1) % ids.size();
      hub_.WaitForChange(seen, CurrentTime() + absl::Milliseconds(5));
    }
  });
  go = true;
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(unexpected_errors.load(), 0);

  int leased_jobs = 0;
  int canceled_jobs = 0;
  for (const std::string& id : ids) {
    auto job = store_->GetJob(kTenant, id);
    ASSERT_TRUE(job.ok()) << job.status();
    const int times_leased = leases.count(id) ? leases[id] : 0;
    const int won = cancels_won.count(id) ? cancels_won[id] : 0;
    const int refused = cancels_refused.count(id) ? cancels_refused[id] : 0;
    if (job->state == JobState::kCanceled) {
      ++canceled_jobs;
      EXPECT_EQ(times_leased, 0) << id << " canceled and leased";
      EXPECT_EQ(won, 1) << id << " canceled by " << won << " cancels";
      EXPECT_EQ(refused, 0) << id;
    } else {
      ++leased_jobs;
      EXPECT_EQ(job->state, JobState::kRunning) << id;
      EXPECT_EQ(times_leased, 1) << id << " leased " << times_leased;
      EXPECT_EQ(job->attempt_count, 1) << id;
      EXPECT_EQ(won, 0) << id << " leased and canceled";
      EXPECT_EQ(refused, kCancelThreads) << id;
    }
    auto history = store_->ListJobVersions(kTenant, id, 0, 10);
    ASSERT_TRUE(history.ok()) << history.status();
    ASSERT_EQ(history->size(), 2u) << id;
    EXPECT_EQ((*history)[0].state, JobState::kQueued) << id;
    EXPECT_EQ((*history)[1].state, job->state) << id;
  }
  EXPECT_EQ(leased_jobs + canceled_jobs, kJobs);
  // Both sides won some: the race really happened.
  EXPECT_GT(leased_jobs, 0);
  EXPECT_GT(canceled_jobs, 0);
}

TEST_F(SqliteLeaseRaceTest, JobsSubmittedToWaitingWorkersReachExactlyOne) {
  std::vector<std::string> pipelines;
  for (int priority : {3, 8}) {
    auto created = store_->CreatePipeline(
        NewPipeline(absl::StrCat("wait-race-", priority), priority));
    ASSERT_TRUE(created.ok()) << created.status();
    pipelines.push_back(created->id);
  }
  constexpr int kWaitJobs = kJobs / 2;

  std::atomic<bool> submitters_done{false};
  std::atomic<int> unexpected_errors{0};
  std::mutex results_mutex;
  std::map<std::string, int> deliveries;  // job id -> times handed to a worker
  std::atomic<int> through_waits{0};      // deliveries by a settled wait
  auto deliver = [&](const absl::StatusOr<Job>& outcome) {
    if (!outcome.ok()) {
      ++unexpected_errors;
      ADD_FAILURE() << "lease wait settled with " << outcome.status();
      return;
    }
    std::lock_guard<std::mutex> lock(results_mutex);
    ++deliveries[outcome->id];
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < kLeaseThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(t + 7);
      const std::string worker = absl::StrCat("waiting-worker-", t);
      const JobDecisionAt decide = [&](const Job& job, absl::Time now) {
        LeaseGrant grant;
        grant.worker_id = worker;
        grant.lease_id = NewResourceId();
        grant.duration = absl::Hours(1);
        return JobLifecycle::Lease(job, grant, now);
      };
      for (;;) {
        const bool last_round = submitters_done.load();
        LeaseQuery query;
        query.now = CurrentTime();
        auto found = store_->LeaseNextJobOrWait(kTenant, query, decide);
        if (!found.ok()) {
          ++unexpected_errors;
          ADD_FAILURE() << "LeaseNextJobOrWait: " << found.status();
          return;
        }
        if (found->job.has_value()) {
          deliver(*found->job);
          continue;
        }
        // Wait a random while (a few hub wake-ups), then end the wait.
        std::optional<absl::StatusOr<Job>> outcome;
        const int looks = std::uniform_int_distribution<int>(0, 3)(random);
        for (int look = 0; look < looks && !outcome.has_value(); ++look) {
          const int64_t seen = hub_.Generation();
          outcome = found->wait->Outcome();
          if (!outcome.has_value()) {
            hub_.WaitForChange(seen, CurrentTime() + absl::Milliseconds(2));
          }
        }
        if (!outcome.has_value()) outcome = found->wait->End();
        if (outcome.has_value()) {
          ++through_waits;
          deliver(*outcome);
        } else if (last_round) {
          return;  // every job was submitted before this look found none
        }
      }
    });
  }
  std::vector<std::string> ids(kWaitJobs);
  std::vector<std::thread> submitters;
  for (int t = 0; t < kSubmitThreads; ++t) {
    submitters.emplace_back([&, t] {
      std::mt19937 random(t + 1);
      for (int i = t; i < kWaitJobs; i += kSubmitThreads) {
        // Paced, so that the workers run dry and wait between jobs.
        std::this_thread::sleep_for(std::chrono::microseconds(
            std::uniform_int_distribution<int>(0, 2000)(random)));
        JobSubmission submission;
        submission.job = NewJob(pipelines[i % pipelines.size()], i);
        auto submitted = store_->SubmitJob(submission);
        if (!submitted.ok()) {
          ++unexpected_errors;
          ADD_FAILURE() << "SubmitJob: " << submitted.status();
          continue;
        }
        ids[i] = submitted->job.id;  // each thread writes its own slots
      }
    });
  }
  for (std::thread& submitter : submitters) submitter.join();
  submitters_done = true;
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(unexpected_errors.load(), 0);

  for (const std::string& id : ids) {
    auto job = store_->GetJob(kTenant, id);
    ASSERT_TRUE(job.ok()) << job.status();
    EXPECT_EQ(job->state, JobState::kRunning) << id << " never leased";
    EXPECT_EQ(deliveries[id], 1) << id << " reached " << deliveries[id]
                                 << " workers";
    auto history = store_->ListJobVersions(kTenant, id, 0, 10);
    ASSERT_TRUE(history.ok()) << history.status();
    EXPECT_EQ(history->size(), 2u) << id;
  }
  EXPECT_EQ(deliveries.size(), ids.size());
  // Waits really were served by the submits' commits.
  EXPECT_GT(through_waits.load(), 0);
  std::printf("%d of %d jobs reached a waiting worker\n", through_waits.load(),
              kWaitJobs);
}

}  // namespace
}  // namespace jobcontrol
