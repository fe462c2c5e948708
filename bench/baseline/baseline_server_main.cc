// bench_baseline_server: a bare gRPC server of jobcontrol.v1.JobService and
// WorkerService whose handlers answer at once with canned responses
// (CannedJobService, CannedWriteCalls, CannedWorkerService), built like
// jobcontrold's grpc::Server (sync server with the same thread policy,
// SubmitJob and CancelJob asynchronous on as many threads, default health
// service, no port sharing) minus reflection. Prints
// "bench_baseline_server: serving gRPC on HOST:PORT" once it serves, and
// stops on SIGTERM or SIGINT.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "bench/baseline/canned_job_service.h"
#include "bench/baseline/canned_write_calls.h"
#include "server/api/grpc_server_tuning.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"

ABSL_FLAG(std::string, grpc_listen, "127.0.0.1:0",
          "host:port to listen on; port 0 picks a free port");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Baseline gRPC server with canned answers, for bench/.\nUsage: "
      "bench_baseline_server [--grpc_listen=127.0.0.1:0]");
  absl::ParseCommandLine(argc, argv);
  jobcontrol::TurnOffMutexDeadlockDetection();
  setvbuf(stdout, nullptr, _IOLBF, 0);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  jobcontrol::bench::CannedJobService service;
  jobcontrol::bench::CannedWorkerService worker_service;
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  jobcontrol::ApplySyncServerThreadPolicy(builder);
  int port = 0;
  const std::string listen = absl::GetFlag(FLAGS_grpc_listen);
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  builder.RegisterService(&worker_service);
  jobcontrol::bench::CannedWriteCalls write_calls(builder, &service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "bench_baseline_server: cannot listen on %s\n",
                 listen.c_str());
    return 1;
  }
  write_calls.Start();
  server->GetHealthCheckService()->SetServingStatus(true);
  const std::string host = listen.substr(0, listen.rfind(':'));
  std::printf("bench_baseline_server: serving gRPC on %s:%d\n", host.c_str(),
              port);
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server->Shutdown();
  server->Wait();
  write_calls.Shutdown();
  return 0;
}
