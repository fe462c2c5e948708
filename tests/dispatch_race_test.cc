// Race test of dispatch against cancel: thousands of queued jobs, several
// threads leasing (LeaseJob without waiting) while several others cancel
// every job. Each job must end with exactly one winner: CANCELED and never
// leased, or RUNNING and leased exactly once (never both, never twice), and
// every reply must agree with that outcome.
#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/test_server.h"

namespace jobcontrol {
namespace test {
namespace {

// Kept in the thousands, sized for a 2-core machine under sanitizers.
constexpr int kJobs = 2000;
constexpr int kSubmitThreads = 8;
constexpr int kLeaseThreads = 4;
constexpr int kCancelThreads = 3;

class DispatchRaceTest : public ServerTest {};

TEST_F(DispatchRaceTest, EveryJobIsEitherCanceledOrLeasedExactlyOnce) {
  ApiCaller& caller = t1();

  // Jobs spread over three pipelines of different priorities, so leases
  // take them in an order unrelated to the order of the cancels.
  std::vector<std::string> pipelines = {caller.DefaultPipeline().id()};
  for (int priority : {2, 9}) {
    v1::Pipeline in = NamedPipeline(absl::StrCat("race-", priority));
    in.set_priority(priority);
    Reply<v1::Pipeline> created = caller.CreatePipeline(in);
    ASSERT_TRUE(IsOk(created.status));
    pipelines.push_back(created.response.id());
  }

  std::vector<std::string> ids(kJobs);
  {
    std::vector<std::thread> submitters;
    std::atomic<int> failures{0};
    for (int t = 0; t < kSubmitThreads; ++t) {
      submitters.emplace_back([&, t] {
        for (int i = t; i < kJobs; i += kSubmitThreads) {
          v1::Job job = i % 2 == 0 ? ValidDnaJob() : ValidEditingJob();
          job.set_pipeline_id(pipelines[i % pipelines.size()]);
          job.set_priority(1 + i % 10);
          Reply<v1::Job> reply = caller.SubmitJob(job);
          if (!reply.ok()) {
            ++failures;
            continue;
          }
          ids[i] = reply.response.id();
        }
      });
    }
    for (std::thread& thread : submitters) thread.join();
    ASSERT_EQ(failures.load(), 0) << "submits failed";
  }

  // Cancel threads take the jobs in submit order, each thread from its own
  // offset, so every job gets about kCancelThreads cancels spread in time.
  absl::Mutex mutex;
  std::map<std::string, int> lease_count;  // job -> leases returned
  std::set<std::string> cancel_ok;         // some cancel said CANCELED
  std::set<std::string> cancel_refused;    // some cancel said RUNNING
  std::vector<std::string> unexpected;     // anything else
  std::atomic<int> cancelers_running{kCancelThreads};
  absl::Notification go;

  std::vector<std::thread> threads;
  for (int t = 0; t < kCancelThreads; ++t) {
    threads.emplace_back([&, t] {
      go.WaitForNotification();
      const int start = t * kJobs / kCancelThreads;
      for (int n = 0; n < kJobs; ++n) {
        const std::string& id = ids[(start + n) % kJobs];
        Reply<v1::Job> reply = caller.CancelJob(id);
        absl::MutexLock lock(&mutex);
        if (reply.ok() && reply.response.state() == v1::Job::CANCELED) {
          cancel_ok.insert(id);
        } else if (reply.status.error_code() ==
                       grpc::StatusCode::FAILED_PRECONDITION &&
                   ErrorInfoOf(reply.status).has_value() &&
                   ErrorInfoOf(reply.status)->reason() == "JOB_NOT_QUEUED") {
          cancel_refused.insert(id);
        } else {
          unexpected.push_back(absl::StrCat(
              "cancel ", id, ": ",
              reply.ok() ? "OK but not CANCELED" : Describe(reply.status)));
        }
      }
      --cancelers_running;
    });
  }
  for (int t = 0; t < kLeaseThreads; ++t) {
    threads.emplace_back([&, t] {
      v1::LeaseJobRequest request;
      request.set_worker_id(absl::StrCat("race-worker-", t));
      go.WaitForNotification();
      // Lease until the cancels are over and nothing is left to lease.
      for (;;) {
        const bool cancels_over = cancelers_running.load() == 0;
        Reply<v1::LeaseJobResponse> reply = caller.LeaseJob(request);
        absl::MutexLock lock(&mutex);
        if (!reply.ok()) {
          unexpected.push_back(absl::StrCat("lease: ", Describe(reply.status)));
          return;
        }
        if (!reply.response.has_job()) {
          if (cancels_over) return;
          continue;
        }
        const v1::Job& job = reply.response.job();
        ++lease_count[job.id()];
        if (job.state() != v1::Job::RUNNING ||
            reply.response.lease().job_id() != job.id()) {
          unexpected.push_back(absl::StrCat("lease returned ", job.id(),
                                            " in state ", job.state()));
        }
      }
    });
  }
  go.Notify();
  for (std::thread& thread : threads) thread.join();

  EXPECT_TRUE(unexpected.empty())
      << unexpected.size() << " unexpected replies, first: "
      << (unexpected.empty() ? "" : unexpected.front());

  const std::vector<v1::Job> final_jobs = caller.ListAllJobs();
  ASSERT_EQ(final_jobs.size(), static_cast<size_t>(kJobs));
  int canceled = 0;
  int running = 0;
  for (const v1::Job& job : final_jobs) {
    SCOPED_TRACE(job.id());
    const int leases =
        lease_count.count(job.id()) ? lease_count.at(job.id()) : 0;
    const bool said_canceled = cancel_ok.count(job.id()) > 0;
    const bool said_running = cancel_refused.count(job.id()) > 0;
    if (job.state() == v1::Job::CANCELED) {
      ++canceled;
      EXPECT_EQ(leases, 0) << "a canceled job was leased";
      EXPECT_TRUE(said_canceled);
      EXPECT_FALSE(said_running) << "a cancel saw it running";
      EXPECT_EQ(job.attempt_count(), 0);
    } else {
      ++running;
      EXPECT_EQ(job.state(), v1::Job::RUNNING);
      EXPECT_EQ(leases, 1) << "leased " << leases << " times";
      EXPECT_FALSE(said_canceled) << "a leased job was also canceled";
      EXPECT_TRUE(said_running);
      EXPECT_EQ(job.attempt_count(), 1);
    }
  }
  EXPECT_EQ(canceled + running, kJobs);
  // Both sides won some: otherwise the race did not happen.
  EXPECT_GT(canceled, 0);
  EXPECT_GT(running, 0);
  RecordProperty("canceled", canceled);
  RecordProperty("leased", running);
}

}  // namespace
}  // namespace test
}  // namespace jobcontrol
