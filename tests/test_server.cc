#include "tests/test_server.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "jobcontrol/config/credentials.pb.h"

namespace jobcontrol {
namespace test {
namespace {

constexpr absl::Duration kCallDeadline = absl::Seconds(30);
constexpr char kErrorDomain[] = "jobcontrol.v1";

struct CredentialSpec {
  Caller caller;
  const char* access_key_id;
  const char* tenant;
  std::vector<std::string> allowed_actions;
};

const std::vector<CredentialSpec>& CredentialSpecs() {
  static const auto* specs = new std::vector<CredentialSpec>{
      {Caller::kTenant1, "AK_T1_ADMIN", kTenant1, {"*"}},
      {Caller::kTenant2, "AK_T2_ADMIN", kTenant2, {"*"}},
      {Caller::kTenant1ReadOnly,
       "AK_T1_READONLY",
       kTenant1,
       {"jobcontrol.jobs.get", "jobcontrol.jobs.list",
        "jobcontrol.pipelines.get", "jobcontrol.pipelines.list"}},
      {Caller::kTenant1JobsOnly, "AK_T1_JOBS", kTenant1, {"jobcontrol.jobs.*"}},
  };
  return *specs;
}

std::string CredentialsTextproto() {
  config::CredentialsFile file;
  for (const CredentialSpec& spec : CredentialSpecs()) {
    config::Credential* credential = file.add_credentials();
    credential->set_access_key_id(spec.access_key_id);
    credential->set_access_key_secret(
        absl::StrCat("secret-of-", spec.access_key_id));
    credential->set_bearer_token(BearerTokenOf(spec.caller));
    credential->set_tenant(spec.tenant);
    for (const std::string& action : spec.allowed_actions) {
      credential->add_allowed_actions(action);
    }
  }
  std::string text;
  google::protobuf::TextFormat::PrintToString(file, &text);
  return text;
}

absl::Status WriteFileMode0600(const std::string& path,
                               const std::string& content) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n =
        write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return absl::InternalError(
          absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
    }
    written += static_cast<size_t>(n);
  }
  // The umask may have narrowed the mode, never widened it; make it exact.
  if (fchmod(fd, 0600) != 0 || close(fd) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot finish ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

std::string TempRoot() {
  const char* dir = getenv("TEST_TMPDIR");  // set by Bazel
  if (dir == nullptr || *dir == '\0') dir = getenv("TMPDIR");
  if (dir == nullptr || *dir == '\0') dir = "/tmp";
  return dir;
}

template <typename Response>
Reply<Response> Finish(const grpc::Status& status, Response response) {
  Reply<Response> reply;
  reply.status = status;
  reply.response = std::move(response);
  return reply;
}

}  // namespace

std::string BearerTokenOf(Caller caller) {
  switch (caller) {
    case Caller::kTenant1:
      return "t1-admin-token-0123456789abcdef";
    case Caller::kTenant2:
      return "t2-admin-token-0123456789abcdef";
    case Caller::kTenant1ReadOnly:
      return "t1-readonly-token-0123456789abcdef";
    case Caller::kTenant1JobsOnly:
      return "t1-jobs-only-token-0123456789abcdef";
  }
  return "";
}

// --- ApiCaller

ApiCaller::ApiCaller(const std::shared_ptr<grpc::Channel>& channel,
                     std::optional<std::string> authorization)
    : authorization_(std::move(authorization)),
      jobs_(v1::JobService::NewStub(channel)),
      pipelines_(v1::PipelineService::NewStub(channel)),
      workers_(v1::WorkerService::NewStub(channel)) {}

void ApiCaller::Prepare(grpc::ClientContext* context) const {
  Prepare(context, kCallDeadline);
}

void ApiCaller::Prepare(grpc::ClientContext* context,
                        absl::Duration call_deadline) const {
  context->set_deadline(absl::ToChronoTime(absl::Now() + call_deadline));
  if (authorization_.has_value()) {
    context->AddMetadata("authorization", *authorization_);
  }
}

Reply<v1::Job> ApiCaller::SubmitJob(const v1::SubmitJobRequest& request) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::Job response;
  grpc::Status status = jobs_->SubmitJob(&context, request, &response);
  return Finish(status, std::move(response));
}

Reply<v1::Job> ApiCaller::SubmitJob(const v1::Job& job) {
  return SubmitJob(SubmitRequest(job));
}

Reply<v1::Job> ApiCaller::GetJob(const std::string& job_id) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::GetJobRequest request;
  request.set_job_id(job_id);
  v1::Job response;
  grpc::Status status = jobs_->GetJob(&context, request, &response);
  return Finish(status, std::move(response));
}

