// jobcontrold: the jobcontrol server. Flags are listed by --help; see
// docs/operations.md.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "server/api/credential_set.h"
#include "server/api/grpc_server_tuning.h"
#include "server/gateway/http_gateway.h"
#include "server/jobcontrol_server.h"

ABSL_FLAG(std::string, grpc_listen, "127.0.0.1:50051",
          "host:port of the gRPC listener; port 0 picks a free port");
ABSL_FLAG(std::string, http_listen, "127.0.0.1:8080",
          "host:port of the HTTP gateway (Alibaba Cloud ICE and Huawei Cloud "
          "MPC dialects); port 0 picks a free port; empty disables it");
ABSL_FLAG(std::string, upstream, "",
          "host:port of a remote jobcontrold: run only the HTTP gateway, "
          "forwarding to it over gRPC (no store, no gRPC listener here); "
          "--credentials must name the same credentials file as upstream's");
ABSL_FLAG(std::string, data_dir, "./var",
          "directory of the embedded store; created if missing");
ABSL_FLAG(std::string, credentials, "",
          "credentials textproto (default <data_dir>/credentials.textproto); "
          "created with a development credential if missing; must be mode "
          "0600");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(10),
          "on SIGTERM/SIGINT, how long in-flight calls may take to finish");

namespace {

// "127.0.0.1:0" with port 43121 -> "127.0.0.1:43121".
std::string ListenAddress(const std::string& listen, int port) {
  const size_t colon = listen.rfind(':');
  const std::string host =
      colon == std::string::npos ? listen : listen.substr(0, colon);
  return absl::StrCat(host, ":", port);
}

// Blocks until SIGTERM or SIGINT (blocked in every thread by main) arrives.
int WaitForStopSignal(const sigset_t& stop_signals) {
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::printf("jobcontrold: %s received, draining (up to %s)\n",
              signal_number == SIGTERM ? "SIGTERM" : "SIGINT",
              absl::FormatDuration(absl::GetFlag(FLAGS_drain_timeout)).c_str());
  return signal_number;
}

// --upstream: the HTTP gateway alone, in front of a remote jobcontrold.
int RunStandaloneGateway(const sigset_t& stop_signals) {
  std::string credentials_path = absl::GetFlag(FLAGS_credentials);
  if (credentials_path.empty()) {
    credentials_path =
        absl::StrCat(absl::GetFlag(FLAGS_data_dir), "/credentials.textproto");
  }
  auto credentials = jobcontrol::CredentialSet::LoadFile(credentials_path);
  if (!credentials.ok()) {
    std::fprintf(stderr, "jobcontrold: cannot start: %s\n",
                 std::string(credentials.status().message()).c_str());
    return 1;
  }
  const std::string upstream = absl::GetFlag(FLAGS_upstream);
  jobcontrol::gateway::HttpServerOptions http_options;
  http_options.listen = absl::GetFlag(FLAGS_http_listen);
  auto gateway = jobcontrol::gateway::HttpGateway::Start(
      http_options, &*credentials,
      grpc::CreateChannel(upstream, grpc::InsecureChannelCredentials()));
  if (!gateway.ok()) {
    std::fprintf(stderr, "jobcontrold: cannot start: %s\n",
                 std::string(gateway.status().message()).c_str());
    return 1;
  }
  std::printf("jobcontrold: gateway only, forwarding to jobcontrold at %s\n",
              upstream.c_str());
  std::printf("jobcontrold: serving HTTP on %s\n",
              ListenAddress(http_options.listen, (*gateway)->port()).c_str());
  WaitForStopSignal(stop_signals);
  (*gateway)->Stop();
  std::printf("jobcontrold: stopped\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "jobcontrol job-control server.\nUsage: jobcontrold [--grpc_listen=...] "
      "[--http_listen=...] [--data_dir=...] [--credentials=...] "
      "[--drain_timeout=...]\n       jobcontrold --upstream=HOST:PORT "
      "[--http_listen=...] --credentials=...   (HTTP gateway only)");
  absl::ParseCommandLine(argc, argv);
  jobcontrol::TurnOffMutexDeadlockDetection();
  // Line-buffered stdout: scripts and tests wait for the "serving" line.
  setvbuf(stdout, nullptr, _IOLBF, 0);

  // Block the stop signals in every thread; main waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  if (!absl::GetFlag(FLAGS_upstream).empty()) {
    return RunStandaloneGateway(stop_signals);
  }

  jobcontrol::ServerOptions options;
  options.grpc_listen = absl::GetFlag(FLAGS_grpc_listen);
  options.http_listen = absl::GetFlag(FLAGS_http_listen);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.credentials_path = absl::GetFlag(FLAGS_credentials);
  auto server = jobcontrol::JobControlServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "jobcontrold: cannot start: %s\n",
                 std::string(server.status().message()).c_str());
    return 1;
  }
  const jobcontrol::StartupReport& report = (*server)->startup_report();
  const std::string address =
      ListenAddress(options.grpc_listen, (*server)->grpc_port());
  if (!report.created_dev_token.empty()) {
    std::printf(
        "jobcontrold: created %s with a development credential (tenant "
        "\"dev\", every action allowed).\n"
        "jobcontrold: use it with:  export JOBCTL_TOKEN=%s\n",
        report.credentials_path.c_str(), report.created_dev_token.c_str());
  }
  std::printf("jobcontrold: data in %s, credentials from %s\n",
              options.data_dir.c_str(), report.credentials_path.c_str());
  std::printf("jobcontrold: serving gRPC on %s\n", address.c_str());
  if ((*server)->http_port() != 0) {
    std::printf(
        "jobcontrold: serving HTTP on %s\n",
        ListenAddress(options.http_listen, (*server)->http_port()).c_str());
  }
  std::printf(
      "jobcontrold: try  build/bin/jobctl --server=%s list   or   npx buf "
      "curl --protocol grpc --http2-prior-knowledge --list-methods http://%s\n",
      address.c_str(), address.c_str());

  WaitForStopSignal(stop_signals);
  (*server)->Drain(absl::GetFlag(FLAGS_drain_timeout));
  std::printf("jobcontrold: stopped after %lld store commits\n",
              static_cast<long long>((*server)->StoreCommitCount()));
  return 0;
}
