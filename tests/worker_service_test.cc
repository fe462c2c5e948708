// Integration tests of jobcontrol.v1.WorkerService against the real server
// and a real SQLite file: leasing and dispatch order, pause and resume,
// long-poll wake-up, per-pipeline limits, renew, complete, fail and retry
// with backoff, lease expiry, fencing, running cancel in all its endings,
// the scheduling settings of pipelines and jobs, every rejection (each
// changes nothing) and permissions.
//
// Waits are event-driven: a test that needs a lease to expire or a backoff
// to end waits for the job's next version with WaitJob, or long-polls with
// LeaseJob, under generous deadlines; nothing sleeps.
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/duration.pb.h"
#include "gtest/gtest.h"
#include "tests/test_server.h"

namespace jobcontrol {
namespace test {
namespace {

using ::testing::HasSubstr;

constexpr char kUnknownId[] = "00112233445566778899aabbccddeeff";

google::protobuf::Duration DurationProto(absl::Duration d) {
  google::protobuf::Duration proto;
  const int64_t nanos = absl::ToInt64Nanoseconds(d);
  proto.set_seconds(nanos / 1000000000);
  proto.set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return proto;
}

absl::Duration ToDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

v1::LeaseJobRequest LeaseRequest(const std::string& worker_id = "worker-1") {
  v1::LeaseJobRequest request;
  request.set_worker_id(worker_id);
  return request;
}

// A LeaseJob that waits up to 60 s. Tests give it a 30 s call deadline: a
// job that becomes available must wake it, or the call ends
// DEADLINE_EXCEEDED instead of finding the job at the end of its wait.
v1::LeaseJobRequest WaitingLeaseRequest(
    const std::string& worker_id = "worker-1") {
  v1::LeaseJobRequest request = LeaseRequest(worker_id);
  request.mutable_wait_timeout()->set_seconds(60);
  return request;
}

v1::CompleteJobRequest CompleteRequest(const v1::Lease& lease) {
  v1::CompleteJobRequest request;
  request.set_job_id(lease.job_id());
  request.set_lease_id(lease.lease_id());
  request.mutable_result()->set_output_uri("oss://bucket/out/result.json");
  request.mutable_result()->set_details_json(R"({"matches":[],"score":0.5})");
  return request;
}

v1::FailJobRequest FailRequest(const v1::Lease& lease, bool retryable) {
  v1::FailJobRequest request;
  request.set_job_id(lease.job_id());
  request.set_lease_id(lease.lease_id());
  request.mutable_error()->set_code(14);  // UNAVAILABLE
  request.mutable_error()->set_message("input storage unreachable");
  request.set_retryable(retryable);
  return request;
}

v1::UpdatePipelineRequest UpdateRequest(const v1::Pipeline& pipeline,
                                        const std::vector<std::string>& paths) {
  v1::UpdatePipelineRequest request;
  *request.mutable_pipeline() = pipeline;
  for (const std::string& path : paths) {
    request.mutable_update_mask()->add_paths(path);
  }
  return request;
}

class WorkerServiceTest : public ServerTest {
 protected:
  // Leases a job with `request` (no wait unless set) under a call deadline
  // of `call_deadline`, failing the test unless one is returned.
  v1::LeaseJobResponse MustLease(
      const v1::LeaseJobRequest& request = LeaseRequest(),
      absl::Duration call_deadline = absl::Seconds(30)) {
    Reply<v1::LeaseJobResponse> reply = t1().LeaseJob(request, call_deadline);
    EXPECT_TRUE(IsOk(reply.status)) << "LeaseJob";
    EXPECT_TRUE(reply.response.has_job()) << "LeaseJob returned no job";
    EXPECT_TRUE(reply.response.has_lease()) << "LeaseJob returned no lease";
    return reply.response;
  }

  // Fails the test unless LeaseJob without waiting finds nothing.
  void ExpectNothingToLease(const v1::LeaseJobRequest& request = LeaseRequest(),
                            ApiCaller* caller = nullptr) {
    if (caller == nullptr) caller = &t1();
    Reply<v1::LeaseJobResponse> reply = caller->LeaseJob(request);
    EXPECT_TRUE(IsOk(reply.status)) << "LeaseJob";
    EXPECT_FALSE(reply.response.has_job())
        << "leased " << reply.response.job().id();
    EXPECT_FALSE(reply.response.has_lease());
  }

  // The job once its version exceeds `version` (WaitJob, up to 60 s).
  v1::Job WaitForChangeAfter(const std::string& job_id, int64_t version) {
    v1::WaitJobRequest request;
    request.set_job_id(job_id);
    request.set_after_version(version);
    *request.mutable_timeout() = DurationProto(absl::Seconds(60));
    Reply<v1::Job> reply = t1().WaitJob(request, absl::Seconds(90));
    EXPECT_TRUE(IsOk(reply.status)) << "WaitJob";
    EXPECT_GT(reply.response.version(), version)
        << "WaitJob returned without a change";
    return reply.response;
  }

  v1::Job MustGet(const std::string& job_id) {
    Reply<v1::Job> reply = t1().GetJob(job_id);
    EXPECT_TRUE(IsOk(reply.status)) << "GetJob " << job_id;
    return reply.response;
  }

  v1::Pipeline MustCreate(const v1::Pipeline& pipeline) {
    Reply<v1::Pipeline> reply = t1().CreatePipeline(pipeline);
    EXPECT_TRUE(IsOk(reply.status)) << "CreatePipeline";
    return reply.response;
  }

  v1::Job SubmitTo(const std::string& pipeline_id, int priority = 0,
                   const std::string& user_data = "") {
    v1::Job job = ValidDnaJob();
    job.set_pipeline_id(pipeline_id);
    job.set_priority(priority);
    job.set_user_data(user_data);
    return MustSubmit(job);
  }

  // A pipeline whose retries wait only about 10 ms.
  v1::Pipeline QuickRetryPipeline(int max_attempts = 3) {
    v1::Pipeline in = NamedPipeline("quick-retry");
    in.mutable_retry_policy()->set_max_attempts(max_attempts);
    *in.mutable_retry_policy()->mutable_initial_backoff() =
        DurationProto(absl::Milliseconds(10));
    *in.mutable_retry_policy()->mutable_max_backoff() =
        DurationProto(absl::Milliseconds(20));
    return MustCreate(in);
  }