Reply<v1::ListJobsResponse> ApiCaller::ListJobs(
    const v1::ListJobsRequest& request) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::ListJobsResponse response;
  grpc::Status status = jobs_->ListJobs(&context, request, &response);
  return Finish(status, std::move(response));
}

Reply<v1::Job> ApiCaller::CancelJob(const std::string& job_id) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::CancelJobRequest request;
  request.set_job_id(job_id);
  v1::Job response;
  grpc::Status status = jobs_->CancelJob(&context, request, &response);
  return Finish(status, std::move(response));
}

Reply<v1::Job> ApiCaller::CancelJob(const v1::CancelJobRequest& request) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::Job response;
  grpc::Status status = jobs_->CancelJob(&context, request, &response);
  return Finish(status, std::move(response));
}

Reply<v1::Job> ApiCaller::WaitJob(const v1::WaitJobRequest& request,
                                  absl::Duration call_deadline) {
  grpc::ClientContext context;
  Prepare(&context, call_deadline);
  v1::Job response;
  grpc::Status status = jobs_->WaitJob(&context, request, &response);
  return Finish(status, std::move(response));
}

std::unique_ptr<JobWatch> ApiCaller::WatchJob(
    const v1::WatchJobRequest& request, absl::Duration call_deadline) {
  auto watch = std::make_unique<JobWatch>();
  Prepare(&watch->context_, call_deadline);
  watch->reader_ = jobs_->WatchJob(&watch->context_, request);
  return watch;
}

WatchOutcome ApiCaller::WatchJobToEnd(const v1::WatchJobRequest& request,
                                      absl::Duration call_deadline) {
  std::unique_ptr<JobWatch> watch = WatchJob(request, call_deadline);
  WatchOutcome outcome;
  v1::Job job;
  while (watch->Read(&job)) outcome.jobs.push_back(job);
  outcome.status = watch->Finish();
  return outcome;
}

Reply<v1::LeaseJobResponse> ApiCaller::LeaseJob(
    const v1::LeaseJobRequest& request,
    std::optional<absl::Duration> call_deadline) {
  grpc::ClientContext context;
  Prepare(&context,
          call_deadline.value_or(
              absl::Seconds(request.wait_timeout().seconds()) + kCallDeadline));
  v1::LeaseJobResponse response;
  grpc::Status status = workers_->LeaseJob(&context, request, &response);
  return Finish(status, std::move(response));
}

Reply<v1::RenewLeaseResponse> ApiCaller::RenewLease(
    const std::string& job_id, const std::string& lease_id) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::RenewLeaseRequest request;
  request.set_job_id(job_id);
  request.set_lease_id(lease_id);
  v1::RenewLeaseResponse response;
  grpc::Status status = workers_->RenewLease(&context, request, &response);
  return Finish(status, std::move(response));
}

Reply<v1::Job> ApiCaller::CompleteJob(const v1::CompleteJobRequest& request) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::Job response;
  grpc::Status status = workers_->CompleteJob(&context, request, &response);
  return Finish(status, std::move(response));
}

Reply<v1::Job> ApiCaller::FailJob(const v1::FailJobRequest& request) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::Job response;
  grpc::Status status = workers_->FailJob(&context, request, &response);
  return Finish(status, std::move(response));
}

Reply<v1::Job> ApiCaller::AcknowledgeCancel(const std::string& job_id,
                                            const std::string& lease_id) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::AcknowledgeCancelRequest request;
  request.set_job_id(job_id);
  request.set_lease_id(lease_id);
  v1::Job response;
  grpc::Status status =
      workers_->AcknowledgeCancel(&context, request, &response);
  return Finish(status, std::move(response));
}

// --- JobWatch

JobWatch::~JobWatch() {
  if (reader_ != nullptr && !finished_) {
    context_.TryCancel();
    reader_->Finish();
  }
}

bool JobWatch::Read(v1::Job* job) { return reader_->Read(job); }

grpc::Status JobWatch::Finish() {
  finished_ = true;
  return reader_->Finish();
}

void JobWatch::Cancel() { context_.TryCancel(); }

