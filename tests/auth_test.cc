// Integration tests of who may do what: authentication (authorization:
// Bearer <token>), the actions a credential allows, and tenant isolation
// (another tenant's job or pipeline is NOT_FOUND, never PERMISSION_DENIED).
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_server.h"

namespace jobcontrol {
namespace test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUnknownId[] = "00112233445566778899aabbccddeeff";

// One call of each RPC, with valid arguments naming `job_id` / `pipeline_id`.
struct RpcCall {
  std::string name;
  std::function<grpc::Status(ApiCaller&)> call;
};

std::vector<RpcCall> EveryRpc(const std::string& job_id,
                              const std::string& pipeline_id) {
  return {
      {"SubmitJob",
       [](ApiCaller& c) { return c.SubmitJob(ValidDnaJob()).status; }},
      {"GetJob", [=](ApiCaller& c) { return c.GetJob(job_id).status; }},
      {"ListJobs", [](ApiCaller& c) { return c.ListJobs({}).status; }},
      {"CancelJob", [=](ApiCaller& c) { return c.CancelJob(job_id).status; }},
      {"CreatePipeline",
       [](ApiCaller& c) {
         return c.CreatePipeline(NamedPipeline("new")).status;
       }},
      {"GetPipeline",
       [=](ApiCaller& c) { return c.GetPipeline(pipeline_id).status; }},
      {"ListPipelines",
       [](ApiCaller& c) { return c.ListPipelines({}).status; }},
      {"UpdatePipeline",
       [=](ApiCaller& c) {
         v1::UpdatePipelineRequest request;
         request.mutable_pipeline()->set_id(pipeline_id);
         request.mutable_pipeline()->set_state(v1::Pipeline::PAUSED);
         request.mutable_update_mask()->add_paths("state");
         return c.UpdatePipeline(request).status;
       }},
      {"DeletePipeline",
       [=](ApiCaller& c) { return c.DeletePipeline(pipeline_id).status; }},
  };
}

class AuthTest : public ServerTest {
 protected:
  // A snapshot of everything tenant t1 has, to show a refused call changed
  // nothing.
  struct Snapshot {
    std::vector<v1::Job> jobs;
    std::vector<v1::Pipeline> pipelines;
  };
  Snapshot TakeSnapshot(ApiCaller& caller) {
    return {caller.ListAllJobs(), caller.ListAllPipelines()};
  }
  void ExpectUnchanged(const Snapshot& before, ApiCaller& caller) {
    Snapshot after = TakeSnapshot(caller);
    ASSERT_EQ(after.jobs.size(), before.jobs.size());
    for (size_t i = 0; i < before.jobs.size(); ++i) {
      EXPECT_TRUE(ProtoEquals(before.jobs[i], after.jobs[i]));
    }
    ASSERT_EQ(after.pipelines.size(), before.pipelines.size());
    for (size_t i = 0; i < before.pipelines.size(); ++i) {
      EXPECT_TRUE(ProtoEquals(before.pipelines[i], after.pipelines[i]));
    }
  }
};

// --- Authentication

TEST_F(AuthTest, EveryRpcNeedsAKnownBearerToken) {
  const v1::Job job = MustSubmit(ValidDnaJob());
  const v1::Pipeline pipeline = MustCreatePipeline("guarded");
  const Snapshot before = TakeSnapshot(t1());

  const std::string t1_token = BearerTokenOf(Caller::kTenant1);
  const std::vector<std::optional<std::string>> bad_authorizations = {
      std::nullopt,                       // no authorization metadata
      "",                                 // empty value
      "Basic x",                          // wrong scheme
      "Basic dDE6c2VjcmV0",               // wrong scheme, plausible value
      "Bearer",                           // scheme without token
      "Bearer ",                          // scheme with empty token
      t1_token,                           // token without scheme
      "Bearer unknown-token-0123456789",  // unknown token
      "Bearer " + t1_token + "x",         // a known token plus a character
      "Bearer " + t1_token.substr(0, t1_token.size() - 1),  // a prefix of one
  };
  for (const std::optional<std::string>& authorization : bad_authorizations) {
    SCOPED_TRACE(authorization.value_or("<no authorization metadata>"));
    ApiCaller caller = test_server().CallerWithAuthorization(authorization);
    for (const RpcCall& rpc : EveryRpc(job.id(), pipeline.id())) {
      SCOPED_TRACE(rpc.name);
      grpc::Status status = rpc.call(caller);
      EXPECT_TRUE(IsRpcError(status, grpc::StatusCode::UNAUTHENTICATED,
                             "UNAUTHENTICATED"));
      if (authorization.has_value() && authorization->size() > 12) {
        EXPECT_THAT(status.error_message(),
                    Not(HasSubstr(authorization->substr(7))))
            << "an error message must not quote the credential";
      }
    }
  }
  ExpectUnchanged(before, t1());
}

TEST_F(AuthTest, BearerSchemeIsCaseInsensitive) {
  const v1::Job job = MustSubmit(ValidDnaJob());
  ApiCaller lower = test_server().CallerWithAuthorization(
      "bearer " + BearerTokenOf(Caller::kTenant1));
  Reply<v1::Job> got = lower.GetJob(job.id());
  ASSERT_TRUE(IsOk(got.status));
  EXPECT_EQ(got.response.id(), job.id());
}

// --- Actions

TEST_F(AuthTest, ReadOnlyCredentialMayReadButNotChange) {
  const v1::Job job = MustSubmit(ValidDnaJob());
  const v1::Pipeline pipeline = MustCreatePipeline("watched");
  const Snapshot before = TakeSnapshot(t1());

  const std::set<std::string> allowed = {"GetJob", "ListJobs", "GetPipeline",
                                         "ListPipelines"};
  for (const RpcCall& rpc : EveryRpc(job.id(), pipeline.id())) {
    SCOPED_TRACE(rpc.name);
    grpc::Status status = rpc.call(read_only());
    if (allowed.count(rpc.name)) {
      EXPECT_TRUE(IsOk(status));
    } else {
      EXPECT_TRUE(IsRpcError(status, grpc::StatusCode::PERMISSION_DENIED,
                             "ACTION_DENIED"));
    }
  }
  ExpectUnchanged(before, t1());

  // Same tenant as t1: it sees t1's job as it is.
  Reply<v1::Job> got = read_only().GetJob(job.id());
  ASSERT_TRUE(IsOk(got.status));
  EXPECT_TRUE(ProtoEquals(job, got.response));
  EXPECT_EQ(read_only().ListAllJobs().size(), 1u);
}

TEST_F(AuthTest, JobsWildcardCredentialMayUseJobsButNotPipelines) {
  const v1::Pipeline pipeline = MustCreatePipeline("t1 pipeline");
  const v1::Job job = MustSubmit(ValidDnaJob());
  const Snapshot before = TakeSnapshot(t1());

  const std::set<std::string> allowed = {"SubmitJob", "GetJob", "ListJobs",
                                         "CancelJob"};
  for (const RpcCall& rpc : EveryRpc(job.id(), pipeline.id())) {
    SCOPED_TRACE(rpc.name);
    grpc::Status status = rpc.call(jobs_only());
    if (allowed.count(rpc.name)) {
      EXPECT_TRUE(IsOk(status));
    } else {
      EXPECT_TRUE(IsRpcError(status, grpc::StatusCode::PERMISSION_DENIED,
                             "ACTION_DENIED"));
    }
  }
  // Its submit and cancel landed in tenant t1; the pipeline is untouched.
  Snapshot after = TakeSnapshot(t1());
  EXPECT_EQ(after.jobs.size(), before.jobs.size() + 1);
  Reply<v1::Job> canceled = t1().GetJob(job.id());
  ASSERT_TRUE(IsOk(canceled.status));
  EXPECT_EQ(canceled.response.state(), v1::Job::CANCELED);
  Reply<v1::Pipeline> untouched = t1().GetPipeline(pipeline.id());
  ASSERT_TRUE(IsOk(untouched.status));
  EXPECT_TRUE(ProtoEquals(pipeline, untouched.response));
}

// --- Tenancy

TEST_F(AuthTest, AnotherTenantsJobIsNotFound) {
  const v1::Job job = MustSubmit(ValidDnaJob());
  MustSubmit(ValidEditingJob(), &t2());

  EXPECT_TRUE(IsRpcError(t2().GetJob(job.id()).status,
                         grpc::StatusCode::NOT_FOUND, "JOB_NOT_FOUND"));
  EXPECT_TRUE(IsRpcError(t2().CancelJob(job.id()).status,
                         grpc::StatusCode::NOT_FOUND, "JOB_NOT_FOUND"));
  for (const v1::Job& listed : t2().ListAllJobs()) {
    EXPECT_NE(listed.id(), job.id());
  }
  EXPECT_EQ(t2().ListAllJobs().size(), 1u);

  Reply<v1::Job> still = t1().GetJob(job.id());
  ASSERT_TRUE(IsOk(still.status));
  EXPECT_TRUE(ProtoEquals(job, still.response)) << "t2's cancel changed it";

  // The answer for another tenant's job is the answer for no job at all.
  grpc::Status foreign = t2().GetJob(job.id()).status;
  grpc::Status missing = t2().GetJob(kUnknownId).status;
  EXPECT_EQ(foreign.error_code(), missing.error_code());
  EXPECT_EQ(ErrorInfoOf(foreign).value_or(google::rpc::ErrorInfo()).reason(),
            ErrorInfoOf(missing).value_or(google::rpc::ErrorInfo()).reason());
}

TEST_F(AuthTest, AnotherTenantsPipelineIsNotFound) {
  const v1::Pipeline pipeline = MustCreatePipeline("t1 only");
  v1::Job in = ValidDnaJob();
  in.set_pipeline_id(pipeline.id());
  const v1::Job job = MustSubmit(in);  // makes the pipeline non-empty
  const v1::Pipeline t1_default = t1().DefaultPipeline();
  const Snapshot before = TakeSnapshot(t1());

  EXPECT_TRUE(IsRpcError(t2().GetPipeline(pipeline.id()).status,
                         grpc::StatusCode::NOT_FOUND, "PIPELINE_NOT_FOUND"));
  v1::UpdatePipelineRequest pause;
  pause.mutable_pipeline()->set_id(pipeline.id());
  pause.mutable_pipeline()->set_state(v1::Pipeline::PAUSED);
  pause.mutable_update_mask()->add_paths("state");
  EXPECT_TRUE(IsRpcError(t2().UpdatePipeline(pause).status,
                         grpc::StatusCode::NOT_FOUND, "PIPELINE_NOT_FOUND"));
  // Not PIPELINE_NOT_EMPTY or DEFAULT_PIPELINE: that would tell t2 it exists.
  EXPECT_TRUE(IsRpcError(t2().DeletePipeline(pipeline.id()).status,
                         grpc::StatusCode::NOT_FOUND, "PIPELINE_NOT_FOUND"));
  EXPECT_TRUE(IsRpcError(t2().DeletePipeline(t1_default.id()).status,
                         grpc::StatusCode::NOT_FOUND, "PIPELINE_NOT_FOUND"));

  v1::Job into_foreign = ValidDnaJob();
  into_foreign.set_pipeline_id(pipeline.id());
  EXPECT_TRUE(IsRpcError(t2().SubmitJob(into_foreign).status,
                         grpc::StatusCode::NOT_FOUND, "PIPELINE_NOT_FOUND"));
  into_foreign.set_pipeline_id(t1_default.id());
  EXPECT_TRUE(IsRpcError(t2().SubmitJob(into_foreign).status,
                         grpc::StatusCode::NOT_FOUND, "PIPELINE_NOT_FOUND"));

  for (const v1::Pipeline& p : t2().ListAllPipelines()) {
    EXPECT_NE(p.id(), pipeline.id());
    EXPECT_NE(p.id(), t1_default.id());
  }
  EXPECT_TRUE(t2().ListAllJobs().empty());

  // Filtering by another tenant's pipeline reveals nothing.
  v1::ListJobsRequest by_foreign_pipeline;
  by_foreign_pipeline.mutable_filter()->set_pipeline_id(pipeline.id());
  Reply<v1::ListJobsResponse> listed = t2().ListJobs(by_foreign_pipeline);
  if (listed.ok()) {
    EXPECT_EQ(listed.response.jobs_size(), 0);
  } else {
    EXPECT_TRUE(IsRpcError(listed.status, grpc::StatusCode::NOT_FOUND,
                           "PIPELINE_NOT_FOUND"));
  }

  ExpectUnchanged(before, t1());
}

TEST_F(AuthTest, AnotherTenantsPageTokenRevealsNothing) {
  std::set<std::string> t1_ids;
  for (int i = 0; i < 3; ++i) t1_ids.insert(MustSubmit(ValidDnaJob()).id());
  MustSubmit(ValidEditingJob(), &t2());
  v1::ListJobsRequest request;
  request.set_page_size(1);
  Reply<v1::ListJobsResponse> t1_page = t1().ListJobs(request);
  ASSERT_TRUE(IsOk(t1_page.status));
  ASSERT_FALSE(t1_page.response.next_page_token().empty());

  request.set_page_size(0);
  request.set_page_token(t1_page.response.next_page_token());
  Reply<v1::ListJobsResponse> t2_page = t2().ListJobs(request);
  if (t2_page.ok()) {
    for (const v1::Job& job : t2_page.response.jobs()) {
      EXPECT_EQ(t1_ids.count(job.id()), 0u) << "t2 listed a job of t1";
    }
  } else {
    EXPECT_TRUE(
        IsInvalidArgument(t2_page.status, "INVALID_FIELD", "page_token"));
  }
}

TEST_F(AuthTest, EachTenantHasItsOwnDefaultPipeline) {
  const v1::Job t1_job = MustSubmit(ValidDnaJob());
  const v1::Job t2_job = MustSubmit(ValidDnaJob(), &t2());
  const v1::Pipeline t1_default = t1().DefaultPipeline();
  const v1::Pipeline t2_default = t2().DefaultPipeline();
  EXPECT_NE(t1_default.id(), t2_default.id());
  EXPECT_EQ(t1_job.pipeline_id(), t1_default.id());
  EXPECT_EQ(t2_job.pipeline_id(), t2_default.id());
  EXPECT_EQ(t1().ListAllPipelines().size(), 1u);
  EXPECT_EQ(t2().ListAllPipelines().size(), 1u);
}

TEST_F(AuthTest, RequestIdsAreScopedToTheTenant) {
  Reply<v1::Job> mine =
      t1().SubmitJob(SubmitRequest(ValidDnaJob(), "shared-request-id"));
  ASSERT_TRUE(IsOk(mine.status));

  // Neither t1's job nor REQUEST_ID_REUSED: both would leak t1's request.
  Reply<v1::Job> same_job =
      t2().SubmitJob(SubmitRequest(ValidDnaJob(), "shared-request-id"));
  ASSERT_TRUE(IsOk(same_job.status));
  EXPECT_NE(same_job.response.id(), mine.response.id());

  Reply<v1::Job> other_job =
      t2().SubmitJob(SubmitRequest(ValidEditingJob(), "shared-request-id"));
  EXPECT_TRUE(
      IsInvalidArgument(other_job.status, "REQUEST_ID_REUSED", "request_id"))
      << "t2's own earlier use of the request_id";

  EXPECT_EQ(t1().ListAllJobs().size(), 1u);
  EXPECT_EQ(t2().ListAllJobs().size(), 1u);
}

}  // namespace
}  // namespace test
}  // namespace jobcontrol
