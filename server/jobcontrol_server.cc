#include "server/jobcontrol_server.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "server/api/credential_set.h"
#include "server/api/job_service.h"
#include "server/api/job_write_calls.h"
#include "server/api/pipeline_service.h"
#include "server/api/request_authorizer.h"
#include "server/api/grpc_server_tuning.h"
#include "server/api/worker_service.h"
#include "server/core/job_change_hub.h"
#include "server/core/lease_expiry_sweeper.h"
#include "server/gateway/http_gateway.h"
#include "server/store/sqlite/sqlite_store.h"

namespace jobcontrol {
namespace {

absl::Status MakeDirectories(const std::string& path) {
  std::string prefix;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || (path[i] == '/' && i > 0)) {
      prefix = path.substr(0, i);
      if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
        return absl::FailedPreconditionError(
            absl::StrCat("cannot create data directory ", prefix, ": ",
                         std::strerror(errno)));
      }
    }
  }
  return absl::OkStatus();
}

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Wakes long-polls and watches after every committed change.
class HubNotifyingListener final : public StoreChangeListener {
 public:
  explicit HubNotifyingListener(JobChangeHub* hub) : hub_(hub) {}
  void OnJobChanged(const Job& /*job*/) override { hub_->Notify(); }
  void OnPipelineChanged(const Pipeline& /*pipeline*/) override {
    hub_->Notify();
  }

 private:
  JobChangeHub* hub_;
};

}  // namespace

class JobControlServer::Impl {
 public:
  ServerOptions options;
  StartupReport report;
  CredentialSet credentials;
  std::unique_ptr<RequestAuthorizer> authorizer;
  // Declared before the store so that they outlive it, also when Start()
  // fails half-way.
  JobChangeHub hub;
  HubNotifyingListener store_listener{&hub};
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<LeaseExpirySweeper> sweeper;
  std::unique_ptr<JobServiceImpl> job_service;
  std::unique_ptr<PipelineServiceImpl> pipeline_service;
  std::unique_ptr<WorkerServiceImpl> worker_service;
  // Before the server: destroyed after it has shut down.
  std::unique_ptr<JobWriteCalls> write_calls;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::unique_ptr<gateway::HttpGateway> http_gateway;

  absl::Mutex drain_mutex;
  bool drained ABSL_GUARDED_BY(drain_mutex) = false;
  // The store's commit count when Drain() closed it.
  int64_t commits_at_close ABSL_GUARDED_BY(drain_mutex) = 0;
};

absl::StatusOr<std::unique_ptr<JobControlServer>> JobControlServer::Start(
    const ServerOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (auto s = MakeDirectories(options.data_dir); !s.ok()) return s;

  std::string credentials_path = options.credentials_path;
  if (credentials_path.empty()) {
    credentials_path = absl::StrCat(options.data_dir, "/credentials.textproto");
  }
  impl->report.credentials_path = credentials_path;
  if (!FileExists(credentials_path)) {
    auto token = CredentialSet::CreateDevFile(credentials_path);
    if (!token.ok()) return token.status();
    impl->report.created_dev_token = *token;
  }
  auto credentials = CredentialSet::LoadFile(credentials_path);
  if (!credentials.ok()) return credentials.status();
  impl->credentials = *std::move(credentials);
  impl->authorizer = std::make_unique<RequestAuthorizer>(&impl->credentials);

  SqliteStoreOptions store_options;
  store_options.path = absl::StrCat(options.data_dir, "/jobcontrol.db");
  auto store = SqliteStore::Open(store_options);
  if (!store.ok()) return store.status();
  impl->store = *std::move(store);
  impl->store->SetChangeListener(&impl->store_listener);
  // Starts from the store: leases that expired while the server was down
  // end now.
  impl->sweeper =
      std::make_unique<LeaseExpirySweeper>(impl->store.get(), &impl->hub);

  impl->job_service = std::make_unique<JobServiceImpl>(
      impl->store.get(), impl->authorizer.get(), &impl->hub);
  impl->pipeline_service = std::make_unique<PipelineServiceImpl>(
      impl->store.get(), impl->authorizer.get());
  impl->worker_service = std::make_unique<WorkerServiceImpl>(
      impl->store.get(), impl->authorizer.get(), &impl->hub);

  // Reflection lists only services whose descriptors are in the generated
  // pool: touch the health proto so grpc.health.v1 is listed too.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  // A busy port must be an error, not a second server sharing it.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  ApplySyncServerThreadPolicy(builder);
  builder.AddListeningPort(options.grpc_listen,
                           grpc::InsecureServerCredentials(), &impl->port);
  builder.RegisterService(impl->job_service.get());
  builder.RegisterService(impl->pipeline_service.get());
  builder.RegisterService(impl->worker_service.get());
  impl->write_calls = std::make_unique<JobWriteCalls>(
      builder, impl->job_service.get(), impl->store.get(),
      impl->authorizer.get(), AsyncCallThreadCount());
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || impl->port == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.grpc_listen,
        ": the address is already in use or not a valid host:port"));
  }
  impl->write_calls->Start();
  if (!options.http_listen.empty()) {
    // The gateway reaches the services only through the generated stubs, here
    // over an in-process channel to this very server.
    gateway::HttpServerOptions http_options;
    http_options.listen = options.http_listen;
    auto http_gateway = gateway::HttpGateway::Start(
        http_options, &impl->credentials,
        impl->server->InProcessChannel(grpc::ChannelArguments()));
    if (!http_gateway.ok()) {
      impl->server->Shutdown();
      return http_gateway.status();
    }
    impl->http_gateway = *std::move(http_gateway);
  }
  impl->server->GetHealthCheckService()->SetServingStatus(true);
  return std::unique_ptr<JobControlServer>(
      new JobControlServer(std::move(impl)));
}

JobControlServer::JobControlServer(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

JobControlServer::~JobControlServer() { Drain(absl::ZeroDuration()); }

int JobControlServer::grpc_port() const { return impl_->port; }

int JobControlServer::http_port() const {
  return impl_->http_gateway ? impl_->http_gateway->port() : 0;
}

const StartupReport& JobControlServer::startup_report() const {
  return impl_->report;
}

void JobControlServer::Drain(absl::Duration timeout) {
  absl::MutexLock lock(&impl_->drain_mutex);
  if (impl_->drained) return;
  impl_->drained = true;
  if (impl_->http_gateway) impl_->http_gateway->Stop();
  impl_->server->GetHealthCheckService()->SetServingStatus(false);
  // Long-polls and watches return at once instead of holding the drain.
  impl_->hub.Shutdown();
  impl_->server->Shutdown(absl::ToChronoTime(absl::Now() + timeout));
  impl_->server->Wait();
  impl_->write_calls->Shutdown();  // their last answers went out
  impl_->sweeper.reset();
  impl_->store->SetChangeListener(nullptr);
  // No call or sweep is left to write (each waited for its commit).
  impl_->commits_at_close = impl_->store->CommitCount();
  impl_->store.reset();  // finishes queued writes and closes the database
}

int64_t JobControlServer::StoreCommitCount() {
  absl::MutexLock lock(&impl_->drain_mutex);
  return impl_->drained ? impl_->commits_at_close
                        : impl_->store->CommitCount();
}

}  // namespace jobcontrol