Reply<v1::Pipeline> ApiCaller::CreatePipeline(const v1::Pipeline& pipeline) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::CreatePipelineRequest request;
  *request.mutable_pipeline() = pipeline;
  v1::Pipeline response;
  grpc::Status status =
      pipelines_->CreatePipeline(&context, request, &response);
  return Finish(status, std::move(response));
}

Reply<v1::Pipeline> ApiCaller::GetPipeline(const std::string& pipeline_id) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::GetPipelineRequest request;
  request.set_pipeline_id(pipeline_id);
  v1::Pipeline response;
  grpc::Status status = pipelines_->GetPipeline(&context, request, &response);
  return Finish(status, std::move(response));
}

Reply<v1::ListPipelinesResponse> ApiCaller::ListPipelines(
    const v1::ListPipelinesRequest& request) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::ListPipelinesResponse response;
  grpc::Status status = pipelines_->ListPipelines(&context, request, &response);
  return Finish(status, std::move(response));
}

Reply<v1::Pipeline> ApiCaller::UpdatePipeline(
    const v1::UpdatePipelineRequest& request) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::Pipeline response;
  grpc::Status status =
      pipelines_->UpdatePipeline(&context, request, &response);
  return Finish(status, std::move(response));
}

Reply<google::protobuf::Empty> ApiCaller::DeletePipeline(
    const std::string& pipeline_id) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::DeletePipelineRequest request;
  request.set_pipeline_id(pipeline_id);
  google::protobuf::Empty response;
  grpc::Status status =
      pipelines_->DeletePipeline(&context, request, &response);
  return Finish(status, std::move(response));
}

std::vector<v1::Job> ApiCaller::ListAllJobs(const v1::JobFilter& filter) {
  std::vector<v1::Job> jobs;
  v1::ListJobsRequest request;
  request.set_page_size(1000);
  *request.mutable_filter() = filter;
  // A bound on pages keeps a server that never ends a listing from hanging
  // the test.
  for (int page = 0; page < 1000; ++page) {
    Reply<v1::ListJobsResponse> reply = ListJobs(request);
    if (!reply.ok()) {
      ADD_FAILURE() << "ListJobs failed: " << Describe(reply.status);
      return jobs;
    }
    for (const v1::Job& job : reply.response.jobs()) jobs.push_back(job);
    if (reply.response.next_page_token().empty()) return jobs;
    request.set_page_token(reply.response.next_page_token());
  }
  ADD_FAILURE() << "ListJobs did not end after 1000 pages";
  return jobs;
}

std::vector<v1::Pipeline> ApiCaller::ListAllPipelines() {
  std::vector<v1::Pipeline> pipelines;
  v1::ListPipelinesRequest request;
  request.set_page_size(1000);
  for (int page = 0; page < 1000; ++page) {
    Reply<v1::ListPipelinesResponse> reply = ListPipelines(request);
    if (!reply.ok()) {
      ADD_FAILURE() << "ListPipelines failed: " << Describe(reply.status);
      return pipelines;
    }
    for (const v1::Pipeline& p : reply.response.pipelines()) {
      pipelines.push_back(p);
    }
    if (reply.response.next_page_token().empty()) return pipelines;
    request.set_page_token(reply.response.next_page_token());
  }
  ADD_FAILURE() << "ListPipelines did not end after 1000 pages";
  return pipelines;
}

v1::Pipeline ApiCaller::DefaultPipeline() {
  v1::Pipeline found;
  int defaults = 0;
  for (const v1::Pipeline& p : ListAllPipelines()) {
    if (p.is_default()) {
      found = p;
      ++defaults;
    }
  }
  EXPECT_EQ(defaults, 1) << "pipelines with is_default";
  return found;
}

// --- TestServer

absl::StatusOr<std::unique_ptr<TestServer>> TestServer::Start() {
  std::unique_ptr<TestServer> test_server(new TestServer());
  std::string pattern = TempRoot() + "/jobcontrol_test.XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("mkdtemp ", pattern, " failed: ", std::strerror(errno)));
  }
  test_server->root_dir_ = pattern;
  test_server->data_dir_ = pattern + "/data";
  test_server->credentials_path_ = pattern + "/credentials.textproto";
  if (auto s = WriteFileMode0600(test_server->credentials_path_,
                                 CredentialsTextproto());
      !s.ok()) {
    return s;
  }
  if (auto s = test_server->StartServer(); !s.ok()) return s;
  return test_server;
}

