// ICE actions whose outcome depends on the scheduler, over the real ICE gateway
// of a TestServer, with the test playing the worker over the real
// WorkerService:
// - CancelDNAJob of a job that is no longer queued is
//   PermissionDenied.JobInRunning / JobInComplete / JobInFailure (403), and the
//   job is unchanged; of an editing job it is ResourceNotFound (404), and the
//   job stays queued;
// - UpdatePipeline Status=Paused holds the pipeline's jobs queued (no lease),
//   and Status=Active releases them;
// - ListPipelines over more pipelines than one page of the service holds.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/gateway/form_decoding.h"
#include "server/gateway/ice_signature_v1.h"
#include "server/gateway/percent_encoding.h"
#include "tests/test_server.h"

namespace jobcontrol {
namespace test {
namespace {

// One HTTP/1.1 exchange on a fresh connection (Connection: close); the raw
// answer.
std::string HttpExchange(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) ==
          0 &&
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char chunk[4096];
    ssize_t n;
    while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0) answer.append(chunk, n);
  }
  close(fd);
  return answer;
}

// A GET request signed with signature V1 as tenant 1's admin credential.
std::string SignedIceGet(const std::string& action, gateway::ParamList params) {
  static int nonce = 0;
  params.emplace_back("Action", action);
  params.emplace_back("Version", "2020-11-09");
  params.emplace_back("Format", "JSON");
  params.emplace_back("AccessKeyId", "AK_T1_ADMIN");
  params.emplace_back("SignatureMethod", "HMAC-SHA1");
  params.emplace_back("SignatureVersion", "1.0");
  params.emplace_back("SignatureNonce",
                      absl::StrCat("cancel-refusal-", ++nonce, "-",
                                   absl::ToUnixNanos(absl::Now())));
  params.emplace_back(
      "Timestamp",
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()));
  const std::string signature = gateway::IceV1Signature(
      "secret-of-AK_T1_ADMIN", gateway::IceV1StringToSign("GET", params));
  std::string query = gateway::IceV1CanonicalizedQuery(params);
  absl::StrAppend(&query, "&Signature=", gateway::AcsPercentEncode(signature));
  return absl::StrCat(
      "GET /?", query,
      " HTTP/1.1\r\nHost: ice.test\r\nConnection: close\r\n\r\n");
}

class IceSchedulerTest : public ServerTest {
 protected:
  // Leases `job_id` as a worker would, then leaves it RUNNING, completes it
  // (SUCCEEDED) or fails it for good (FAILED).
  void MoveJobTo(const std::string& job_id, v1::Job::State state) {
    v1::LeaseJobRequest lease_request;
    lease_request.set_worker_id("ice-test-worker");
    const Reply<v1::LeaseJobResponse> leased = t1().LeaseJob(lease_request);
    ASSERT_TRUE(IsOk(leased.status)) << "LeaseJob";
    ASSERT_EQ(leased.response.job().id(), job_id);
    const v1::Lease& lease = leased.response.lease();
    if (state == v1::Job::SUCCEEDED) {
      v1::CompleteJobRequest complete;
      complete.set_job_id(job_id);
      complete.set_lease_id(lease.lease_id());
      complete.mutable_result()->set_output_uri("oss://bucket/out/dna.json");
      ASSERT_TRUE(IsOk(t1().CompleteJob(complete).status)) << "CompleteJob";
    } else if (state == v1::Job::FAILED) {
      v1::FailJobRequest fail;
      fail.set_job_id(job_id);
      fail.set_lease_id(lease.lease_id());
      fail.mutable_error()->set_code(13);  // INTERNAL
      fail.mutable_error()->set_message("worker failed");
      fail.set_retryable(false);
      ASSERT_TRUE(IsOk(t1().FailJob(fail).status)) << "FailJob";
    }
  }

  void ExpectCancelRefused(v1::Job::State state, const std::string& code,
                           const std::string& ice_status) {
    const v1::Job job = MustSubmit(ValidDnaJob());
    MoveJobTo(job.id(), state);
    const int port = test_server().server().http_port();
    const std::string answer =
        HttpExchange(port, SignedIceGet("CancelDNAJob", {{"JobId", job.id()}}));
    EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 403 ")) << answer;
    EXPECT_TRUE(
        absl::StrContains(answer, absl::StrCat("\"Code\":\"", code, "\"")))
        << answer;
    EXPECT_TRUE(absl::StrContains(answer, job.id())) << answer;
    // Nothing changed: same state over gRPC and over ICE.
    const Reply<v1::Job> after = t1().GetJob(job.id());
    ASSERT_TRUE(IsOk(after.status));
    EXPECT_EQ(after.response.state(), state);
    const std::string query = HttpExchange(
        port, SignedIceGet("QueryDNAJobList", {{"JobIds", job.id()}}));
    EXPECT_TRUE(absl::StartsWith(query, "HTTP/1.1 200 ")) << query;
    EXPECT_TRUE(absl::StrContains(
        query, absl::StrCat("\"Status\":\"", ice_status, "\"")))
        << query;
  }
};

