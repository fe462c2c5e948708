// Integration tests of JobService.WatchJob and JobService.WaitJob against the
// real server: the current job first, then every version once and in order,
// the end after a terminal state, resuming with after_version, many
// concurrent watchers, the long-poll WaitJob, draining, and every rejection.
//
// Proofs of "returns at once" or "woken by a change" use call deadlines far
// shorter than the wait the server was asked for: a server that waited
// would end the call DEADLINE_EXCEEDED. Nothing sleeps.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/duration.pb.h"
#include "gtest/gtest.h"
#include "tests/test_server.h"

namespace jobcontrol {
namespace test {
namespace {

using ::testing::ElementsAre;

constexpr char kUnknownId[] = "ffeeddccbbaa99887766554433221100";

google::protobuf::Duration Seconds(int64_t seconds, int32_t nanos = 0) {
  google::protobuf::Duration d;
  d.set_seconds(seconds);
  d.set_nanos(nanos);
  return d;
}

v1::WatchJobRequest WatchRequest(const std::string& job_id,
                                 int64_t after_version = 0) {
  v1::WatchJobRequest request;
  request.set_job_id(job_id);
  request.set_after_version(after_version);
  return request;
}

v1::WaitJobRequest WaitRequest(const std::string& job_id,
                               google::protobuf::Duration timeout,
                               int64_t after_version = 0) {
  v1::WaitJobRequest request;
  request.set_job_id(job_id);
  *request.mutable_timeout() = timeout;
  request.set_after_version(after_version);
  return request;
}

std::vector<int64_t> VersionsOf(const std::vector<v1::Job>& jobs) {
  std::vector<int64_t> versions;
  for (const v1::Job& job : jobs) versions.push_back(job.version());
  return versions;
}

std::vector<v1::Job::State> StatesOf(const std::vector<v1::Job>& jobs) {
  std::vector<v1::Job::State> states;
  for (const v1::Job& job : jobs) states.push_back(job.state());
  return states;
}

class WatchJobTest : public ServerTest {
 protected:
  // Leases the next job (no wait), failing the test unless there is one.
  v1::LeaseJobResponse MustLease(ApiCaller* caller = nullptr) {
    if (caller == nullptr) caller = &t1();
    v1::LeaseJobRequest request;
    request.set_worker_id("watch-test-worker");
    Reply<v1::LeaseJobResponse> reply = caller->LeaseJob(request);
    EXPECT_TRUE(IsOk(reply.status)) << "LeaseJob";
    EXPECT_TRUE(reply.response.has_job()) << "LeaseJob returned no job";
    return reply.response;
  }