absl::Status TestServer::StartServer() {
  ServerOptions options;
  options.grpc_listen = "127.0.0.1:0";
  options.http_listen = "127.0.0.1:0";
  options.data_dir = data_dir_;
  options.credentials_path = credentials_path_;
  auto server = JobControlServer::Start(options);
  if (!server.ok()) return server.status();
  server_ = *std::move(server);
  if (server_->grpc_port() <= 0) {
    return absl::InternalError(
        absl::StrCat("server reports port ", server_->grpc_port()));
  }
  channel_ = grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
  return absl::OkStatus();
}

TestServer::~TestServer() {
  callers_.clear();
  clients_.clear();
  channel_.reset();
  if (server_ != nullptr) {
    server_->Drain(absl::Seconds(5));
    server_.reset();
  }
  if (!root_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(root_dir_, ignored);
  }
}

absl::Status TestServer::Restart() {
  callers_.clear();
  clients_.clear();
  channel_.reset();
  server_->Drain(absl::Seconds(5));
  server_.reset();
  return StartServer();
}

int TestServer::port() const { return server_->grpc_port(); }

std::string TestServer::address() const {
  return absl::StrCat("127.0.0.1:", port());
}

ApiCaller& TestServer::api(Caller caller) {
  std::unique_ptr<ApiCaller>& slot = callers_[caller];
  if (slot == nullptr) {
    slot = std::make_unique<ApiCaller>(
        channel_, absl::StrCat("Bearer ", BearerTokenOf(caller)));
  }
  return *slot;
}

ApiCaller TestServer::CallerWithAuthorization(
    std::optional<std::string> authorization) {
  return ApiCaller(channel_, std::move(authorization));
}

JobControlClient& TestServer::client(Caller caller) {
  std::unique_ptr<JobControlClient>& slot = clients_[caller];
  if (slot == nullptr) {
    ClientOptions options;
    options.server = address();
    options.bearer_token = BearerTokenOf(caller);
    slot = std::make_unique<JobControlClient>(options);
  }
  return *slot;
}

// --- Error details

std::optional<google::rpc::ErrorInfo> ErrorInfoOf(const grpc::Status& status) {
  google::rpc::Status details;
  if (status.error_details().empty() ||
      !details.ParseFromString(status.error_details())) {
    return std::nullopt;
  }
  for (const google::protobuf::Any& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.Is<google::rpc::ErrorInfo>() && any.UnpackTo(&info)) return info;
  }
  return std::nullopt;
}

std::string ErrorFieldOf(const grpc::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  if (!info.has_value()) return "";
  auto it = info->metadata().find("field");
  return it == info->metadata().end() ? "" : it->second;
}

std::string Describe(const grpc::Status& status) {
  if (status.ok()) return "OK";
  // gRPC's status codes are numerically absl's.
  std::string text =
      absl::StrCat(absl::StatusCodeToString(
                       static_cast<absl::StatusCode>(status.error_code())),
                   ": \"", status.error_message(), "\"");
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  if (info.has_value()) {
    absl::StrAppend(&text, " [domain=", info->domain(),
                    ", reason=", info->reason());
    for (const auto& [key, value] : info->metadata()) {
      absl::StrAppend(&text, ", ", key, "=", value);
    }
    absl::StrAppend(&text, "]");
  } else {
    absl::StrAppend(&text, " [no ErrorInfo]");
  }
  return text;
}

::testing::AssertionResult IsRpcError(const grpc::Status& status,
                                      grpc::StatusCode code,
                                      absl::string_view reason,
                                      std::optional<std::string> field) {
  const std::string want = absl::StrCat(
      "want ", absl::StatusCodeToString(static_cast<absl::StatusCode>(code)),
      " reason ", reason,
      field.has_value() ? absl::StrCat(" field ", *field) : "", "; got ",
      Describe(status));
  if (status.error_code() != code) {
    return ::testing::AssertionFailure() << "wrong code: " << want;
  }
  if (status.error_message().empty()) {
    return ::testing::AssertionFailure() << "empty message: " << want;
  }
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) {
    return ::testing::AssertionFailure()
           << "error_details is not a google.rpc.Status: " << want;
  }
  if (details.code() != static_cast<int>(code)) {
    return ::testing::AssertionFailure()
           << "google.rpc.Status.code is " << details.code() << ": " << want;
  }
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  if (!info.has_value()) {
    return ::testing::AssertionFailure() << "no ErrorInfo: " << want;
  }
  if (info->domain() != kErrorDomain) {
    return ::testing::AssertionFailure() << "wrong domain: " << want;
  }
  if (info->reason() != reason) {
    return ::testing::AssertionFailure() << "wrong reason: " << want;
  }
  if (field.has_value() && ErrorFieldOf(status) != *field) {
    return ::testing::AssertionFailure() << "wrong field: " << want;
  }
  // design.md §3: the message names the field at fault.
  if (field.has_value() &&
      status.error_message().find(*field) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "message does not name the field: " << want;
  }
  return ::testing::AssertionSuccess() << Describe(status);
}