TEST_F(IceSchedulerTest, RunningJobIsJobInRunning) {
  ExpectCancelRefused(v1::Job::RUNNING, "PermissionDenied.JobInRunning",
                      "Analysing");
}

TEST_F(IceSchedulerTest, SucceededJobIsJobInComplete) {
  ExpectCancelRefused(v1::Job::SUCCEEDED, "PermissionDenied.JobInComplete",
                      "Success");
}

TEST_F(IceSchedulerTest, FailedJobIsJobInFailure) {
  ExpectCancelRefused(v1::Job::FAILED, "PermissionDenied.JobInFailure", "Fail");
}

TEST_F(IceSchedulerTest, QueuedJobIsCanceled) {
  const v1::Job job = MustSubmit(ValidDnaJob());
  const std::string answer =
      HttpExchange(test_server().server().http_port(),
                   SignedIceGet("CancelDNAJob", {{"JobId", job.id()}}));
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 200 ")) << answer;
  EXPECT_EQ(t1().GetJob(job.id()).response.state(), v1::Job::CANCELED);
}

TEST_F(IceSchedulerTest, EditingJobIsUnknownToCancelDnaJobAndStaysQueued) {
  const v1::Job job = MustSubmit(ValidEditingJob());
  const std::string answer =
      HttpExchange(test_server().server().http_port(),
                   SignedIceGet("CancelDNAJob", {{"JobId", job.id()}}));
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 404 ")) << answer;
  EXPECT_TRUE(absl::StrContains(
      answer, "\"Code\":\"InvalidParameter.ResourceNotFound\""))
      << answer;
  const Reply<v1::Job> after = t1().GetJob(job.id());
  ASSERT_TRUE(IsOk(after.status));
  EXPECT_TRUE(ProtoEquals(job, after.response)) << "the job was changed";
}

TEST_F(IceSchedulerTest, PausedPipelineHoldsItsJobsUntilActiveAgain) {
  const v1::Pipeline pipeline = MustCreatePipeline("ice-paused");
  const int port = test_server().server().http_port();
  const std::string paused = HttpExchange(
      port, SignedIceGet("UpdatePipeline", {{"PipelineId", pipeline.id()},
                                            {"Status", "Paused"}}));
  ASSERT_TRUE(absl::StartsWith(paused, "HTTP/1.1 200 ")) << paused;
  v1::Job job = ValidDnaJob();
  job.set_pipeline_id(pipeline.id());
  const v1::Job submitted = MustSubmit(job);

  v1::LeaseJobRequest lease_request;
  lease_request.set_worker_id("ice-test-worker");
  Reply<v1::LeaseJobResponse> held = t1().LeaseJob(lease_request);
  ASSERT_TRUE(IsOk(held.status)) << "LeaseJob";
  EXPECT_FALSE(held.response.has_job()) << "leased from a paused pipeline";
  EXPECT_EQ(t1().GetJob(submitted.id()).response.state(), v1::Job::QUEUED);

  const std::string active = HttpExchange(
      port, SignedIceGet("UpdatePipeline", {{"PipelineId", pipeline.id()},
                                            {"Status", "Active"}}));
  ASSERT_TRUE(absl::StartsWith(active, "HTTP/1.1 200 ")) << active;
  Reply<v1::LeaseJobResponse> released = t1().LeaseJob(lease_request);
  ASSERT_TRUE(IsOk(released.status)) << "LeaseJob";
  EXPECT_EQ(released.response.job().id(), submitted.id());
}

// ListPipelines reads the service's pages (at most 1,000 pipelines each) one
// after another, from the completion of the one before: every pipeline of
// the tenant is in the answer, each once.
TEST_F(IceSchedulerTest, ListPipelinesAnswersWithEveryPage) {
  constexpr int kCreated = 1001;
  for (int i = 0; i < kCreated; ++i) {
    MustCreatePipeline(absl::StrCat("ice-page-", i));
  }
  v1::ListPipelinesRequest first_page;
  first_page.set_page_size(1000);
  const Reply<v1::ListPipelinesResponse> direct =
      t1().ListPipelines(first_page);
  ASSERT_TRUE(IsOk(direct.status));
  ASSERT_FALSE(direct.response.next_page_token().empty())
      << "the pipelines fit one page: nothing tested";

  const std::string answer = HttpExchange(test_server().server().http_port(),
                                          SignedIceGet("ListPipelines", {}));
  ASSERT_TRUE(absl::StartsWith(answer, "HTTP/1.1 200 "))
      << answer.substr(0, 300);
  for (int i = 0; i < kCreated; ++i) {
    const std::string name = absl::StrCat("\"Name\":\"ice-page-", i, "\"");
    EXPECT_TRUE(absl::StrContains(answer, name)) << name;
    EXPECT_EQ(answer.find(name), answer.rfind(name)) << name << " twice";
  }
}

}  // namespace
}  // namespace test
}  // namespace jobcontrol
