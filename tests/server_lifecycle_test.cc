// Integration tests of the server object as a whole: durability across a
// restart on the same data directory, grpc.health.v1, draining, start-up
// failures and credentials bootstrap, and server reflection.
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
#include "server/api/job_write_calls.h"
#include "server/store/sqlite/sqlite_connection.h"
#include "tests/test_server.h"

namespace jobcontrol {
namespace test {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

class ServerLifecycleTest : public ServerTest {};

// --- Restart

TEST_F(ServerLifecycleTest, JobsAndPipelinesSurviveRestart) {
  v1::Pipeline paused_in = NamedPipeline("nightly");
  paused_in.set_state(v1::Pipeline::PAUSED);
  paused_in.set_priority(8);
  Reply<v1::Pipeline> paused = t1().CreatePipeline(paused_in);
  ASSERT_TRUE(IsOk(paused.status));
  const v1::Pipeline doomed = MustCreatePipeline("deleted before restart");
  ASSERT_TRUE(IsOk(t1().DeletePipeline(doomed.id()).status));

  const v1::Job queued = MustSubmit(ValidDnaJob());
  v1::Job in_paused = ValidEditingJob();
  in_paused.set_pipeline_id(paused.response.id());
  in_paused.set_user_data("keep me");
  Reply<v1::Job> idempotent =
      t1().SubmitJob(SubmitRequest(in_paused, "before-restart"));
  ASSERT_TRUE(IsOk(idempotent.status));
  const v1::Job to_cancel = MustSubmit(ValidDnaJob());
  ASSERT_TRUE(IsOk(t1().CancelJob(to_cancel.id()).status));
  const v1::Job t2_job = MustSubmit(ValidDnaJob(), &t2());

  const std::vector<v1::Job> jobs_before = t1().ListAllJobs();
  const std::vector<v1::Pipeline> pipelines_before = t1().ListAllPipelines();
  const std::vector<v1::Job> t2_jobs_before = t2().ListAllJobs();
  ASSERT_EQ(jobs_before.size(), 3u);
  ASSERT_EQ(pipelines_before.size(), 2u);  // default + nightly

  ASSERT_TRUE(test_server().Restart().ok());

  const std::vector<v1::Job> jobs_after = t1().ListAllJobs();
  ASSERT_EQ(jobs_after.size(), jobs_before.size());
  for (size_t i = 0; i < jobs_before.size(); ++i) {
    EXPECT_TRUE(ProtoEquals(jobs_before[i], jobs_after[i]));
  }
  const std::vector<v1::Pipeline> pipelines_after = t1().ListAllPipelines();
  ASSERT_EQ(pipelines_after.size(), pipelines_before.size());
  for (size_t i = 0; i < pipelines_before.size(); ++i) {
    EXPECT_TRUE(ProtoEquals(pipelines_before[i], pipelines_after[i]));
  }
  const std::vector<v1::Job> t2_jobs_after = t2().ListAllJobs();
  ASSERT_EQ(t2_jobs_after.size(), 1u);
  EXPECT_TRUE(ProtoEquals(t2_jobs_before[0], t2_jobs_after[0]));

  Reply<v1::Job> canceled = t1().GetJob(to_cancel.id());
  ASSERT_TRUE(IsOk(canceled.status));
  EXPECT_EQ(canceled.response.state(), v1::Job::CANCELED);
  EXPECT_TRUE(IsRpcError(t1().GetPipeline(doomed.id()).status,
                         grpc::StatusCode::NOT_FOUND, "PIPELINE_NOT_FOUND"));

  // The idempotency key outlives the process.
  Reply<v1::Job> retried =
      t1().SubmitJob(SubmitRequest(in_paused, "before-restart"));
  ASSERT_TRUE(IsOk(retried.status));
  EXPECT_EQ(retried.response.id(), idempotent.response.id());
  v1::Job changed = in_paused;
  changed.set_user_data("changed");
  EXPECT_TRUE(IsInvalidArgument(
      t1().SubmitJob(SubmitRequest(changed, "before-restart")).status,
      "REQUEST_ID_REUSED", "request_id"));

  // Still fully usable: new jobs, cancels, no second default pipeline.
  const v1::Job fresh = MustSubmit(ValidDnaJob());
  EXPECT_EQ(fresh.pipeline_id(), queued.pipeline_id());
  for (const v1::Job& job : jobs_before) EXPECT_NE(fresh.id(), job.id());
  Reply<v1::Job> canceled_after = t1().CancelJob(queued.id());
  ASSERT_TRUE(IsOk(canceled_after.status));
  EXPECT_EQ(canceled_after.response.state(), v1::Job::CANCELED);
  EXPECT_EQ(t1().ListAllPipelines().size(), 2u);
}

TEST_F(ServerLifecycleTest, RepeatedRestartsKeepEverything) {
  std::set<std::string> ids;
  for (int round = 0; round < 3; ++round) {
    ids.insert(MustSubmit(ValidDnaJob()).id());
    ASSERT_TRUE(test_server().Restart().ok()) << "round " << round;
  }
  std::set<std::string> listed;
  for (const v1::Job& job : t1().ListAllJobs()) listed.insert(job.id());
  EXPECT_EQ(listed, ids);
}

// --- Health

TEST_F(ServerLifecycleTest, HealthIsServingWithoutAuthorization) {
  std::unique_ptr<Health::Stub> health =
      Health::NewStub(test_server().channel());
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  HealthCheckRequest request;  // service "": the server as a whole
  HealthCheckResponse response;
  grpc::Status status = health->Check(&context, request, &response);
  ASSERT_TRUE(IsOk(status));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
}

TEST_F(ServerLifecycleTest, HealthOfUnknownServiceIsNotFound) {
  std::unique_ptr<Health::Stub> health =
      Health::NewStub(test_server().channel());
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  HealthCheckRequest request;
  request.set_service("no.such.Service");
  HealthCheckResponse response;
  EXPECT_EQ(health->Check(&context, request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServerLifecycleTest, DrainTurnsHealthNotServingThenStopsServing) {
  std::unique_ptr<Health::Stub> health =
      Health::NewStub(test_server().channel());
  grpc::ClientContext watch_context;
  HealthCheckRequest request;
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> watch =
      health->Watch(&watch_context, request);
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  ASSERT_EQ(update.status(), HealthCheckResponse::SERVING);

  // Drain waits for in-flight calls, this watch among them: end the watch
  // once it has reported NOT_SERVING so the drain can finish early.
  std::thread drainer([&] { test_server().server().Drain(absl::Seconds(20)); });
  bool saw_not_serving = false;
  while (watch->Read(&update)) {
    if (update.status() == HealthCheckResponse::NOT_SERVING) {
      saw_not_serving = true;
      break;
    }
  }
  watch_context.TryCancel();
  watch->Finish().IgnoreError();
  drainer.join();
  EXPECT_TRUE(saw_not_serving) << "the watch ended without NOT_SERVING";

  // Drained: no new call is served.
  std::shared_ptr<grpc::Channel> fresh = grpc::CreateChannel(
      test_server().address(), grpc::InsecureChannelCredentials());
  ApiCaller caller(fresh,
                   absl::StrCat("Bearer ", BearerTokenOf(Caller::kTenant1)));
  EXPECT_EQ(caller.ListJobs({}).status.error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

// SubmitJob and CancelJob are asynchronous in the server (JobWriteCalls):
// a drain must still answer every one it accepted, after its commit.
TEST_F(ServerLifecycleTest, DrainAnswersEveryWriteInFlightAndKeepsItsJob) {
  const v1::Job to_cancel = MustSubmit(ValidDnaJob());
  std::mutex mutex;
  std::vector<std::string> submitted;  // answered OK
  std::vector<grpc::Status> refusals;
  std::atomic<int> answered{0};
  std::vector<std::thread> writers;
  for (int i = 0; i < 8; ++i) {
    writers.emplace_back([&] {
      for (;;) {
        Reply<v1::Job> reply = t1().SubmitJob(ValidDnaJob());
        answered.fetch_add(1);
        std::lock_guard<std::mutex> lock(mutex);
        if (!reply.ok()) {
          refusals.push_back(reply.status);
          return;
        }
        submitted.push_back(reply.response.id());
      }
    });
  }
  Reply<v1::Job> canceled;
  std::thread canceler([&] { canceled = t1().CancelJob(to_cancel.id()); });
  while (answered.load() < 200) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  test_server().server().Drain(absl::Seconds(20));
  for (std::thread& writer : writers) writer.join();
  canceler.join();

  // Each writer stopped at its first refusal: UNAVAILABLE once the server
  // stopped taking calls, or CANCELLED for a call that reached it as it shut
  // down, before it was taken (gRPC ends such a call; it never started).
  ASSERT_EQ(refusals.size(), 8u);
  for (const grpc::Status& refusal : refusals) {
    EXPECT_THAT(refusal.error_code(),
                ::testing::AnyOf(grpc::StatusCode::UNAVAILABLE,
                                 grpc::StatusCode::CANCELLED))
        << refusal.error_message();
  }
  ASSERT_TRUE(IsOk(canceled.status));
  EXPECT_EQ(canceled.response.state(), v1::Job::CANCELED);

  // Every answered write is in the store.
  ASSERT_TRUE(test_server().Restart().ok());
  EXPECT_EQ(t1().GetJob(to_cancel.id()).response.state(), v1::Job::CANCELED);
  ASSERT_GE(submitted.size(), 150u);
  for (const std::string& id : submitted) {
    ASSERT_TRUE(IsOk(t1().GetJob(id).status)) << id;
  }
}

TEST_F(ServerLifecycleTest,
       WritesBeyondTheInFlightBoundAreRefusedAndWriteNothing) {
  // Another connection's transaction holds the database's write lock: the
  // store's writer waits for it (up to its busy timeout, 5 s), so every
  // write call taken stays in flight.
  absl::StatusOr<std::unique_ptr<SqliteConnection>> blocker =
      SqliteConnection::Open(test_server().data_dir() + "/jobcontrol.db",
                             SqliteConnection::Access::kReadWrite);
  ASSERT_TRUE(blocker.ok()) << blocker.status();
  ASSERT_TRUE((*blocker)->ExecuteScript("BEGIN IMMEDIATE").ok());

  struct AsyncSubmit {
    grpc::ClientContext context;
    v1::Job response;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::Job>> reader;
  };
  const int total = kMaxWriteCallsInFlight + 300;
  auto stub = v1::JobService::NewStub(test_server().channel());
  grpc::CompletionQueue queue;
  std::vector<std::unique_ptr<AsyncSubmit>> calls;
  v1::SubmitJobRequest request;
  *request.mutable_job() = ValidDnaJob();
  for (int i = 0; i < total; ++i) {
    auto call = std::make_unique<AsyncSubmit>();
    call->context.AddMetadata(
        "authorization",
        absl::StrCat("Bearer ", BearerTokenOf(Caller::kTenant1)));
    call->context.set_deadline(std::chrono::system_clock::now() +
                               std::chrono::seconds(60));
    call->reader = stub->AsyncSubmitJob(&call->context, request, &queue);
    call->reader->Finish(&call->response, &call->status, call.get());
    calls.push_back(std::move(call));
  }
  // The refusals come at once; the writes taken wait for the lock.
  int answered = 0;
  int refused = 0;
  void* tag;
  bool ok;
  while (refused < total - kMaxWriteCallsInFlight && queue.Next(&tag, &ok)) {
    ++answered;
    auto* call = static_cast<AsyncSubmit*>(tag);
    ASSERT_EQ(call->status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << "answered while the writer is blocked: "
        << call->status.error_message();
    EXPECT_THAT(call->status.error_message(), HasSubstr("retry with backoff"));
    ++refused;
  }
  ASSERT_TRUE((*blocker)->ExecuteScript("ROLLBACK").ok());

  // Every call taken is answered once the lock is free, and only those wrote.
  std::set<std::string> accepted;
  while (answered < total && queue.Next(&tag, &ok)) {
    ++answered;
    auto* call = static_cast<AsyncSubmit*>(tag);
    if (call->status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++refused;
      continue;
    }
    ASSERT_TRUE(call->status.ok()) << call->status.error_message();
    accepted.insert(call->response.id());
  }
  queue.Shutdown();
  EXPECT_LE(accepted.size(), static_cast<size_t>(kMaxWriteCallsInFlight));
  EXPECT_EQ(accepted.size() + refused, static_cast<size_t>(total));
  const std::vector<v1::Job> stored = t1().ListAllJobs();
  EXPECT_EQ(stored.size(), accepted.size());
  for (const v1::Job& job : stored) EXPECT_EQ(accepted.count(job.id()), 1u);
}

// --- Start-up

TEST_F(ServerLifecycleTest, BusyPortIsAStartUpError) {
  ServerOptions options;
  options.grpc_listen = test_server().address();
  options.http_listen = "127.0.0.1:0";
  options.data_dir = test_server().data_dir() + "-second";
  options.credentials_path = test_server().credentials_path();
  auto second = JobControlServer::Start(options);
  ASSERT_FALSE(second.ok())
      << "a second server shares port " << test_server().port();
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr(absl::StrCat(test_server().port())));
  // The running server is unaffected.
  EXPECT_TRUE(IsOk(t1().ListJobs({}).status));
}

TEST_F(ServerLifecycleTest, CredentialsReadableByOthersAreRefused) {
  const std::string path = test_server().data_dir() + "-open.textproto";
  {
    std::ifstream in(test_server().credentials_path());
    std::ofstream out(path);
    out << in.rdbuf();
  }
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  ServerOptions options;
  options.grpc_listen = "127.0.0.1:0";
  options.http_listen = "127.0.0.1:0";
  options.data_dir = test_server().data_dir() + "-open";
  options.credentials_path = path;
  auto server = JobControlServer::Start(options);
  ASSERT_FALSE(server.ok()) << "started with a world-readable credentials file";
  EXPECT_FALSE(server.status().message().empty());
}

TEST_F(ServerLifecycleTest, FirstStartWritesADevCredential) {
  ServerOptions options;
  options.grpc_listen = "127.0.0.1:0";
  options.http_listen = "127.0.0.1:0";
  options.data_dir = test_server().data_dir() + "-fresh";
  const std::string expected_path = options.data_dir + "/credentials.textproto";
  std::string token;
  {
    auto server = JobControlServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    token = (*server)->startup_report().created_dev_token;
    EXPECT_FALSE(token.empty());
    EXPECT_EQ((*server)->startup_report().credentials_path, expected_path);
    struct stat st;
    ASSERT_EQ(stat(expected_path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    ApiCaller caller(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->grpc_port()),
                            grpc::InsecureChannelCredentials()),
        "Bearer " + token);
    EXPECT_TRUE(IsOk(caller.SubmitJob(ValidDnaJob()).status));
    (*server)->Drain(absl::Seconds(5));
  }
  // A second start reuses the file and creates no new credential.
  auto again = JobControlServer::Start(options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE((*again)->startup_report().created_dev_token.empty());
  ApiCaller caller(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*again)->grpc_port()),
                          grpc::InsecureChannelCredentials()),
      "Bearer " + token);
  EXPECT_EQ(caller.ListAllJobs().size(), 1u);
}

// --- Reflection

// Lists services through grpc.reflection.v1alpha without generated reflection
// headers (Debian ships none): the message types come from the descriptors
// that libgrpc++_reflection registers in the generated pool, the call goes
// through the generic stub.
class ReflectionClient {
 public:
  explicit ReflectionClient(std::shared_ptr<grpc::Channel> channel)
      : stub_(std::move(channel)) {}

  // The service names the server lists, or an error description.
  absl::StatusOr<std::vector<std::string>> ListServices() {
    const auto* pool = google::protobuf::DescriptorPool::generated_pool();
    const google::protobuf::Descriptor* request_type =
        pool->FindMessageTypeByName(
            "grpc.reflection.v1alpha.ServerReflectionRequest");
    const google::protobuf::Descriptor* response_type =
        pool->FindMessageTypeByName(
            "grpc.reflection.v1alpha.ServerReflectionResponse");
    if (request_type == nullptr || response_type == nullptr) {
      return absl::UnimplementedError(
          "reflection descriptors are not in the generated pool");
    }
    auto* factory = google::protobuf::MessageFactory::generated_factory();
    std::unique_ptr<google::protobuf::Message> request(
        factory->GetPrototype(request_type)->New());
    request->GetReflection()->SetString(
        request.get(), request_type->FindFieldByName("list_services"), "*");
    std::string request_bytes = request->SerializeAsString();
    grpc::Slice slice(request_bytes);
    grpc::ByteBuffer request_buffer(&slice, 1);

    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    grpc::CompletionQueue cq;
    std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
        stub_.PrepareCall(
            &context,
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            &cq);
    grpc::ByteBuffer response_buffer;
    grpc::Status status;
    // One operation at a time; on a failed step cancel, but always finish
    // the call and drain the queue before they are destroyed.
    call->StartCall(Tag(kStart));
    bool ok = Await(&cq, kStart);
    if (ok) {
      call->Write(request_buffer, Tag(kWrite));
      ok = Await(&cq, kWrite);
    }
    if (ok) {
      call->WritesDone(Tag(kWritesDone));
      ok = Await(&cq, kWritesDone);
    }
    if (ok) {
      call->Read(&response_buffer, Tag(kRead));
      ok = Await(&cq, kRead);
    }
    if (!ok) context.TryCancel();
    call->Finish(&status, Tag(kFinish));
    Await(&cq, kFinish);
    call.reset();
    cq.Shutdown();
    void* ignored_tag;
    bool ignored_ok;
    while (cq.Next(&ignored_tag, &ignored_ok)) {
    }
    if (!status.ok()) return absl::UnavailableError(Describe(status));
    if (!ok) return absl::UnavailableError("the call did not complete");

    std::vector<grpc::Slice> slices;
    if (!response_buffer.Dump(&slices).ok()) {
      return absl::InternalError("cannot read the response");
    }
    std::string response_bytes;
    for (const grpc::Slice& s : slices) {
      response_bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    std::unique_ptr<google::protobuf::Message> response(
        factory->GetPrototype(response_type)->New());
    if (!response->ParseFromString(response_bytes)) {
      return absl::InternalError("response does not parse");
    }
    // list_services_response.service[].name
    const google::protobuf::FieldDescriptor* list_field =
        response_type->FindFieldByName("list_services_response");
    const google::protobuf::Reflection* reflection = response->GetReflection();
    if (list_field == nullptr || !reflection->HasField(*response, list_field)) {
      return absl::InternalError("no list_services_response");
    }
    const google::protobuf::Message& list =
        reflection->GetMessage(*response, list_field);
    const google::protobuf::FieldDescriptor* service_field =
        list.GetDescriptor()->FindFieldByName("service");
    std::vector<std::string> names;
    for (int i = 0; i < list.GetReflection()->FieldSize(list, service_field);
         ++i) {
      const google::protobuf::Message& service =
          list.GetReflection()->GetRepeatedMessage(list, service_field, i);
      names.push_back(service.GetReflection()->GetString(
          service, service.GetDescriptor()->FindFieldByName("name")));
    }
    return names;
  }

 private:
  // Completion-queue tags: the addresses of the steps of one call.
  enum Step { kStart, kWrite, kWritesDone, kRead, kFinish, kStepCount };
  void* Tag(Step step) { return &steps_[step]; }
  bool Await(grpc::CompletionQueue* cq, Step step) {
    void* got_tag = nullptr;
    bool ok = false;
    if (!cq->Next(&got_tag, &ok)) return false;
    return got_tag == Tag(step) && ok;
  }

  grpc::GenericStub stub_;
  char steps_[kStepCount] = {};
};

TEST_F(ServerLifecycleTest, ReflectionListsEveryService) {
  ReflectionClient reflection(test_server().channel());
  absl::StatusOr<std::vector<std::string>> services = reflection.ListServices();
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(*services,
              ::testing::IsSupersetOf({"jobcontrol.v1.JobService",
                                       "jobcontrol.v1.PipelineService",
                                       "grpc.health.v1.Health"}));
}

}  // namespace
}  // namespace test
}  // namespace jobcontrol