::testing::AssertionResult IsInvalidArgument(const grpc::Status& status,
                                             absl::string_view reason,
                                             std::optional<std::string> field) {
  return IsRpcError(status, grpc::StatusCode::INVALID_ARGUMENT, reason,
                    std::move(field));
}

::testing::AssertionResult ProtoEquals(
    const google::protobuf::Message& expected,
    const google::protobuf::Message& actual) {
  google::protobuf::util::MessageDifferencer differencer;
  std::string differences;
  differencer.ReportDifferencesToString(&differences);
  if (differencer.Compare(expected, actual)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "messages differ:\n" << differences;
}

bool IsWellFormedId(absl::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::Time ToTime(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) +
         absl::Nanoseconds(timestamp.nanos());
}

::testing::AssertionResult IsOk(const grpc::Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << Describe(status);
}

// --- Requests

v1::Job ValidDnaJob() {
  v1::Job job;
  v1::DnaAnalysisSpec* spec = job.mutable_dna_analysis();
  spec->set_db_id("db-1");
  spec->set_primary_key("video-0001");
  spec->mutable_input()->set_uri("oss://bucket/in/a.mp4");
  spec->mutable_input()->set_region("cn-shanghai");
  spec->set_config_json(R"({"SaveType":"save","MediaType":"video"})");
  spec->set_template_id("template-1");
  return job;
}

v1::Job ValidEditingJob() {
  v1::Job job;
  v1::EditingSpec* spec = job.mutable_editing();
  v1::EditingInput* first = spec->add_inputs();
  first->mutable_media()->set_uri("obs://bucket/in/a.mp4");
  first->mutable_timeline_start()->set_seconds(1);
  first->mutable_timeline_end()->set_seconds(5);
  first->mutable_timeline_end()->set_nanos(500000000);
  v1::EditingInput* second = spec->add_inputs();
  second->mutable_media()->set_media_id("asset_42.v2");
  spec->mutable_output()->set_uri("obs://bucket/out/");
  spec->mutable_output()->set_file_name("joined.mp4");
  (*spec->mutable_settings())["resolution_adaptation"] = "OPEN";
  return job;
}

v1::SubmitJobRequest SubmitRequest(const v1::Job& job,
                                   const std::string& request_id) {
  v1::SubmitJobRequest request;
  *request.mutable_job() = job;
  request.set_request_id(request_id);
  return request;
}

v1::Pipeline NamedPipeline(const std::string& name) {
  v1::Pipeline pipeline;
  pipeline.set_name(name);
  return pipeline;
}

// --- ServerTest

void ServerTest::SetUp() {
  auto started = TestServer::Start();
  ASSERT_TRUE(started.ok()) << "cannot start the server: " << started.status();
  test_server_ = *std::move(started);
}

void ServerTest::TearDown() { test_server_.reset(); }

v1::Job ServerTest::MustSubmit(const v1::Job& job, ApiCaller* caller) {
  if (caller == nullptr) caller = &t1();
  Reply<v1::Job> reply = caller->SubmitJob(job);
  EXPECT_TRUE(IsOk(reply.status)) << "SubmitJob";
  return reply.response;
}

v1::Pipeline ServerTest::MustCreatePipeline(const std::string& name,
                                            ApiCaller* caller) {
  if (caller == nullptr) caller = &t1();
  Reply<v1::Pipeline> reply = caller->CreatePipeline(NamedPipeline(name));
  EXPECT_TRUE(IsOk(reply.status)) << "CreatePipeline " << name;
  return reply.response;
}

}  // namespace test
}  // namespace jobcontrol
