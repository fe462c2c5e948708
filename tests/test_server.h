// Test support for the gRPC integration tests: a real JobControlServer on
// 127.0.0.1:0 over a real SQLite file in a fresh temporary directory, known
// credentials, and callers that expose the raw grpc::Status of every RPC so
// tests can check the code and the google.rpc.ErrorInfo it carries.
//
// Nothing here is shared between tests: every TestServer has its own data
// directory, removed when it is destroyed.
#ifndef JOBCONTROL_TESTS_TEST_SERVER_H_
#define JOBCONTROL_TESTS_TEST_SERVER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/jobcontrol_client.h"
#include "google/protobuf/empty.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/rpc/error_details.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "grpcpp/support/sync_stream.h"
#include "gtest/gtest.h"
#include "jobcontrol/v1/job_service.grpc.pb.h"
#include "jobcontrol/v1/pipeline_service.grpc.pb.h"
#include "jobcontrol/v1/worker_service.grpc.pb.h"
#include "server/jobcontrol_server.h"

namespace jobcontrol {
namespace test {

// The credentials every TestServer accepts.
enum class Caller {
  kTenant1,          // tenant "t1", allowed_actions "*"
  kTenant2,          // tenant "t2", allowed_actions "*"
  kTenant1ReadOnly,  // tenant "t1": get and list of jobs and pipelines only
  kTenant1JobsOnly,  // tenant "t1": "jobcontrol.jobs.*"
};

inline constexpr char kTenant1[] = "t1";
inline constexpr char kTenant2[] = "t2";

// The bearer token of `caller` in the credentials file TestServer writes.
std::string BearerTokenOf(Caller caller);

// What an RPC returned: its status and, when OK, its response.
template <typename Response>
struct Reply {
  grpc::Status status;
  Response response;
  bool ok() const { return status.ok(); }
};

// An open WatchJob stream, read message by message. Not thread-safe.
class JobWatch {
 public:
  JobWatch() = default;
  // Cancels the call if it was not finished.
  ~JobWatch();
  JobWatch(const JobWatch&) = delete;
  JobWatch& operator=(const JobWatch&) = delete;

  // The next job of the stream; false when the stream ended (then call
  // Finish()).
  bool Read(v1::Job* job);
  // The stream's final status; only after Read() returned false (or after
  // Cancel()).
  grpc::Status Finish();
  // Cancels the call (the client goes away).
  void Cancel();

 private:
  friend class ApiCaller;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::Job>> reader_;
  bool finished_ = false;
};

// Everything a WatchJob stream yielded, and how it ended.
struct WatchOutcome {
  std::vector<v1::Job> jobs;
  grpc::Status status;
};

// Calls JobService, PipelineService and WorkerService through the generated
// stubs, sending a fixed `authorization` metadata value (none at all when it
// is nullopt). Every call has a 30 s deadline unless said otherwise.
// Thread-safe.
class ApiCaller {
 public:
  ApiCaller(const std::shared_ptr<grpc::Channel>& channel,
            std::optional<std::string> authorization);
  ApiCaller(ApiCaller&&) = default;
  ApiCaller& operator=(ApiCaller&&) = default;

  Reply<v1::Job> SubmitJob(const v1::SubmitJobRequest& request);
  // Shorthand: submits `job` with no request_id.
  Reply<v1::Job> SubmitJob(const v1::Job& job);
  Reply<v1::Job> GetJob(const std::string& job_id);
  Reply<v1::ListJobsResponse> ListJobs(const v1::ListJobsRequest& request);
  Reply<v1::Job> CancelJob(const std::string& job_id);
  Reply<v1::Job> CancelJob(const v1::CancelJobRequest& request);
  // Deadline: `call_deadline` from now.
  Reply<v1::Job> WaitJob(const v1::WaitJobRequest& request,
                         absl::Duration call_deadline = absl::Seconds(30));
  // Opens a WatchJob stream with a deadline `call_deadline` from now.
  std::unique_ptr<JobWatch> WatchJob(
      const v1::WatchJobRequest& request,
      absl::Duration call_deadline = absl::Seconds(60));
  // Reads a WatchJob stream to its end.
  WatchOutcome WatchJobToEnd(const v1::WatchJobRequest& request,
                             absl::Duration call_deadline = absl::Seconds(60));

  // Deadline: the request's wait_timeout plus 30 s, unless given.
  Reply<v1::LeaseJobResponse> LeaseJob(
      const v1::LeaseJobRequest& request,
      std::optional<absl::Duration> call_deadline = std::nullopt);
  Reply<v1::RenewLeaseResponse> RenewLease(const std::string& job_id,
                                           const std::string& lease_id);
  Reply<v1::Job> CompleteJob(const v1::CompleteJobRequest& request);
  Reply<v1::Job> FailJob(const v1::FailJobRequest& request);
  Reply<v1::Job> AcknowledgeCancel(const std::string& job_id,
                                   const std::string& lease_id);

  Reply<v1::Pipeline> CreatePipeline(const v1::Pipeline& pipeline);
  Reply<v1::Pipeline> GetPipeline(const std::string& pipeline_id);
  Reply<v1::ListPipelinesResponse> ListPipelines(
      const v1::ListPipelinesRequest& request);
  Reply<v1::Pipeline> UpdatePipeline(const v1::UpdatePipelineRequest& request);
  Reply<google::protobuf::Empty> DeletePipeline(const std::string& pipeline_id);