  v1::Job MustComplete(const v1::Lease& lease, ApiCaller* caller = nullptr) {
    if (caller == nullptr) caller = &t1();
    v1::CompleteJobRequest request;
    request.set_job_id(lease.job_id());
    request.set_lease_id(lease.lease_id());
    request.mutable_result()->set_output_uri("oss://bucket/out/" +
                                             lease.job_id());
    Reply<v1::Job> reply = caller->CompleteJob(request);
    EXPECT_TRUE(IsOk(reply.status)) << "CompleteJob";
    return reply.response;
  }
};

// --- WatchJob

TEST_F(WatchJobTest, WatchYieldsTheCurrentJobThenEveryChangeOnceInOrder) {
  const v1::Job submitted = MustSubmit(ValidDnaJob());
  std::unique_ptr<JobWatch> watch = t1().WatchJob(WatchRequest(submitted.id()));

  v1::Job seen;
  ASSERT_TRUE(watch->Read(&seen));
  EXPECT_TRUE(ProtoEquals(submitted, seen)) << "first the job as it is";

  const v1::LeaseJobResponse leased = MustLease();
  ASSERT_TRUE(watch->Read(&seen));
  EXPECT_TRUE(ProtoEquals(leased.job(), seen));
  EXPECT_EQ(seen.state(), v1::Job::RUNNING);
  EXPECT_EQ(seen.version(), 2);

  const v1::Job completed = MustComplete(leased.lease());
  ASSERT_TRUE(watch->Read(&seen));
  EXPECT_TRUE(ProtoEquals(completed, seen));
  EXPECT_EQ(seen.state(), v1::Job::SUCCEEDED);
  EXPECT_EQ(seen.version(), 3);

  EXPECT_FALSE(watch->Read(&seen)) << "the stream ends after a terminal state";
  EXPECT_TRUE(IsOk(watch->Finish()));
}

TEST_F(WatchJobTest, ResumeWithAfterVersionYieldsOnlyLaterVersions) {
  const v1::Job submitted = MustSubmit(ValidEditingJob());
  const v1::LeaseJobResponse leased = MustLease();
  Reply<v1::RenewLeaseResponse> renewed =
      t1().RenewLease(leased.lease().job_id(), leased.lease().lease_id());
  ASSERT_TRUE(IsOk(renewed.status));
  const v1::Job completed = MustComplete(leased.lease());
  ASSERT_EQ(completed.version(), 4);

  WatchOutcome from_1 = t1().WatchJobToEnd(WatchRequest(submitted.id(), 1));
  EXPECT_TRUE(IsOk(from_1.status));
  EXPECT_THAT(VersionsOf(from_1.jobs), ElementsAre(2, 3, 4));
  EXPECT_THAT(
      StatesOf(from_1.jobs),
      ElementsAre(v1::Job::RUNNING, v1::Job::RUNNING, v1::Job::SUCCEEDED));
  ASSERT_EQ(from_1.jobs.size(), 3u);
  EXPECT_TRUE(ProtoEquals(leased.job(), from_1.jobs[0]))
      << "a version is the job exactly as it was";
  EXPECT_TRUE(ProtoEquals(renewed.response.expire_time(),
                          from_1.jobs[1].lease_expire_time()));
  EXPECT_TRUE(ProtoEquals(completed, from_1.jobs[2]));

  WatchOutcome from_3 = t1().WatchJobToEnd(WatchRequest(submitted.id(), 3));
  EXPECT_TRUE(IsOk(from_3.status));
  EXPECT_THAT(VersionsOf(from_3.jobs), ElementsAre(4));

  // A reader that already has the final version gets an empty, ended stream.
  WatchOutcome from_4 = t1().WatchJobToEnd(WatchRequest(submitted.id(), 4));
  EXPECT_TRUE(IsOk(from_4.status));
  EXPECT_TRUE(from_4.jobs.empty());
}

TEST_F(WatchJobTest, ResumedWatchContinuesWhereTheLastOneStopped) {
  const v1::Job submitted = MustSubmit(ValidDnaJob());
  int64_t last_seen = 0;
  {
    std::unique_ptr<JobWatch> first =
        t1().WatchJob(WatchRequest(submitted.id()));
    v1::Job seen;
    ASSERT_TRUE(first->Read(&seen));
    last_seen = seen.version();
    first->Cancel();  // the reader goes away
  }
  const v1::LeaseJobResponse leased = MustLease();
  std::unique_ptr<JobWatch> resumed =
      t1().WatchJob(WatchRequest(submitted.id(), last_seen));
  v1::Job seen;
  ASSERT_TRUE(resumed->Read(&seen));
  EXPECT_TRUE(ProtoEquals(leased.job(), seen)) << "nothing missed";
  MustComplete(leased.lease());
  ASSERT_TRUE(resumed->Read(&seen));
  EXPECT_EQ(seen.state(), v1::Job::SUCCEEDED);
  EXPECT_FALSE(resumed->Read(&seen));
  EXPECT_TRUE(IsOk(resumed->Finish()));
}

TEST_F(WatchJobTest, WatchOfATerminalJobYieldsItAndEnds) {
  const v1::Job submitted = MustSubmit(ValidDnaJob());
  Reply<v1::Job> canceled = t1().CancelJob(submitted.id());
  ASSERT_TRUE(IsOk(canceled.status));
  WatchOutcome outcome = t1().WatchJobToEnd(WatchRequest(submitted.id()));
  EXPECT_TRUE(IsOk(outcome.status));
  ASSERT_EQ(outcome.jobs.size(), 1u);
  EXPECT_TRUE(ProtoEquals(canceled.response, outcome.jobs[0]));
}

TEST_F(WatchJobTest, ManyConcurrentWatchersEachSeeEveryVersionOnceInOrder) {
  constexpr int kJobs = 50;
  std::vector<v1::Job> jobs;
  for (int i = 0; i < kJobs; ++i) jobs.push_back(MustSubmit(ValidDnaJob()));

  // Every watcher reads the first version, then waits for the worker; odd
  // watchers read nothing more until the worker has finished every job (a
  // slow reader must neither miss versions nor hold the worker up).
  absl::BlockingCounter ready(kJobs);
  absl::Notification worker_done;
  std::vector<WatchOutcome> outcomes(kJobs);
  std::vector<std::thread> watchers;
  watchers.reserve(kJobs);
  ApiCaller& caller = t1();
  for (int i = 0; i < kJobs; ++i) {
    watchers.emplace_back([&, i] {
      std::unique_ptr<JobWatch> watch =
          caller.WatchJob(WatchRequest(jobs[i].id()), absl::Seconds(120));
      v1::Job seen;
      bool first = watch->Read(&seen);
      ready.DecrementCount();
      if (!first) {
        outcomes[i].status = watch->Finish();
        return;
      }
      outcomes[i].jobs.push_back(seen);
      if (i % 2 == 1) worker_done.WaitForNotification();
      while (watch->Read(&seen)) outcomes[i].jobs.push_back(seen);
      outcomes[i].status = watch->Finish();
    });
  }
  ready.Wait();

  // One worker: lease all, renew all, then complete all.
  std::vector<v1::Lease> leases;
  for (int i = 0; i < kJobs; ++i) leases.push_back(MustLease().lease());
  for (const v1::Lease& lease : leases) {
    EXPECT_TRUE(IsOk(t1().RenewLease(lease.job_id(), lease.lease_id()).status));
  }
  for (const v1::Lease& lease : leases) MustComplete(lease);
  worker_done.Notify();
  for (std::thread& watcher : watchers) watcher.join();

  for (int i = 0; i < kJobs; ++i) {
    SCOPED_TRACE(absl::StrCat("watcher ", i));
    EXPECT_TRUE(IsOk(outcomes[i].status));
    EXPECT_THAT(VersionsOf(outcomes[i].jobs), ElementsAre(1, 2, 3, 4));
    EXPECT_THAT(StatesOf(outcomes[i].jobs),
                ElementsAre(v1::Job::QUEUED, v1::Job::RUNNING, v1::Job::RUNNING,
                            v1::Job::SUCCEEDED));
    for (const v1::Job& job : outcomes[i].jobs) {
      EXPECT_EQ(job.id(), jobs[i].id());
    }
  }
}

TEST_F(WatchJobTest, DrainingServerEndsWatchesSoTheyCanResume) {
  const v1::Job submitted = MustSubmit(ValidDnaJob());
  ApiCaller caller = test_server().CallerWithAuthorization(
      absl::StrCat("Bearer ", BearerTokenOf(Caller::kTenant1)));
  std::unique_ptr<JobWatch> watch =
      caller.WatchJob(WatchRequest(submitted.id()));
  v1::Job seen;
  ASSERT_TRUE(watch->Read(&seen));
  ASSERT_TRUE(test_server().Restart().ok());
  EXPECT_FALSE(watch->Read(&seen));
  // Had the watch held the drain, the server would have cancelled it
  // (CANCELLED, no reason) after the 5 s drain deadline.
  EXPECT_TRUE(
      IsRpcError(watch->Finish(), grpc::StatusCode::UNAVAILABLE, "DRAINING"));

  // The new server serves the resumed watch from where the old one stopped.
  std::unique_ptr<JobWatch> resumed =
      t1().WatchJob(WatchRequest(submitted.id(), seen.version()));
  Reply<v1::Job> canceled = t1().CancelJob(submitted.id());
  ASSERT_TRUE(IsOk(canceled.status));
  v1::Job next;
  ASSERT_TRUE(resumed->Read(&next));
  EXPECT_TRUE(ProtoEquals(canceled.response, next));
  EXPECT_FALSE(resumed->Read(&next));
  EXPECT_TRUE(IsOk(resumed->Finish()));
}

TEST_F(WatchJobTest, WatchRejectsBadRequests) {
  const v1::Job job = MustSubmit(ValidDnaJob());
  EXPECT_TRUE(IsRpcError(t1().WatchJobToEnd(WatchRequest(kUnknownId)).status,
                         grpc::StatusCode::NOT_FOUND, "JOB_NOT_FOUND"));
  EXPECT_TRUE(IsRpcError(t2().WatchJobToEnd(WatchRequest(job.id())).status,
                         grpc::StatusCode::NOT_FOUND, "JOB_NOT_FOUND"));
  EXPECT_TRUE(IsRpcError(t2().WatchJobToEnd(WatchRequest(job.id(), 1)).status,
                         grpc::StatusCode::NOT_FOUND, "JOB_NOT_FOUND"));
  EXPECT_TRUE(IsInvalidArgument(t1().WatchJobToEnd(WatchRequest("")).status,
                                "MISSING_FIELD", "job_id"));
  EXPECT_TRUE(
      IsInvalidArgument(t1().WatchJobToEnd(WatchRequest("job-1")).status,
                        "INVALID_FIELD", "job_id"));
  EXPECT_TRUE(
      IsInvalidArgument(t1().WatchJobToEnd(WatchRequest(job.id(), -1)).status,
                        "INVALID_FIELD", "after_version"));
  ApiCaller anonymous = test_server().CallerWithAuthorization(std::nullopt);
  EXPECT_TRUE(IsRpcError(anonymous.WatchJobToEnd(WatchRequest(job.id())).status,
                         grpc::StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED"));
  Reply<v1::Job> got = t1().GetJob(job.id());
  ASSERT_TRUE(IsOk(got.status));
  EXPECT_TRUE(ProtoEquals(job, got.response));
}

// --- WaitJob

TEST_F(WatchJobTest, WaitReturnsAtOnceForATerminalJob) {
  const v1::Job submitted = MustSubmit(ValidDnaJob());
  Reply<v1::Job> canceled = t1().CancelJob(submitted.id());
  ASSERT_TRUE(IsOk(canceled.status));
  // Asked to wait 10 minutes, given 20 s: only an immediate answer is OK.
  Reply<v1::Job> reply = t1().WaitJob(WaitRequest(submitted.id(), Seconds(600)),
                                      absl::Seconds(20));
  ASSERT_TRUE(IsOk(reply.status));
  EXPECT_TRUE(ProtoEquals(canceled.response, reply.response));
}

TEST_F(WatchJobTest, WaitWithAfterVersionReturnsOnceTheJobIsNewer) {
  const v1::Job submitted = MustSubmit(ValidDnaJob());
  // Already newer: at once.
  const v1::LeaseJobResponse leased = MustLease();
  Reply<v1::Job> newer = t1().WaitJob(
      WaitRequest(submitted.id(), Seconds(600), 1), absl::Seconds(20));
  ASSERT_TRUE(IsOk(newer.status));
  EXPECT_TRUE(ProtoEquals(leased.job(), newer.response));

  // Not yet newer: the renew below must wake it well before its 10 minutes.
  Reply<v1::Job> woken;
  ApiCaller& caller = t1();
  std::thread waiter([&] {
    woken = caller.WaitJob(WaitRequest(submitted.id(), Seconds(600), 2),
                           absl::Seconds(30));
  });
  ASSERT_TRUE(
      IsOk(t1().RenewLease(leased.lease().job_id(), leased.lease().lease_id())
               .status));
  waiter.join();
  ASSERT_TRUE(IsOk(woken.status));
  EXPECT_EQ(woken.response.version(), 3);
  EXPECT_EQ(woken.response.state(), v1::Job::RUNNING);
}

TEST_F(WatchJobTest, WaitWithoutAfterVersionWaitsForATerminalState) {
  const v1::Job submitted = MustSubmit(ValidDnaJob());
  Reply<v1::Job> ended;
  ApiCaller& caller = t1();
  absl::Notification started;
  std::thread waiter([&] {
    started.Notify();
    ended = caller.WaitJob(WaitRequest(submitted.id(), Seconds(600)),
                           absl::Seconds(45));
  });
  started.WaitForNotification();
  const v1::LeaseJobResponse leased = MustLease();  // not terminal: waits on
  const v1::Job completed = MustComplete(leased.lease());
  waiter.join();
  ASSERT_TRUE(IsOk(ended.status));
  EXPECT_TRUE(ProtoEquals(completed, ended.response));
}

TEST_F(WatchJobTest, WaitReturnsTheCurrentJobWhenItsTimeoutPasses) {
  const v1::Job submitted = MustSubmit(ValidDnaJob());
  Reply<v1::Job> zero =
      t1().WaitJob(WaitRequest(submitted.id(), Seconds(0)), absl::Seconds(20));
  ASSERT_TRUE(IsOk(zero.status));
  EXPECT_TRUE(ProtoEquals(submitted, zero.response));

  Reply<v1::Job> one_second =
      t1().WaitJob(WaitRequest(submitted.id(), Seconds(1)), absl::Seconds(20));
  ASSERT_TRUE(IsOk(one_second.status)) << "a timeout is not an error";
  EXPECT_TRUE(ProtoEquals(submitted, one_second.response));
}

TEST_F(WatchJobTest, WaitRejectsBadRequestsAndChangesNothing) {
  const v1::Job job = MustSubmit(ValidDnaJob());
  struct Bad {
    std::string name;
    v1::WaitJobRequest request;
    std::string reason;
    std::string field;
  };
  const std::vector<Bad> bads = {
      {"timeout negative", WaitRequest(job.id(), Seconds(-1)), "INVALID_FIELD",
       "timeout"},
      {"timeout negative nanos", WaitRequest(job.id(), Seconds(0, -5)),
       "INVALID_FIELD", "timeout"},
      {"timeout 10 min + 1 ns", WaitRequest(job.id(), Seconds(600, 1)),
       "INVALID_FIELD", "timeout"},
      {"timeout huge", WaitRequest(job.id(), Seconds(315576000000)),
       "INVALID_FIELD", "timeout"},
      {"timeout nanos out of range",
       WaitRequest(job.id(), Seconds(1, 1000000000)), "INVALID_FIELD",
       "timeout"},
      {"after_version negative", WaitRequest(job.id(), Seconds(1), -1),
       "INVALID_FIELD", "after_version"},
      {"job_id empty", WaitRequest("", Seconds(1)), "MISSING_FIELD", "job_id"},
      {"job_id malformed", WaitRequest("JOB", Seconds(1)), "INVALID_FIELD",
       "job_id"},
  };
  for (const Bad& bad : bads) {
    SCOPED_TRACE(bad.name);
    EXPECT_TRUE(
        IsInvalidArgument(t1().WaitJob(bad.request, absl::Seconds(20)).status,
                          bad.reason, bad.field));
  }
  EXPECT_TRUE(IsRpcError(
      t1().WaitJob(WaitRequest(kUnknownId, Seconds(600)), absl::Seconds(20))
          .status,
      grpc::StatusCode::NOT_FOUND, "JOB_NOT_FOUND"));
  EXPECT_TRUE(IsRpcError(
      t2().WaitJob(WaitRequest(job.id(), Seconds(600)), absl::Seconds(20))
          .status,
      grpc::StatusCode::NOT_FOUND, "JOB_NOT_FOUND"));
  Reply<v1::Job> got = t1().GetJob(job.id());
  ASSERT_TRUE(IsOk(got.status));
  EXPECT_TRUE(ProtoEquals(job, got.response));
}

}  // namespace
}  // namespace test
}  // namespace jobcontrol