  void SetPipelineState(const std::string& id, v1::Pipeline::State state) {
    v1::Pipeline p;
    p.set_id(id);
    p.set_state(state);
    ASSERT_TRUE(IsOk(t1().UpdatePipeline(UpdateRequest(p, {"state"})).status));
  }
};

// --- LeaseJob

TEST_F(WorkerServiceTest, LeaseMakesTheJobRunningUnderTheWorkersLease) {
  const v1::Job submitted = MustSubmit(ValidEditingJob());
  EXPECT_EQ(submitted.version(), 1);
  EXPECT_EQ(submitted.max_attempts(), 3) << "the default policy's";

  const v1::LeaseJobResponse leased = MustLease(LeaseRequest("encoder-7:a.b"));
  const v1::Job& job = leased.job();
  const v1::Lease& lease = leased.lease();
  EXPECT_EQ(job.id(), submitted.id());
  EXPECT_EQ(job.state(), v1::Job::RUNNING);
  EXPECT_EQ(job.worker_id(), "encoder-7:a.b");
  EXPECT_EQ(job.attempt_count(), 1);
  EXPECT_EQ(job.version(), 2);
  EXPECT_NE(job.etag(), submitted.etag());
  ASSERT_TRUE(job.has_start_time());
  ASSERT_TRUE(job.has_lease_expire_time());
  EXPECT_FALSE(job.has_next_attempt_time());
  EXPECT_TRUE(ProtoEquals(submitted.editing(), job.editing()));

  EXPECT_EQ(lease.job_id(), job.id());
  EXPECT_TRUE(IsWellFormedId(lease.lease_id())) << lease.lease_id();
  EXPECT_EQ(lease.attempt(), 1);
  EXPECT_TRUE(ProtoEquals(job.lease_expire_time(), lease.expire_time()));
  EXPECT_EQ(ToTime(lease.expire_time()) - ToTime(job.start_time()),
            absl::Seconds(30))
      << "the default lease lasts 30 s";

  EXPECT_TRUE(ProtoEquals(job, MustGet(job.id())));
  ExpectNothingToLease();
}

TEST_F(WorkerServiceTest, WithNothingQueuedLeaseReturnsEmptyAtOnce) {
  // wait_timeout unset and 0 both mean "do not wait": with a 20 s call
  // deadline a wait of any length would end DEADLINE_EXCEEDED, not OK.
  v1::LeaseJobRequest unset = LeaseRequest();
  Reply<v1::LeaseJobResponse> reply = t1().LeaseJob(unset, absl::Seconds(20));
  ASSERT_TRUE(IsOk(reply.status));
  EXPECT_FALSE(reply.response.has_job());
  EXPECT_FALSE(reply.response.has_lease());

  v1::LeaseJobRequest zero = LeaseRequest();
  *zero.mutable_wait_timeout() = DurationProto(absl::ZeroDuration());
  reply = t1().LeaseJob(zero, absl::Seconds(20));
  ASSERT_TRUE(IsOk(reply.status));
  EXPECT_FALSE(reply.response.has_job());
}

TEST_F(WorkerServiceTest, LeaseRespectsTheCallDeadlineOverWaitTimeout) {
  // wait_timeout 60 s but a call deadline of 3 s: the call ends by its
  // deadline, either empty or DEADLINE_EXCEEDED, never after 60 s.
  v1::LeaseJobRequest request = LeaseRequest();
  *request.mutable_wait_timeout() = DurationProto(absl::Seconds(60));
  Reply<v1::LeaseJobResponse> reply = t1().LeaseJob(request, absl::Seconds(3));
  if (!reply.ok()) {
    EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
        << Describe(reply.status);
  }
  EXPECT_FALSE(reply.response.has_job());
}

TEST_F(WorkerServiceTest,
       DispatchOrderIsPipelinePriorityThenJobPriorityThenAge) {
  v1::Pipeline low_in = NamedPipeline("low");
  low_in.set_priority(2);
  const v1::Pipeline low = MustCreate(low_in);
  v1::Pipeline high_in = NamedPipeline("high");
  high_in.set_priority(9);
  const v1::Pipeline high = MustCreate(high_in);
  const std::string normal = t1().DefaultPipeline().id();  // priority 6

  // Submitted in an order that matches none of the sort keys.
  std::vector<std::string> ids;
  ids.push_back(SubmitTo(low.id(), 10, "low/10").id());
  ids.push_back(SubmitTo(normal, 1, "normal/1").id());
  ids.push_back(SubmitTo(high.id(), 1, "high/1").id());
  ids.push_back(SubmitTo(high.id(), 5, "high/5 first").id());
  ids.push_back(SubmitTo(normal, 10, "normal/10").id());
  ids.push_back(SubmitTo(high.id(), 5, "high/5 second").id());

  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) {
    order.push_back(MustLease().job().user_data());
  }
  EXPECT_EQ(order,
            (std::vector<std::string>{"high/5 first", "high/5 second", "high/1",
                                      "normal/10", "normal/1", "low/10"}));
  ExpectNothingToLease();
}

TEST_F(WorkerServiceTest, LeaseServesOnlyTheWorkersKindsAndPipelines) {
  const v1::Pipeline other = MustCreatePipeline("other");
  const v1::Job dna = MustSubmit(ValidDnaJob());
  v1::Job editing_in = ValidEditingJob();
  editing_in.set_pipeline_id(other.id());
  editing_in.set_priority(10);
  const v1::Job editing = MustSubmit(editing_in);

  v1::LeaseJobRequest dna_only = LeaseRequest();
  dna_only.add_kinds(v1::JOB_KIND_DNA_ANALYSIS);
  dna_only.add_pipeline_ids(other.id());
  ExpectNothingToLease(dna_only);  // the DNA job is in the default pipeline

  v1::LeaseJobRequest editing_only = LeaseRequest();
  editing_only.add_kinds(v1::JOB_KIND_EDITING);
  EXPECT_EQ(MustLease(editing_only).job().id(), editing.id());

  v1::LeaseJobRequest default_pipeline = LeaseRequest();
  default_pipeline.add_pipeline_ids(dna.pipeline_id());
  default_pipeline.add_kinds(v1::JOB_KIND_DNA_ANALYSIS);
  default_pipeline.add_kinds(v1::JOB_KIND_EDITING);
  EXPECT_EQ(MustLease(default_pipeline).job().id(), dna.id());
}

TEST_F(WorkerServiceTest, LeaseNamingAnUnknownPipelineIsNotFound) {
  const v1::Job job = MustSubmit(ValidDnaJob());
  v1::LeaseJobRequest request = LeaseRequest();
  request.add_pipeline_ids(job.pipeline_id());
  request.add_pipeline_ids(kUnknownId);
  Reply<v1::LeaseJobResponse> reply = t1().LeaseJob(request);
  EXPECT_TRUE(IsRpcError(reply.status, grpc::StatusCode::NOT_FOUND,
                         "PIPELINE_NOT_FOUND", "pipeline_ids[1]"));
  EXPECT_TRUE(ProtoEquals(job, MustGet(job.id()))) << "nothing was leased";
}

TEST_F(WorkerServiceTest,
       PausedPipelineHoldsJobsQueuedAndResumeDispatchesThem) {
  const v1::Pipeline pipeline = MustCreatePipeline("pausable");
  const v1::Job running_before = SubmitTo(pipeline.id());
  const v1::LeaseJobResponse running = MustLease();
  ASSERT_EQ(running.job().id(), running_before.id());

  SetPipelineState(pipeline.id(), v1::Pipeline::PAUSED);
  const v1::Job held = SubmitTo(pipeline.id(), 10);
  EXPECT_EQ(held.state(), v1::Job::QUEUED) << "a paused pipeline accepts jobs";
  ExpectNothingToLease();
  EXPECT_TRUE(ProtoEquals(held, MustGet(held.id())));

  // The running job goes on: it can renew and complete.
  ASSERT_TRUE(
      IsOk(t1().RenewLease(running.lease().job_id(), running.lease().lease_id())
               .status));
  Reply<v1::Job> completed = t1().CompleteJob(CompleteRequest(running.lease()));
  ASSERT_TRUE(IsOk(completed.status));
  EXPECT_EQ(completed.response.state(), v1::Job::SUCCEEDED);
  ExpectNothingToLease();

  SetPipelineState(pipeline.id(), v1::Pipeline::ACTIVE);
  EXPECT_EQ(MustLease().job().id(), held.id());
}

TEST_F(WorkerServiceTest, WaitingLeaseIsWokenBySubmit) {
  // The worker long-polls for up to 60 s. Once the job is submitted, a watch
  // with a 30 s deadline must see it RUNNING: that proves the submit woke
  // the waiting LeaseJob rather than its timeout ending it.
  ApiCaller& caller = t1();
  Reply<v1::LeaseJobResponse> leased;
  std::thread worker([&] {
    v1::LeaseJobRequest request = LeaseRequest();
    *request.mutable_wait_timeout() = DurationProto(absl::Seconds(60));
    leased = caller.LeaseJob(request, absl::Seconds(120));
  });
  const v1::Job submitted = MustSubmit(ValidDnaJob());
  v1::WatchJobRequest watch_request;
  watch_request.set_job_id(submitted.id());
  std::unique_ptr<JobWatch> watch =
      t1().WatchJob(watch_request, absl::Seconds(30));
  v1::Job seen;
  bool running = false;
  while (!running && watch->Read(&seen)) {
    running = seen.state() == v1::Job::RUNNING;
  }
  EXPECT_TRUE(running) << "not leased within 30 s: "
                       << Describe(watch->Finish());
  watch.reset();
  worker.join();
  ASSERT_TRUE(IsOk(leased.status));
  ASSERT_TRUE(leased.response.has_job());
  EXPECT_EQ(leased.response.job().id(), submitted.id());
  EXPECT_EQ(leased.response.lease().attempt(), 1);
}

TEST_F(WorkerServiceTest, WaitingLeaseIsWokenByResume) {
  const v1::Pipeline pipeline = MustCreatePipeline("resumable");
  SetPipelineState(pipeline.id(), v1::Pipeline::PAUSED);
  const v1::Job held = SubmitTo(pipeline.id());
  ApiCaller& caller = t1();
  Reply<v1::LeaseJobResponse> leased;
  std::thread worker([&] {
    v1::LeaseJobRequest request = LeaseRequest();
    *request.mutable_wait_timeout() = DurationProto(absl::Seconds(60));
    leased = caller.LeaseJob(request, absl::Seconds(120));
  });
  SetPipelineState(pipeline.id(), v1::Pipeline::ACTIVE);
  v1::WaitJobRequest wait;
  wait.set_job_id(held.id());
  wait.set_after_version(held.version());
  *wait.mutable_timeout() = DurationProto(absl::Seconds(30));
  Reply<v1::Job> changed = t1().WaitJob(wait, absl::Seconds(45));
  ASSERT_TRUE(IsOk(changed.status));
  EXPECT_EQ(changed.response.state(), v1::Job::RUNNING)
      << "not leased within 30 s of the resume";
  worker.join();
  ASSERT_TRUE(IsOk(leased.status));
  EXPECT_EQ(leased.response.job().id(), held.id());
}

TEST_F(WorkerServiceTest, MaxRunningJobsLimitsConcurrentLeasesPerPipeline) {
  v1::Pipeline in = NamedPipeline("limited");
  in.set_max_running_jobs(2);
  in.set_priority(10);
  const v1::Pipeline limited = MustCreate(in);
  EXPECT_EQ(limited.max_running_jobs(), 2);
  const v1::Job first = SubmitTo(limited.id());
  const v1::Job second = SubmitTo(limited.id());
  const v1::Job third = SubmitTo(limited.id());
  const v1::Job elsewhere = MustSubmit(ValidDnaJob());  // default pipeline

  const v1::LeaseJobResponse a = MustLease();
  const v1::LeaseJobResponse b = MustLease();
  EXPECT_EQ(a.job().id(), first.id());
  EXPECT_EQ(b.job().id(), second.id());
  // The limited pipeline is full: the lower-priority pipeline is served.
  EXPECT_EQ(MustLease().job().id(), elsewhere.id());
  ExpectNothingToLease();

  // A CANCELING job still counts as running.
  v1::CancelJobRequest cancel;
  cancel.set_job_id(a.job().id());
  cancel.set_allow_running(true);
  ASSERT_TRUE(IsOk(t1().CancelJob(cancel).status));
  ExpectNothingToLease();

  ASSERT_TRUE(IsOk(
      t1().AcknowledgeCancel(a.lease().job_id(), a.lease().lease_id()).status));
  EXPECT_EQ(MustLease().job().id(), third.id());

  // Raising the limit to 0 (none) takes effect at once.
  v1::Pipeline unlimited;
  unlimited.set_id(limited.id());
  unlimited.set_max_running_jobs(0);
  ASSERT_TRUE(
      IsOk(t1().UpdatePipeline(UpdateRequest(unlimited, {"max_running_jobs"}))
               .status));
  const v1::Job fourth = SubmitTo(limited.id());
  EXPECT_EQ(MustLease().job().id(), fourth.id());
}

// --- RenewLease

TEST_F(WorkerServiceTest, RenewExtendsTheLeaseByItsGrantedDuration) {
  MustSubmit(ValidDnaJob());
  v1::LeaseJobRequest request = LeaseRequest();
  *request.mutable_lease_duration() = DurationProto(absl::Minutes(10));
  const v1::LeaseJobResponse leased = MustLease(request);
  EXPECT_EQ(
      ToTime(leased.lease().expire_time()) - ToTime(leased.job().start_time()),
      absl::Minutes(10));

  Reply<v1::RenewLeaseResponse> renewed =
      t1().RenewLease(leased.lease().job_id(), leased.lease().lease_id());
  ASSERT_TRUE(IsOk(renewed.status));
  EXPECT_FALSE(renewed.response.cancel_requested());
  EXPECT_GT(ToTime(renewed.response.expire_time()),
            ToTime(leased.lease().expire_time()));
  // Renewed by the 10 minutes granted, not the pipeline's 30 s.
  EXPECT_GT(ToTime(renewed.response.expire_time()),
            absl::Now() + absl::Minutes(5));

  const v1::Job job = MustGet(leased.job().id());
  EXPECT_EQ(job.state(), v1::Job::RUNNING);
  EXPECT_TRUE(
      ProtoEquals(renewed.response.expire_time(), job.lease_expire_time()));
  EXPECT_EQ(job.attempt_count(), 1);
  EXPECT_EQ(job.worker_id(), leased.job().worker_id());
}

TEST_F(WorkerServiceTest, PipelineLeaseDurationAppliesWhenTheWorkerAsksNone) {
  v1::Pipeline in = NamedPipeline("long-leases");
  *in.mutable_retry_policy()->mutable_lease_duration() =
      DurationProto(absl::Minutes(2));
  const v1::Pipeline pipeline = MustCreate(in);
  SubmitTo(pipeline.id());
  const v1::LeaseJobResponse leased = MustLease();
  EXPECT_EQ(
      ToTime(leased.lease().expire_time()) - ToTime(leased.job().start_time()),
      absl::Minutes(2));
}

TEST_F(WorkerServiceTest, WaitingLeaseTakesAPipelineCreatedDuringItsWait) {
  // The worker starts waiting before the pipeline exists, so its lease
  // durations were read without it: the store's first attempt, in the
  // submit's commit, fails for want of that pipeline's duration; the call
  // must read it and lease the job with it well before its 30 s deadline
  // (the end of its wait), which would otherwise end it DEADLINE_EXCEEDED.
  ApiCaller& caller = t1();
  Reply<v1::LeaseJobResponse> leased;
  std::thread worker([&] {
    leased = caller.LeaseJob(WaitingLeaseRequest(), absl::Seconds(30));
  });
  absl::SleepFor(absl::Milliseconds(200));  // let the worker start waiting
  v1::Pipeline in = NamedPipeline("created-during-the-wait");
  *in.mutable_retry_policy()->mutable_lease_duration() =
      DurationProto(absl::Minutes(7));
  const v1::Pipeline pipeline = MustCreate(in);
  const v1::Job submitted = SubmitTo(pipeline.id());
  worker.join();
  ASSERT_TRUE(IsOk(leased.status)) << Describe(leased.status);
  ASSERT_TRUE(leased.response.has_job());
  EXPECT_EQ(leased.response.job().id(), submitted.id());
  EXPECT_EQ(ToTime(leased.response.lease().expire_time()) -
                ToTime(leased.response.job().start_time()),
            absl::Minutes(7));
}

// --- CompleteJob

TEST_F(WorkerServiceTest, CompleteEndsTheJobSucceededWithItsResult) {
  MustSubmit(ValidDnaJob());
  const v1::LeaseJobResponse leased = MustLease();
  const v1::CompleteJobRequest request = CompleteRequest(leased.lease());
  Reply<v1::Job> completed = t1().CompleteJob(request);
  ASSERT_TRUE(IsOk(completed.status));
  const v1::Job& job = completed.response;
  EXPECT_EQ(job.state(), v1::Job::SUCCEEDED);
  EXPECT_TRUE(ProtoEquals(request.result(), job.result()));
  EXPECT_TRUE(job.has_end_time());
  EXPECT_FALSE(job.has_error());
  EXPECT_TRUE(job.worker_id().empty()) << "the lease ended";
  EXPECT_FALSE(job.has_lease_expire_time());
  EXPECT_EQ(job.attempt_count(), 1);
  EXPECT_EQ(job.version(), leased.job().version() + 1);
  EXPECT_TRUE(ProtoEquals(job, MustGet(job.id())));
}

TEST_F(WorkerServiceTest, CompletingTwiceIsLeaseLostAndChangesNothing) {
  MustSubmit(ValidDnaJob());
  const v1::LeaseJobResponse leased = MustLease();
  ASSERT_TRUE(IsOk(t1().CompleteJob(CompleteRequest(leased.lease())).status));
  const v1::Job done = MustGet(leased.job().id());

  v1::CompleteJobRequest again = CompleteRequest(leased.lease());
  again.mutable_result()->set_output_uri("oss://bucket/other");
  EXPECT_TRUE(IsRpcError(t1().CompleteJob(again).status,
                         grpc::StatusCode::FAILED_PRECONDITION, "LEASE_LOST"));
  EXPECT_TRUE(
      IsRpcError(t1().FailJob(FailRequest(leased.lease(), false)).status,
                 grpc::StatusCode::FAILED_PRECONDITION, "LEASE_LOST"));
  EXPECT_TRUE(IsRpcError(
      t1().RenewLease(leased.lease().job_id(), leased.lease().lease_id())
          .status,
      grpc::StatusCode::FAILED_PRECONDITION, "LEASE_LOST"));
  EXPECT_TRUE(ProtoEquals(done, MustGet(done.id())));
}

// --- FailJob and retries

TEST_F(WorkerServiceTest, RetryableFailureRequeuesWithBackoff) {
  v1::Pipeline in = NamedPipeline("slow-retry");
  *in.mutable_retry_policy()->mutable_initial_backoff() =
      DurationProto(absl::Hours(1));
  *in.mutable_retry_policy()->mutable_max_backoff() =
      DurationProto(absl::Hours(2));
  const v1::Pipeline pipeline = MustCreate(in);
  SubmitTo(pipeline.id());
  const v1::LeaseJobResponse leased = MustLease();

  const absl::Time before = absl::Now();
  Reply<v1::Job> failed = t1().FailJob(FailRequest(leased.lease(), true));
  ASSERT_TRUE(IsOk(failed.status));
  const v1::Job& job = failed.response;
  EXPECT_EQ(job.state(), v1::Job::QUEUED);
  EXPECT_EQ(job.attempt_count(), 1);
  EXPECT_TRUE(job.worker_id().empty());
  EXPECT_FALSE(job.has_lease_expire_time());
  EXPECT_FALSE(job.has_end_time());
  ASSERT_TRUE(job.has_next_attempt_time());
  // The first retry waits initial_backoff (1 h), of which a random half is
  // jitter: between 30 and 60 minutes.
  EXPECT_GE(ToTime(job.next_attempt_time()),
            before + absl::Minutes(30) - absl::Seconds(1));
  EXPECT_LE(ToTime(job.next_attempt_time()), absl::Now() + absl::Hours(1));

  ExpectNothingToLease();  // not before next_attempt_time
  EXPECT_TRUE(ProtoEquals(job, MustGet(job.id())));
}

TEST_F(WorkerServiceTest, RequeuedJobIsLeasedAgainOnceItsBackoffEnds) {
  const v1::Pipeline pipeline = QuickRetryPipeline();
  SubmitTo(pipeline.id());
  const v1::LeaseJobResponse first = MustLease();
  Reply<v1::Job> failed = t1().FailJob(FailRequest(first.lease(), true));
  ASSERT_TRUE(IsOk(failed.status));
  ASSERT_EQ(failed.response.state(), v1::Job::QUEUED);

  // Woken when the ~10 ms backoff ends.
  const v1::LeaseJobResponse second =
      MustLease(WaitingLeaseRequest("worker-2"));
  EXPECT_EQ(second.job().id(), first.job().id());
  EXPECT_EQ(second.lease().attempt(), 2);
  EXPECT_EQ(second.job().attempt_count(), 2);
  EXPECT_EQ(second.job().worker_id(), "worker-2");
  EXPECT_FALSE(second.job().has_next_attempt_time());
  EXPECT_NE(second.lease().lease_id(), first.lease().lease_id());
}

TEST_F(WorkerServiceTest, FinalFailureEndsTheJobFailedWithItsError) {
  MustSubmit(ValidDnaJob());
  const v1::LeaseJobResponse leased = MustLease();
  v1::FailJobRequest request = FailRequest(leased.lease(), false);
  request.mutable_error()->set_code(3);  // INVALID_ARGUMENT
  request.mutable_error()->set_message("unsupported codec");
  Reply<v1::Job> failed = t1().FailJob(request);
  ASSERT_TRUE(IsOk(failed.status));
  const v1::Job& job = failed.response;
  EXPECT_EQ(job.state(), v1::Job::FAILED);
  EXPECT_EQ(job.error().code(), 3);
  EXPECT_EQ(job.error().message(), "unsupported codec");
  EXPECT_TRUE(job.has_end_time());
  EXPECT_FALSE(job.has_next_attempt_time());
  EXPECT_TRUE(job.worker_id().empty());
  EXPECT_TRUE(ProtoEquals(job, MustGet(job.id())));
  ExpectNothingToLease();
}

TEST_F(WorkerServiceTest, RetryableFailuresEndFailedWhenAttemptsRunOut) {
  const v1::Pipeline pipeline = QuickRetryPipeline(/*max_attempts=*/3);
  v1::Job in = ValidDnaJob();
  in.set_pipeline_id(pipeline.id());
  in.set_max_attempts(2);  // the job's own limit wins over the pipeline's
  const v1::Job submitted = MustSubmit(in);
  EXPECT_EQ(submitted.max_attempts(), 2);

  const v1::LeaseJobRequest wait = WaitingLeaseRequest();
  const v1::LeaseJobResponse first = MustLease(wait);
  Reply<v1::Job> requeued = t1().FailJob(FailRequest(first.lease(), true));
  ASSERT_TRUE(IsOk(requeued.status));
  EXPECT_EQ(requeued.response.state(), v1::Job::QUEUED);

  const v1::LeaseJobResponse second = MustLease(wait);
  ASSERT_EQ(second.job().id(), submitted.id());
  EXPECT_EQ(second.lease().attempt(), 2);
  Reply<v1::Job> failed = t1().FailJob(FailRequest(second.lease(), true));
  ASSERT_TRUE(IsOk(failed.status));
  EXPECT_EQ(failed.response.state(), v1::Job::FAILED);
  EXPECT_EQ(failed.response.attempt_count(), 2);
  EXPECT_EQ(failed.response.error().code(), 14);
  EXPECT_EQ(failed.response.error().message(), "input storage unreachable");
  ExpectNothingToLease();
}

TEST_F(WorkerServiceTest, PipelineMaxAttemptsIsTheDefaultOfItsJobs) {
  v1::Pipeline in = NamedPipeline("one-shot");
  in.mutable_retry_policy()->set_max_attempts(1);
  const v1::Pipeline pipeline = MustCreate(in);
  const v1::Job submitted = SubmitTo(pipeline.id());
  EXPECT_EQ(submitted.max_attempts(), 1);
  const v1::LeaseJobResponse leased = MustLease();
  Reply<v1::Job> failed = t1().FailJob(FailRequest(leased.lease(), true));
  ASSERT_TRUE(IsOk(failed.status));
  EXPECT_EQ(failed.response.state(), v1::Job::FAILED)
      << "no attempts left: a retryable failure is final";
}

// --- Lease expiry

TEST_F(WorkerServiceTest, ExpiredLeaseRequeuesTheJobWithBackoff) {
  const v1::Pipeline pipeline = QuickRetryPipeline();
  SubmitTo(pipeline.id());
  v1::LeaseJobRequest request = LeaseRequest();
  *request.mutable_lease_duration() = DurationProto(absl::Seconds(1));
  const v1::LeaseJobResponse leased = MustLease(request);

  const v1::Job expired =
      WaitForChangeAfter(leased.job().id(), leased.job().version());
  EXPECT_EQ(expired.state(), v1::Job::QUEUED);
  EXPECT_EQ(expired.attempt_count(), 1);
  EXPECT_TRUE(expired.worker_id().empty());
  EXPECT_FALSE(expired.has_lease_expire_time());
  EXPECT_TRUE(expired.has_next_attempt_time());
  EXPECT_GE(ToTime(expired.update_time()), ToTime(leased.lease().expire_time()))
      << "expired before its time";

  const v1::LeaseJobResponse again = MustLease(WaitingLeaseRequest("worker-2"));
  EXPECT_EQ(again.job().id(), leased.job().id());
  EXPECT_EQ(again.lease().attempt(), 2);
}

TEST_F(WorkerServiceTest, ExpiredLeaseWithoutAttemptsLeftFailsTheJob) {
  v1::Job in = ValidDnaJob();
  in.set_max_attempts(1);
  MustSubmit(in);
  v1::LeaseJobRequest request = LeaseRequest();
  *request.mutable_lease_duration() = DurationProto(absl::Seconds(1));
  const v1::LeaseJobResponse leased = MustLease(request);
  const v1::Job failed =
      WaitForChangeAfter(leased.job().id(), leased.job().version());
  EXPECT_EQ(failed.state(), v1::Job::FAILED);
  EXPECT_EQ(failed.error().code(), 4);  // DEADLINE_EXCEEDED
  EXPECT_THAT(failed.error().message(), HasSubstr("lease"));
  EXPECT_TRUE(failed.has_end_time());
}

// --- Fencing

TEST_F(WorkerServiceTest, StaleLeaseChangesNothing) {
  const v1::Pipeline pipeline = QuickRetryPipeline();
  SubmitTo(pipeline.id());
  v1::LeaseJobRequest short_lease = LeaseRequest("worker-old");
  *short_lease.mutable_lease_duration() = DurationProto(absl::Seconds(1));
  const v1::LeaseJobResponse stale = MustLease(short_lease);
  WaitForChangeAfter(stale.job().id(), stale.job().version());

  const v1::LeaseJobResponse current =
      MustLease(WaitingLeaseRequest("worker-new"));
  ASSERT_EQ(current.job().id(), stale.job().id());
  const v1::Job before = MustGet(current.job().id());

  EXPECT_TRUE(
      IsRpcError(t1().CompleteJob(CompleteRequest(stale.lease())).status,
                 grpc::StatusCode::FAILED_PRECONDITION, "LEASE_LOST"));
  EXPECT_TRUE(IsRpcError(t1().FailJob(FailRequest(stale.lease(), false)).status,
                         grpc::StatusCode::FAILED_PRECONDITION, "LEASE_LOST"));
  EXPECT_TRUE(IsRpcError(
      t1().RenewLease(stale.lease().job_id(), stale.lease().lease_id()).status,
      grpc::StatusCode::FAILED_PRECONDITION, "LEASE_LOST"));
  EXPECT_TRUE(IsRpcError(
      t1().AcknowledgeCancel(stale.lease().job_id(), stale.lease().lease_id())
          .status,
      grpc::StatusCode::FAILED_PRECONDITION, "LEASE_LOST"));
  // A lease ID never issued is no better.
  v1::Lease forged = current.lease();
  forged.set_lease_id(kUnknownId);
  EXPECT_TRUE(IsRpcError(t1().CompleteJob(CompleteRequest(forged)).status,
                         grpc::StatusCode::FAILED_PRECONDITION, "LEASE_LOST"));
  EXPECT_TRUE(ProtoEquals(before, MustGet(before.id())));

  Reply<v1::Job> completed = t1().CompleteJob(CompleteRequest(current.lease()));
  ASSERT_TRUE(IsOk(completed.status));
  EXPECT_EQ(completed.response.state(), v1::Job::SUCCEEDED);
  EXPECT_EQ(completed.response.attempt_count(), 2);
}

TEST_F(WorkerServiceTest, AnotherTenantCannotSeeOrUseALease) {
  const v1::Job job = MustSubmit(ValidDnaJob());
  ExpectNothingToLease(LeaseRequest(), &t2());
  const v1::LeaseJobResponse leased = MustLease();
  const v1::Lease& lease = leased.lease();

  auto not_found = [](const grpc::Status& status) {
    return IsRpcError(status, grpc::StatusCode::NOT_FOUND, "JOB_NOT_FOUND");
  };
  EXPECT_TRUE(
      not_found(t2().RenewLease(lease.job_id(), lease.lease_id()).status));
  EXPECT_TRUE(not_found(t2().CompleteJob(CompleteRequest(lease)).status));
  EXPECT_TRUE(not_found(t2().FailJob(FailRequest(lease, true)).status));
  EXPECT_TRUE(not_found(
      t2().AcknowledgeCancel(lease.job_id(), lease.lease_id()).status));
  v1::LeaseJobRequest foreign_pipeline = LeaseRequest();
  foreign_pipeline.add_pipeline_ids(job.pipeline_id());
  EXPECT_TRUE(IsRpcError(t2().LeaseJob(foreign_pipeline).status,
                         grpc::StatusCode::NOT_FOUND, "PIPELINE_NOT_FOUND",
                         "pipeline_ids[0]"));
  EXPECT_TRUE(ProtoEquals(leased.job(), MustGet(job.id())));
}

// --- Running cancel

TEST_F(WorkerServiceTest, CancelOfRunningJobNeedsAllowRunning) {
  MustSubmit(ValidDnaJob());
  const v1::LeaseJobResponse leased = MustLease();
  EXPECT_TRUE(IsRpcError(t1().CancelJob(leased.job().id()).status,
                         grpc::StatusCode::FAILED_PRECONDITION,
                         "JOB_NOT_QUEUED"));
  EXPECT_TRUE(ProtoEquals(leased.job(), MustGet(leased.job().id())));
  Reply<v1::RenewLeaseResponse> renewed =
      t1().RenewLease(leased.lease().job_id(), leased.lease().lease_id());
  ASSERT_TRUE(IsOk(renewed.status));
  EXPECT_FALSE(renewed.response.cancel_requested());
}

class RunningCancelTest : public WorkerServiceTest {
 protected:
  // Leases a new job (lease `lease_duration`) and cancels it with
  // allow_running; returns the lease.
  v1::LeaseJobResponse LeaseAndCancel(
      absl::Duration lease_duration = absl::Seconds(30)) {
    MustSubmit(ValidDnaJob());
    v1::LeaseJobRequest request = LeaseRequest();
    *request.mutable_lease_duration() = DurationProto(lease_duration);
    v1::LeaseJobResponse leased = MustLease(request);
    v1::CancelJobRequest cancel;
    cancel.set_job_id(leased.job().id());
    cancel.set_allow_running(true);
    Reply<v1::Job> canceling = t1().CancelJob(cancel);
    EXPECT_TRUE(IsOk(canceling.status));
    EXPECT_EQ(canceling.response.state(), v1::Job::CANCELING);
    EXPECT_EQ(canceling.response.worker_id(), leased.job().worker_id())
        << "the worker keeps its lease while canceling";
    EXPECT_FALSE(canceling.response.has_end_time());
    *leased.mutable_job() = canceling.response;
    return leased;
  }
};

TEST_F(RunningCancelTest, WorkerLearnsOfTheCancelAndAcknowledgesIt) {
  const v1::LeaseJobResponse leased = LeaseAndCancel();
  const v1::Lease& lease = leased.lease();
  Reply<v1::RenewLeaseResponse> renewed =
      t1().RenewLease(lease.job_id(), lease.lease_id());
  ASSERT_TRUE(IsOk(renewed.status));
  EXPECT_TRUE(renewed.response.cancel_requested());
  EXPECT_EQ(MustGet(lease.job_id()).state(), v1::Job::CANCELING)
      << "renewing does not end the job";

  Reply<v1::Job> acknowledged =
      t1().AcknowledgeCancel(lease.job_id(), lease.lease_id());
  ASSERT_TRUE(IsOk(acknowledged.status));
  EXPECT_EQ(acknowledged.response.state(), v1::Job::CANCELED);
  EXPECT_TRUE(acknowledged.response.has_end_time());
  EXPECT_TRUE(acknowledged.response.worker_id().empty());
  EXPECT_TRUE(ProtoEquals(acknowledged.response, MustGet(lease.job_id())));
  // Cancel stays idempotent on the canceled job.
  Reply<v1::Job> again = t1().CancelJob(lease.job_id());
  ASSERT_TRUE(IsOk(again.status));
  EXPECT_TRUE(ProtoEquals(acknowledged.response, again.response));
}

TEST_F(RunningCancelTest, WorkerThatCompletedFirstEndsTheJobSucceeded) {
  const v1::LeaseJobResponse leased = LeaseAndCancel();
  Reply<v1::Job> completed = t1().CompleteJob(CompleteRequest(leased.lease()));
  ASSERT_TRUE(IsOk(completed.status));
  EXPECT_EQ(completed.response.state(), v1::Job::SUCCEEDED);
  EXPECT_EQ(completed.response.result().output_uri(),
            "oss://bucket/out/result.json");
}

TEST_F(RunningCancelTest, FailureOfACancelingJobEndsItCanceled) {
  const v1::LeaseJobResponse leased = LeaseAndCancel();
  Reply<v1::Job> failed = t1().FailJob(FailRequest(leased.lease(), true));
  ASSERT_TRUE(IsOk(failed.status));
  EXPECT_EQ(failed.response.state(), v1::Job::CANCELED);
  ExpectNothingToLease();
}

TEST_F(RunningCancelTest, ExpiredLeaseEndsTheCancelingJobCanceled) {
  const v1::LeaseJobResponse leased = LeaseAndCancel(absl::Seconds(1));
  const v1::Job ended =
      WaitForChangeAfter(leased.job().id(), leased.job().version());
  EXPECT_EQ(ended.state(), v1::Job::CANCELED);
  EXPECT_TRUE(ended.has_end_time());
  ExpectNothingToLease();
}

// --- Scheduling settings of pipelines and jobs

TEST_F(WorkerServiceTest, PipelinesShowTheirEffectiveRetryPolicy) {
  const v1::Pipeline defaults = MustCreatePipeline("defaults");
  EXPECT_EQ(defaults.max_running_jobs(), 0);
  ASSERT_TRUE(defaults.has_retry_policy());
  EXPECT_EQ(defaults.retry_policy().max_attempts(), 3);
  EXPECT_EQ(ToDuration(defaults.retry_policy().initial_backoff()),
            absl::Seconds(1));
  EXPECT_EQ(ToDuration(defaults.retry_policy().max_backoff()),
            absl::Minutes(5));
  EXPECT_EQ(ToDuration(defaults.retry_policy().lease_duration()),
            absl::Seconds(30));
  EXPECT_TRUE(ProtoEquals(defaults.retry_policy(),
                          t1().DefaultPipeline().retry_policy()));

  v1::Pipeline in = NamedPipeline("partial");
  in.set_max_running_jobs(10000);
  in.mutable_retry_policy()->set_max_attempts(100);
  *in.mutable_retry_policy()->mutable_lease_duration() =
      DurationProto(absl::Hours(1));
  const v1::Pipeline partial = MustCreate(in);
  EXPECT_EQ(partial.max_running_jobs(), 10000);
  EXPECT_EQ(partial.retry_policy().max_attempts(), 100);
  EXPECT_EQ(ToDuration(partial.retry_policy().initial_backoff()),
            absl::Seconds(1));
  EXPECT_EQ(ToDuration(partial.retry_policy().max_backoff()), absl::Minutes(5));
  EXPECT_EQ(ToDuration(partial.retry_policy().lease_duration()),
            absl::Hours(1));
  Reply<v1::Pipeline> got = t1().GetPipeline(partial.id());
  ASSERT_TRUE(IsOk(got.status));
  EXPECT_TRUE(ProtoEquals(partial, got.response));
}

TEST_F(WorkerServiceTest, UpdateReplacesTheWholeRetryPolicy) {
  v1::Pipeline in = NamedPipeline("tuned");
  in.mutable_retry_policy()->set_max_attempts(7);
  *in.mutable_retry_policy()->mutable_max_backoff() =
      DurationProto(absl::Hours(24));
  const v1::Pipeline created = MustCreate(in);

  v1::Pipeline change;
  change.set_id(created.id());
  *change.mutable_retry_policy()->mutable_initial_backoff() =
      DurationProto(absl::Milliseconds(10));
  change.set_max_running_jobs(5);
  Reply<v1::Pipeline> updated = t1().UpdatePipeline(
      UpdateRequest(change, {"retry_policy", "max_running_jobs"}));
  ASSERT_TRUE(IsOk(updated.status));
  const v1::RetryPolicy& policy = updated.response.retry_policy();
  EXPECT_EQ(policy.max_attempts(), 3) << "unset fields take the defaults";
  EXPECT_EQ(ToDuration(policy.initial_backoff()), absl::Milliseconds(10));
  EXPECT_EQ(ToDuration(policy.max_backoff()), absl::Minutes(5));
  EXPECT_EQ(ToDuration(policy.lease_duration()), absl::Seconds(30));
  EXPECT_EQ(updated.response.max_running_jobs(), 5);
  EXPECT_NE(updated.response.etag(), created.etag());
  EXPECT_GE(ToTime(updated.response.update_time()),
            ToTime(created.update_time()));
  EXPECT_EQ(updated.response.name(), "tuned") << "not in the mask";

  // Fields outside the mask are not touched.
  v1::Pipeline rename;
  rename.set_id(created.id());
  rename.set_name("renamed");
  rename.set_max_running_jobs(9);
  Reply<v1::Pipeline> renamed =
      t1().UpdatePipeline(UpdateRequest(rename, {"name"}));
  ASSERT_TRUE(IsOk(renamed.status));
  EXPECT_EQ(renamed.response.max_running_jobs(), 5);
  EXPECT_TRUE(ProtoEquals(policy, renamed.response.retry_policy()));
}

struct BadPipeline {
  std::string name;
  std::function<void(v1::Pipeline*)> mutate;
  std::string reason;
  std::string field;
};

std::vector<BadPipeline> BadPipelineSettings() {
  const std::string invalid = "INVALID_FIELD";
  auto policy = [](v1::Pipeline* p) { return p->mutable_retry_policy(); };
  auto set = [](google::protobuf::Duration* d, int64_t seconds, int nanos) {
    d->set_seconds(seconds);
    d->set_nanos(nanos);
  };
  return {
      {"max_running_jobs -1", [](auto* p) { p->set_max_running_jobs(-1); },
       invalid, "pipeline.max_running_jobs"},
      {"max_running_jobs 10001",
       [](auto* p) { p->set_max_running_jobs(10001); }, invalid,
       "pipeline.max_running_jobs"},
      {"max_attempts -1", [=](auto* p) { policy(p)->set_max_attempts(-1); },
       invalid, "pipeline.retry_policy.max_attempts"},
      {"max_attempts 101", [=](auto* p) { policy(p)->set_max_attempts(101); },
       invalid, "pipeline.retry_policy.max_attempts"},
      {"initial_backoff 0",
       [=](auto* p) { set(policy(p)->mutable_initial_backoff(), 0, 0); },
       invalid, "pipeline.retry_policy.initial_backoff"},
      {"initial_backoff 9ms",
       [=](auto* p) { set(policy(p)->mutable_initial_backoff(), 0, 9999999); },
       invalid, "pipeline.retry_policy.initial_backoff"},
      {"initial_backoff above 1h",
       [=](auto* p) {
         set(policy(p)->mutable_initial_backoff(), 3600, 1);
         set(policy(p)->mutable_max_backoff(), 7200, 0);
       },
       invalid, "pipeline.retry_policy.initial_backoff"},
      {"initial_backoff negative",
       [=](auto* p) { set(policy(p)->mutable_initial_backoff(), -1, 0); },
       invalid, "pipeline.retry_policy.initial_backoff"},
      {"initial_backoff nanos out of range",
       [=](auto* p) {
         set(policy(p)->mutable_initial_backoff(), 1, 1000000000);
       },
       invalid, "pipeline.retry_policy.initial_backoff"},
      {"max_backoff above 24h",
       [=](auto* p) { set(policy(p)->mutable_max_backoff(), 86401, 0); },
       invalid, "pipeline.retry_policy.max_backoff"},
      {"max_backoff below initial_backoff",
       [=](auto* p) {
         set(policy(p)->mutable_initial_backoff(), 10, 0);
         set(policy(p)->mutable_max_backoff(), 9, 0);
       },
       invalid, "pipeline.retry_policy.max_backoff"},
      {"default max_backoff below initial_backoff",
       [=](auto* p) { set(policy(p)->mutable_initial_backoff(), 3600, 0); },
       invalid, "pipeline.retry_policy.max_backoff"},
      {"max_backoff huge",
       [=](auto* p) { set(policy(p)->mutable_max_backoff(), 315576000000, 0); },
       invalid, "pipeline.retry_policy.max_backoff"},
      {"lease_duration 999ms",
       [=](auto* p) { set(policy(p)->mutable_lease_duration(), 0, 999000000); },
       invalid, "pipeline.retry_policy.lease_duration"},
      {"lease_duration above 1h",
       [=](auto* p) { set(policy(p)->mutable_lease_duration(), 3601, 0); },
       invalid, "pipeline.retry_policy.lease_duration"},
  };
}

TEST_F(WorkerServiceTest, InvalidSchedulingSettingsAreRejectedOnCreate) {
  const std::vector<v1::Pipeline> before = t1().ListAllPipelines();
  for (const BadPipeline& bad : BadPipelineSettings()) {
    SCOPED_TRACE(bad.name);
    v1::Pipeline in = NamedPipeline("bad");
    bad.mutate(&in);
    EXPECT_TRUE(IsInvalidArgument(t1().CreatePipeline(in).status, bad.reason,
                                  bad.field));
  }
  EXPECT_EQ(t1().ListAllPipelines().size(), before.size())
      << "a rejected create made a pipeline";
}

TEST_F(WorkerServiceTest, InvalidSchedulingSettingsAreRejectedOnUpdate) {
  const v1::Pipeline pipeline = MustCreatePipeline("target");
  for (const BadPipeline& bad : BadPipelineSettings()) {
    SCOPED_TRACE(bad.name);
    v1::Pipeline in;
    in.set_id(pipeline.id());
    bad.mutate(&in);
    EXPECT_TRUE(IsInvalidArgument(
        t1().UpdatePipeline(
                UpdateRequest(in, {"max_running_jobs", "retry_policy"}))
            .status,
        bad.reason, bad.field));
  }
  v1::Pipeline sub_path;
  sub_path.set_id(pipeline.id());
  sub_path.mutable_retry_policy()->set_max_attempts(5);
  EXPECT_TRUE(IsInvalidArgument(
      t1().UpdatePipeline(
              UpdateRequest(sub_path, {"retry_policy.max_attempts"}))
          .status,
      "INVALID_FIELD", "update_mask"));
  Reply<v1::Pipeline> got = t1().GetPipeline(pipeline.id());
  ASSERT_TRUE(IsOk(got.status));
  EXPECT_TRUE(ProtoEquals(pipeline, got.response));
}

TEST_F(WorkerServiceTest, SubmitChecksMaxAttemptsAndOutputOnlyWorkerFields) {
  v1::Job bounds = ValidDnaJob();
  bounds.set_max_attempts(100);
  Reply<v1::Job> accepted = t1().SubmitJob(bounds);
  ASSERT_TRUE(IsOk(accepted.status));
  EXPECT_EQ(accepted.response.max_attempts(), 100);
  bounds.set_max_attempts(1);
  ASSERT_TRUE(IsOk(t1().SubmitJob(bounds).status));

  struct Bad {
    std::string name;
    std::function<void(v1::Job*)> mutate;
    std::string field;
  };
  const std::vector<Bad> bads = {
      {"max_attempts -1", [](auto* j) { j->set_max_attempts(-1); },
       "job.max_attempts"},
      {"max_attempts 101", [](auto* j) { j->set_max_attempts(101); },
       "job.max_attempts"},
      {"worker_id", [](auto* j) { j->set_worker_id("w"); }, "job.worker_id"},
      {"lease_expire_time",
       [](auto* j) { j->mutable_lease_expire_time()->set_seconds(1); },
       "job.lease_expire_time"},
      {"next_attempt_time",
       [](auto* j) { j->mutable_next_attempt_time()->set_seconds(1); },
       "job.next_attempt_time"},
      {"version", [](auto* j) { j->set_version(1); }, "job.version"},
  };
  for (const Bad& bad : bads) {
    SCOPED_TRACE(bad.name);
    v1::Job job = ValidDnaJob();
    bad.mutate(&job);
    EXPECT_TRUE(IsInvalidArgument(t1().SubmitJob(job).status, "INVALID_FIELD",
                                  bad.field));
  }
  EXPECT_EQ(t1().ListAllJobs().size(), 2u) << "a rejected submit made a job";
}

// --- Rejections of worker requests

struct BadCall {
  std::string name;
  std::function<grpc::Status(ApiCaller&)> call;
  std::string reason;
  std::string field;
};

TEST_F(WorkerServiceTest, InvalidWorkerRequestsAreRejectedAndChangeNothing) {
  const v1::Job queued_before = MustSubmit(ValidEditingJob());
  const v1::Job other = MustSubmit(ValidDnaJob());
  v1::LeaseJobRequest pick_dna = LeaseRequest();
  pick_dna.add_kinds(v1::JOB_KIND_DNA_ANALYSIS);
  const v1::LeaseJobResponse leased = MustLease(pick_dna);
  ASSERT_EQ(leased.job().id(), other.id());
  const v1::Lease lease = leased.lease();
  const std::string missing = "MISSING_FIELD";
  const std::string invalid = "INVALID_FIELD";

  auto lease_with = [](std::function<void(v1::LeaseJobRequest*)> mutate) {
    return [mutate](ApiCaller& c) {
      v1::LeaseJobRequest request = LeaseRequest();
      mutate(&request);
      return c.LeaseJob(request, absl::Seconds(20)).status;
    };
  };
  auto duration = [](google::protobuf::Duration* d, int64_t s, int n) {
    d->set_seconds(s);
    d->set_nanos(n);
  };
  auto complete_with =
      [lease](std::function<void(v1::CompleteJobRequest*)> mutate) {
        return [lease, mutate](ApiCaller& c) {
          v1::CompleteJobRequest request = CompleteRequest(lease);
          mutate(&request);
          return c.CompleteJob(request).status;
        };
      };
  auto fail_with = [lease](std::function<void(v1::FailJobRequest*)> mutate) {
    return [lease, mutate](ApiCaller& c) {
      v1::FailJobRequest request = FailRequest(lease, true);
      mutate(&request);
      return c.FailJob(request).status;
    };
  };
  // Every call naming a lease, with job_id and lease_id varied.
  auto lease_calls = [&](const std::string& job_id,
                         const std::string& lease_id) {
    v1::Lease varied = lease;
    varied.set_job_id(job_id);
    varied.set_lease_id(lease_id);
    return std::vector<std::function<grpc::Status(ApiCaller&)>>{
        [varied](ApiCaller& c) {
          return c.RenewLease(varied.job_id(), varied.lease_id()).status;
        },
        [varied](ApiCaller& c) {
          return c.CompleteJob(CompleteRequest(varied)).status;
        },
        [varied](ApiCaller& c) {
          return c.FailJob(FailRequest(varied, false)).status;
        },
        [varied](ApiCaller& c) {
          return c.AcknowledgeCancel(varied.job_id(), varied.lease_id()).status;
        },
    };
  };

  std::vector<BadCall> bads = {
      {"worker_id empty", lease_with([](auto* r) { r->clear_worker_id(); }),
       missing, "worker_id"},
      {"worker_id 129 bytes",
       lease_with([](auto* r) { r->set_worker_id(std::string(129, 'w')); }),
       invalid, "worker_id"},
      {"worker_id with a space",
       lease_with([](auto* r) { r->set_worker_id("worker 1"); }), invalid,
       "worker_id"},
      {"worker_id with a slash",
       lease_with([](auto* r) { r->set_worker_id("host/1"); }), invalid,
       "worker_id"},
      {"worker_id non-ASCII",
       lease_with([](auto* r) { r->set_worker_id("w\xc3\xa9"); }), invalid,
       "worker_id"},
      {"kind unspecified",
       lease_with([](auto* r) { r->add_kinds(v1::JOB_KIND_UNSPECIFIED); }),
       invalid, "kinds[0]"},
      {"kind undefined", lease_with([](auto* r) {
         r->add_kinds(v1::JOB_KIND_EDITING);
         r->add_kinds(static_cast<v1::JobKind>(7));
       }),
       invalid, "kinds[1]"},
      {"101 pipelines", lease_with([&](auto* r) {
         for (int i = 0; i < 101; ++i) {
           r->add_pipeline_ids(queued_before.pipeline_id());
         }
       }),
       invalid, "pipeline_ids"},
      {"pipeline id malformed", lease_with([&](auto* r) {
         r->add_pipeline_ids(queued_before.pipeline_id());
         r->add_pipeline_ids("default");
       }),
       invalid, "pipeline_ids[1]"},
      {"pipeline id empty",
       lease_with([](auto* r) { r->add_pipeline_ids(""); }), missing,
       "pipeline_ids[0]"},
      {"wait_timeout negative",
       lease_with([=](auto* r) { duration(r->mutable_wait_timeout(), -1, 0); }),
       invalid, "wait_timeout"},
      {"wait_timeout negative nanos",
       lease_with([=](auto* r) { duration(r->mutable_wait_timeout(), 0, -1); }),
       invalid, "wait_timeout"},
      {"wait_timeout 60s + 1ns",
       lease_with([=](auto* r) { duration(r->mutable_wait_timeout(), 60, 1); }),
       invalid, "wait_timeout"},
      {"wait_timeout huge", lease_with([=](auto* r) {
         duration(r->mutable_wait_timeout(), 315576000000, 0);
       }),
       invalid, "wait_timeout"},
      {"wait_timeout nanos out of range", lease_with([=](auto* r) {
         duration(r->mutable_wait_timeout(), 1, 1000000000);
       }),
       invalid, "wait_timeout"},
      {"lease_duration 0", lease_with([=](auto* r) {
         duration(r->mutable_lease_duration(), 0, 0);
       }),
       invalid, "lease_duration"},
      {"lease_duration below 1s", lease_with([=](auto* r) {
         duration(r->mutable_lease_duration(), 0, 999999999);
       }),
       invalid, "lease_duration"},
      {"lease_duration above 1h", lease_with([=](auto* r) {
         duration(r->mutable_lease_duration(), 3600, 1);
       }),
       invalid, "lease_duration"},
      {"lease_duration negative", lease_with([=](auto* r) {
         duration(r->mutable_lease_duration(), -30, 0);
       }),
       invalid, "lease_duration"},
      {"output_uri 2049 bytes", complete_with([](auto* r) {
         r->mutable_result()->set_output_uri(std::string(2049, 'u'));
       }),
       invalid, "result.output_uri"},
      {"details_json over 64 KiB", complete_with([](auto* r) {
         r->mutable_result()->set_details_json(
             "{\"k\":\"" + std::string(64 * 1024 - 7, 'v') + "\"}");
       }),
       invalid, "result.details_json"},
      {"details_json an array", complete_with([](auto* r) {
         r->mutable_result()->set_details_json("[1,2]");
       }),
       invalid, "result.details_json"},
      {"details_json not JSON", complete_with([](auto* r) {
         r->mutable_result()->set_details_json("score=1");
       }),
       invalid, "result.details_json"},
      {"error unset", fail_with([](auto* r) { r->clear_error(); }), missing,
       "error"},
      {"error code OK",
       fail_with([](auto* r) { r->mutable_error()->set_code(0); }), invalid,
       "error.code"},
      {"error code 17",
       fail_with([](auto* r) { r->mutable_error()->set_code(17); }), invalid,
       "error.code"},
      {"error code negative",
       fail_with([](auto* r) { r->mutable_error()->set_code(-2); }), invalid,
       "error.code"},
      {"error message 4097 bytes", fail_with([](auto* r) {
         r->mutable_error()->set_message(std::string(4097, 'm'));
       }),
       invalid, "error.message"},
  };
  const std::vector<std::pair<std::string, std::pair<std::string, std::string>>>
      id_cases = {
          {"job_id empty", {"", lease.lease_id()}},
          {"job_id malformed", {"job-1", lease.lease_id()}},
          {"job_id upper-case",
           {"00112233445566778899AABBCCDDEEFF", lease.lease_id()}},
          {"lease_id empty", {lease.job_id(), ""}},
          {"lease_id malformed", {lease.job_id(), "lease"}},
          {"lease_id 33 hex", {lease.job_id(), lease.lease_id() + "0"}},
      };
  for (const auto& [name, ids] : id_cases) {
    const bool job_field = name.rfind("job_id", 0) == 0;
    const bool empty = job_field ? ids.first.empty() : ids.second.empty();
    int index = 0;
    for (auto& call : lease_calls(ids.first, ids.second)) {
      bads.push_back({absl::StrCat(name, " #", index++), call,
                      empty ? missing : invalid,
                      job_field ? "job_id" : "lease_id"});
    }
  }

  for (const BadCall& bad : bads) {
    SCOPED_TRACE(bad.name);
    EXPECT_TRUE(IsInvalidArgument(bad.call(t1()), bad.reason, bad.field));
  }
  EXPECT_TRUE(ProtoEquals(leased.job(), MustGet(other.id())))
      << "a rejected call changed the leased job";
  EXPECT_TRUE(ProtoEquals(queued_before, MustGet(queued_before.id())))
      << "a rejected LeaseJob leased a job";
}

TEST_F(WorkerServiceTest, WorkerRequestsAcceptTheBoundsOfEveryLimit) {
  const v1::Job submitted = MustSubmit(ValidDnaJob());
  v1::LeaseJobRequest request =
      LeaseRequest("AZaz09_.:-" + std::string(118, 'w'));  // 128 bytes
  request.add_kinds(v1::JOB_KIND_DNA_ANALYSIS);
  request.add_kinds(v1::JOB_KIND_EDITING);
  for (int i = 0; i < 100; ++i)
    request.add_pipeline_ids(submitted.pipeline_id());
  *request.mutable_lease_duration() = DurationProto(absl::Hours(1));
  *request.mutable_wait_timeout() = DurationProto(absl::Seconds(60));
  const v1::LeaseJobResponse leased = MustLease(request);
  EXPECT_EQ(leased.job().worker_id(), request.worker_id());
  EXPECT_EQ(
      ToTime(leased.lease().expire_time()) - ToTime(leased.job().start_time()),
      absl::Hours(1));

  v1::CompleteJobRequest complete = CompleteRequest(leased.lease());
  complete.mutable_result()->set_output_uri(std::string(2048, 'u'));
  complete.mutable_result()->set_details_json(
      "{\"k\":\"" + std::string(64 * 1024 - 8, 'v') + "\"}");
  ASSERT_EQ(complete.result().details_json().size(), 64u * 1024);
  Reply<v1::Job> completed = t1().CompleteJob(complete);
  ASSERT_TRUE(IsOk(completed.status));
  EXPECT_TRUE(ProtoEquals(complete.result(), completed.response.result()));

  MustSubmit(ValidDnaJob());
  v1::LeaseJobRequest shortest = LeaseRequest("w");
  *shortest.mutable_lease_duration() = DurationProto(absl::Seconds(1));
  const v1::LeaseJobResponse short_lease = MustLease(shortest);
  v1::FailJobRequest fail = FailRequest(short_lease.lease(), false);
  fail.mutable_error()->set_code(16);
  fail.mutable_error()->set_message(std::string(4096, 'm'));
  Reply<v1::Job> failed = t1().FailJob(fail);
  // The 1 s lease may already have expired; then the failure is refused.
  if (failed.ok()) {
    EXPECT_EQ(failed.response.state(), v1::Job::FAILED);
    EXPECT_EQ(failed.response.error().code(), 16);
    EXPECT_EQ(failed.response.error().message().size(), 4096u);
  } else {
    EXPECT_TRUE(IsRpcError(failed.status, grpc::StatusCode::FAILED_PRECONDITION,
                           "LEASE_LOST"));
  }
}

// --- Permissions

TEST_F(WorkerServiceTest, WorkerCallsNeedWorkerActions) {
  MustSubmit(ValidDnaJob());
  const v1::LeaseJobResponse leased = MustLease();
  const v1::Lease lease = leased.lease();
  for (ApiCaller* caller : {&jobs_only(), &read_only()}) {
    auto denied = [](const grpc::Status& status) {
      return IsRpcError(status, grpc::StatusCode::PERMISSION_DENIED,
                        "ACTION_DENIED");
    };
    EXPECT_TRUE(denied(caller->LeaseJob(LeaseRequest()).status));
    EXPECT_TRUE(
        denied(caller->RenewLease(lease.job_id(), lease.lease_id()).status));
    EXPECT_TRUE(denied(caller->CompleteJob(CompleteRequest(lease)).status));
    EXPECT_TRUE(denied(caller->FailJob(FailRequest(lease, true)).status));
    EXPECT_TRUE(denied(
        caller->AcknowledgeCancel(lease.job_id(), lease.lease_id()).status));
  }
  ApiCaller anonymous = test_server().CallerWithAuthorization(std::nullopt);
  EXPECT_TRUE(IsRpcError(anonymous.LeaseJob(LeaseRequest()).status,
                         grpc::StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED"));
  EXPECT_TRUE(IsRpcError(anonymous.CompleteJob(CompleteRequest(lease)).status,
                         grpc::StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED"));
  EXPECT_TRUE(ProtoEquals(leased.job(), MustGet(lease.job_id())));
}

}  // namespace
}  // namespace test
}  // namespace jobcontrol