  // Every job matching `filter`, following page tokens (page size 1000).
  // Fails the current test (and returns what it has) on an RPC error.
  std::vector<v1::Job> ListAllJobs(const v1::JobFilter& filter = {});
  // Every pipeline of the caller's tenant, following page tokens.
  std::vector<v1::Pipeline> ListAllPipelines();
  // The tenant's default pipeline (fails the test if there is not exactly
  // one pipeline with is_default).
  v1::Pipeline DefaultPipeline();

 private:
  void Prepare(grpc::ClientContext* context) const;
  void Prepare(grpc::ClientContext* context,
               absl::Duration call_deadline) const;

  std::optional<std::string> authorization_;
  std::unique_ptr<v1::JobService::Stub> jobs_;
  std::unique_ptr<v1::PipelineService::Stub> pipelines_;
  std::unique_ptr<v1::WorkerService::Stub> workers_;
};

// A JobControlServer started for one test, on a fresh data directory.
class TestServer {
 public:
  // Creates the temporary directory, writes the credentials file (mode
  // 0600, text format of jobcontrol.config.CredentialsFile) and starts the
  // server on 127.0.0.1:0.
  static absl::StatusOr<std::unique_ptr<TestServer>> Start();
  // Drains the server and removes the temporary directory.
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // Drains the server (in-flight calls get 5 s) and starts a new one on the
  // same data directory and credentials, on a new port. Callers, clients and
  // channels obtained before are invalid afterwards: ask again.
  absl::Status Restart();

  int port() const;
  std::string address() const;  // "127.0.0.1:<port>"
  const std::string& data_dir() const { return data_dir_; }
  const std::string& credentials_path() const { return credentials_path_; }
  JobControlServer& server() { return *server_; }

  // An insecure channel to the server.
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  // Raw-stub caller authenticated as `caller` (Bearer token). Valid until
  // Restart() or destruction.
  ApiCaller& api(Caller caller);
  // A caller sending `authorization` verbatim, or no authorization metadata
  // when nullopt: for tests of authentication.
  ApiCaller CallerWithAuthorization(std::optional<std::string> authorization);
  // The project's C++ client library authenticated as `caller`. Valid until
  // Restart() or destruction.
  JobControlClient& client(Caller caller);

 private:
  TestServer() = default;
  absl::Status StartServer();

  std::string root_dir_;
  std::string data_dir_;
  std::string credentials_path_;
  std::unique_ptr<JobControlServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::map<Caller, std::unique_ptr<ApiCaller>> callers_;
  std::map<Caller, std::unique_ptr<JobControlClient>> clients_;
};

// The google.rpc.ErrorInfo in the google.rpc.Status of `status`'s
// error_details, or nullopt when there is none or it does not parse.
std::optional<google::rpc::ErrorInfo> ErrorInfoOf(const grpc::Status& status);
// ErrorInfo.metadata["field"], or "" when absent.
std::string ErrorFieldOf(const grpc::Status& status);

// Success iff `status` has `code`, a non-empty message, and error_details
// holding a google.rpc.Status of the same code with an ErrorInfo of domain
// "jobcontrol.v1" and `reason`; when `field` is given, also
// metadata["field"] == *field and the message names it.
::testing::AssertionResult IsRpcError(
    const grpc::Status& status, grpc::StatusCode code, absl::string_view reason,
    std::optional<std::string> field = std::nullopt);
// IsRpcError with code INVALID_ARGUMENT.
::testing::AssertionResult IsInvalidArgument(
    const grpc::Status& status, absl::string_view reason,
    std::optional<std::string> field = std::nullopt);
// Success iff `status` is OK; otherwise says what it was.
::testing::AssertionResult IsOk(const grpc::Status& status);

// Success iff the two messages are equal field by field; otherwise lists the
// differences.
::testing::AssertionResult ProtoEquals(
    const google::protobuf::Message& expected,
    const google::protobuf::Message& actual);

// True iff `id` is 32 lowercase hex characters, the API's ID format.
bool IsWellFormedId(absl::string_view id);

// A google.protobuf.Timestamp as absl::Time.
absl::Time ToTime(const google::protobuf::Timestamp& timestamp);

// "CODE: message [reason=..., field=...]" for failure messages.
std::string Describe(const grpc::Status& status);

// Valid request parts, to be varied by tests.
v1::Job ValidDnaJob();      // dna_analysis with a uri input
v1::Job ValidEditingJob();  // editing with two inputs and an output
v1::SubmitJobRequest SubmitRequest(const v1::Job& job,
                                   const std::string& request_id = "");
v1::Pipeline NamedPipeline(const std::string& name);

// A fixture with a fresh TestServer per test.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  TestServer& test_server() { return *test_server_; }
  ApiCaller& t1() { return test_server_->api(Caller::kTenant1); }
  ApiCaller& t2() { return test_server_->api(Caller::kTenant2); }
  ApiCaller& read_only() { return test_server_->api(Caller::kTenant1ReadOnly); }
  ApiCaller& jobs_only() { return test_server_->api(Caller::kTenant1JobsOnly); }

  // Submits `job` as `caller` (default: t1) and fails the test unless it is
  // accepted.
  v1::Job MustSubmit(const v1::Job& job, ApiCaller* caller = nullptr);
  // Creates a pipeline named `name` as `caller` (default: t1) and fails the
  // test unless it is created.
  v1::Pipeline MustCreatePipeline(const std::string& name,
                                  ApiCaller* caller = nullptr);

 private:
  std::unique_ptr<TestServer> test_server_;
};

}  // namespace test
}  // namespace jobcontrol

#endif  // JOBCONTROL_TESTS_TEST_SERVER_H_
