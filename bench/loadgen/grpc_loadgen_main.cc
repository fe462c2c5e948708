// bench_grpc_loadgen: drives one jobcontrol RPC at a fixed concurrency for a
// fixed time against any server of the jobcontrol.v1 protos (jobcontrold or
// bench_baseline_server) and prints one JSON line (LoadReport), or waits
// until a server's health check says SERVING (--wait_serving).
//
// The bearer token comes from $JOBCTL_TOKEN (as for jobctl), so it never
// appears in a process listing. bench/README.md shows how run_bench.py uses
// this binary.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/loadgen/grpc_load_generator.h"
#include "bench/loadgen/job_requests.h"
#include "bench/loadgen/request_source.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "server host:port");
ABSL_FLAG(std::string, rpc, "GetJob",
          "SubmitJob, GetJob, CancelJob (each id once) or ListJobs");
ABSL_FLAG(std::string, ids_file, "",
          "job ids, one per line (GetJob cycles over them, CancelJob uses "
          "each once)");
ABSL_FLAG(int, page_size, 50, "ListJobs page size");
ABSL_FLAG(int, concurrency, 1, "calls in flight at any time");
ABSL_FLAG(bool, cycle_ids, false,
          "CancelJob: repeat the ids of --ids_file instead of using each "
          "once (for bench_baseline_server, which keeps no state)");
ABSL_FLAG(int, threads, 1, "client polling threads");
ABSL_FLAG(int, connections, 1, "HTTP/2 connections");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "unmeasured warm-up");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "measured window");
ABSL_FLAG(bool, wait_serving, false,
          "only wait until grpc.health.v1 Check answers SERVING, print "
          "{\"waited_ms\": ...}; exit 1 after --timeout");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(30),
          "how long to wait for the server (connect, --wait_serving)");

namespace {

using jobcontrol::bench::RequestSource;

int Fail(const std::string& message) {
  std::fprintf(stderr, "bench_grpc_loadgen: %s\n", message.c_str());
  return 2;
}

int WaitServing(const std::string& target, absl::Duration timeout) {
  const absl::Time start = absl::Now();
  auto channel =
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  while (absl::Now() - start < timeout) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(200));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    if (stub->Check(&context, request, &response).ok() &&
        response.status() ==
            grpc::health::v1::HealthCheckResponse::SERVING) {
      std::printf("{\"waited_ms\": %.1f}\n",
                  absl::ToDoubleMilliseconds(absl::Now() - start));
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::fprintf(stderr, "bench_grpc_loadgen: %s not SERVING after %s\n",
               target.c_str(), absl::FormatDuration(timeout).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Drives one jobcontrol RPC at a fixed concurrency and prints a JSON "
      "report.\nUsage: JOBCTL_TOKEN=... bench_grpc_loadgen --target=HOST:PORT "
      "--rpc=GetJob --ids_file=ids.txt --concurrency=16 --duration=5s");
  absl::ParseCommandLine(argc, argv);
  const std::string target = absl::GetFlag(FLAGS_target);
  if (absl::GetFlag(FLAGS_wait_serving)) {
    return WaitServing(target, absl::GetFlag(FLAGS_timeout));
  }

  const std::string rpc = absl::GetFlag(FLAGS_rpc);
  std::vector<std::string> ids;
  if (rpc == "GetJob" || rpc == "CancelJob") {
    auto read = jobcontrol::bench::ReadJobIds(absl::GetFlag(FLAGS_ids_file));
    if (!read.ok()) {
      return Fail(absl::StrCat("--rpc=", rpc, " needs --ids_file: ",
                               read.status().message()));
    }
    ids = *std::move(read);
  }
  std::unique_ptr<RequestSource> source;
  if (rpc == "SubmitJob") {
    source = std::make_unique<jobcontrol::bench::CyclingRequestSource>(
        jobcontrol::bench::kSubmitJobMethod,
        jobcontrol::bench::SubmitJobRequests(1024));
  } else if (rpc == "GetJob") {
    source = std::make_unique<jobcontrol::bench::CyclingRequestSource>(
        jobcontrol::bench::kGetJobMethod,
        jobcontrol::bench::GetJobRequests(ids));
  } else if (rpc == "CancelJob" && absl::GetFlag(FLAGS_cycle_ids)) {
    source = std::make_unique<jobcontrol::bench::CyclingRequestSource>(
        jobcontrol::bench::kCancelJobMethod,
        jobcontrol::bench::CancelJobRequests(ids));
  } else if (rpc == "CancelJob") {
    source = std::make_unique<jobcontrol::bench::SingleUseRequestSource>(
        jobcontrol::bench::kCancelJobMethod,
        jobcontrol::bench::CancelJobRequests(ids));
  } else if (rpc == "ListJobs") {
    source = std::make_unique<jobcontrol::bench::CyclingRequestSource>(
        jobcontrol::bench::kListJobsMethod,
        jobcontrol::bench::ListJobsRequests(absl::GetFlag(FLAGS_page_size)));
  } else {
    return Fail(absl::StrCat("unknown --rpc=", rpc,
                             "; one of SubmitJob, GetJob, CancelJob, ListJobs"));
  }

  jobcontrol::bench::LoadOptions options;
  options.target = target;
  options.concurrency = absl::GetFlag(FLAGS_concurrency);
  options.threads = absl::GetFlag(FLAGS_threads);
  options.connections = absl::GetFlag(FLAGS_connections);
  options.warmup = absl::GetFlag(FLAGS_warmup);
  options.duration = absl::GetFlag(FLAGS_duration);
  if (options.concurrency < 1 || options.duration <= absl::ZeroDuration() ||
      options.warmup < absl::ZeroDuration()) {
    return Fail("--concurrency must be >= 1, --duration > 0, --warmup >= 0");
  }
  if (const char* token = std::getenv("JOBCTL_TOKEN");
      token != nullptr && *token != '\0') {
    options.metadata.emplace_back("authorization",
                                  absl::StrCat("Bearer ", token));
  }
  jobcontrol::bench::GrpcLoadGenerator generator(options);
  if (!generator.Connect(absl::GetFlag(FLAGS_timeout))) {
    return Fail(absl::StrCat("cannot connect to ", target));
  }
  const jobcontrol::bench::LoadReport report = generator.Run(*source);
  std::printf("%s\n", report.ToJson().c_str());
  return 0;
}
