// bench_dispatch: the dispatch benchmarks of WorkerService, against
// jobcontrold or bench_baseline_server. Prints one JSON line.
//
//   --mode=latency     `workers` threads wait in LeaseJob (long-poll); one
//                      submitter sends a SubmitJob every --submit_interval.
//                      Each job carries its submit time (steady clock of
//                      this process, taken just before the SubmitJob call)
//                      in user_data; the worker that leases it measures
//                      submit-to-lease, then completes it. Reports p50/p99/
//                      p99.9 of submit-to-lease. Against the baseline (whose
//                      LeaseJob answers at once with a canned job) the
//                      number is meaningless, so run it against jobcontrold.
//   --mode=throughput  `workers` threads loop LeaseJob (no wait) +
//                      CompleteJob for --duration after --warmup, on jobs
//                      queued before (bench_bulk_load). Reports
//                      lease+complete cycles per second. A LeaseJob that
//                      finds no job counts as status "NO_JOB" (the preload
//                      was too small): the run is then not clean.
//
// Every call is counted by "<RPC>:<status>"; a run with any non-OK call is
// not clean and reports no throughput and no latency (null), as
// bench_grpc_loadgen. The token comes from $JOBCTL_TOKEN.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/loadgen/grpc_load_generator.h"
#include "bench/loadgen/job_requests.h"
#include "bench/loadgen/load_report.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "jobcontrol/v1/job_service.grpc.pb.h"
#include "jobcontrol/v1/worker_service.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "server host:port");
ABSL_FLAG(std::string, mode, "latency", "latency or throughput");
ABSL_FLAG(int, workers, 4, "worker threads (one channel each)");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "unmeasured warm-up");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "measured window");
ABSL_FLAG(absl::Duration, submit_interval, absl::Milliseconds(5),
          "latency mode: pause between one SubmitJob's answer and the next");

namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = jobcontrol::v1;

// user_data of a latency-mode job: "bench-t0=<steady clock ns>".
constexpr absl::string_view kT0Prefix = "bench-t0=";

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             Clock::now().time_since_epoch())
      .count();
}

// Counts and samples shared by the threads of one run.
class Tally {
 public:
  void Count(const std::string& rpc, const grpc::Status& status,
             bool measured) {
    Count(rpc, jobcontrol::bench::StatusCodeName(status.error_code()),
          measured);
  }
  void Count(const std::string& rpc, const std::string& code, bool measured) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++(measured ? measured_ : unmeasured_)[absl::StrCat(rpc, ":", code)];
  }
  void Sample(int64_t ns) {
    std::lock_guard<std::mutex> lock(mutex_);
    samples_.push_back(ns);
  }
  void Cycle() { cycles_.fetch_add(1, std::memory_order_relaxed); }

  // The JSON report; `extra` is spliced in (", \"key\": value" pairs).
  std::string Json(const std::string& mode, int workers, double duration_s,
                   const std::string& extra) {
    std::lock_guard<std::mutex> lock(mutex_);
    int64_t failed = 0;
    for (const auto* counts : {&measured_, &unmeasured_}) {
      for (const auto& [key, count] : *counts) {
        if (!absl::EndsWith(key, ":OK")) failed += count;
      }
    }
    const bool clean = failed == 0 && (cycles_ > 0 || !samples_.empty());
    std::string throughput = "null";
    std::string latency = "null";
    if (clean) {
      throughput = absl::StrFormat("%.1f", cycles_ / duration_s);
      if (!samples_.empty()) {
        const jobcontrol::bench::LatencySummary summary =
            jobcontrol::bench::SummarizeLatencies(samples_);
        latency = jobcontrol::bench::LatencyJson(summary);
      }
    }
    return absl::StrCat(
        "{\"mode\": \"", mode, "\", \"workers\": ", workers,
        ", \"duration_s\": ", absl::StrFormat("%.3f", duration_s),
        ", \"clean\": ", clean ? "true" : "false",
        ", \"failed_calls\": ", failed, ", \"cycles_per_s\": ", throughput,
        ", \"samples\": ", samples_.size(), ", \"latency_us\": ", latency,
        ", \"status_counts\": ", jobcontrol::bench::CountsJson(measured_),
        ", \"unmeasured_status_counts\": ",
        jobcontrol::bench::CountsJson(unmeasured_), extra, "}");
  }

 private:
  std::mutex mutex_;
  std::map<std::string, int64_t> measured_;
  std::map<std::string, int64_t> unmeasured_;
  std::vector<int64_t> samples_;
  std::atomic<int64_t> cycles_{0};
};

struct Window {
  Clock::time_point measure_start;
  Clock::time_point end;
  bool Measured(Clock::time_point start, Clock::time_point done) const {
    return start >= measure_start && done <= end;
  }
};

void AddToken(grpc::ClientContext* context) {
  if (const char* token = std::getenv("JOBCTL_TOKEN");
      token != nullptr && *token != '\0') {
    context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  }
}

void SetDeadline(grpc::ClientContext* context, absl::Duration timeout) {
  context->set_deadline(std::chrono::system_clock::now() +
                        absl::ToChronoMilliseconds(timeout));
}

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target, int i) {
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  arguments.SetInt("jobcontrol.bench.connection", i);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(),
                                   arguments);
}

// Completes a leased job; returns the call's status.
grpc::Status Complete(v1::WorkerService::Stub& stub,
                      const v1::LeaseJobResponse& leased) {
  grpc::ClientContext context;
  AddToken(&context);
  SetDeadline(&context, absl::Seconds(10));
  v1::CompleteJobRequest request;
  request.set_job_id(leased.lease().job_id());
  request.set_lease_id(leased.lease().lease_id());
  request.mutable_result()->set_output_uri("oss://bench-media-bucket/out");
  v1::Job job;
  return stub.CompleteJob(&context, request, &job);
}

std::string RunLatency(const std::string& target, int workers,
                       const Window& window, absl::Duration submit_interval,
                       double duration_s) {
  Tally tally;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      auto stub = v1::WorkerService::NewStub(NewChannel(target, w));
      const std::string worker_id = absl::StrCat("bench-worker-", w);
      while (!stop.load()) {
        grpc::ClientContext context;
        AddToken(&context);
        SetDeadline(&context, absl::Seconds(3));
        v1::LeaseJobRequest request;
        request.set_worker_id(worker_id);
        request.mutable_wait_timeout()->set_nanos(500 * 1000 * 1000);
        v1::LeaseJobResponse leased;
        const grpc::Status status = stub->LeaseJob(&context, request, &leased);
        const int64_t received_ns = NowNs();
        if (!status.ok()) {
          tally.Count("LeaseJob", status, true);
          continue;
        }
        if (!leased.has_lease()) continue;  // the wait ran out: normal
        absl::string_view user_data = leased.job().user_data();
        int64_t t0_ns = 0;
        const bool ours = absl::ConsumePrefix(&user_data, kT0Prefix) &&
                          absl::SimpleAtoi(user_data, &t0_ns);
        const Clock::time_point submitted{std::chrono::nanoseconds(t0_ns)};
        const bool measured = ours && window.Measured(submitted, Clock::now());
        tally.Count("LeaseJob", ours ? "OK" : "FOREIGN_JOB", measured);
        if (measured) tally.Sample(received_ns - t0_ns);
        tally.Count("CompleteJob", Complete(*stub, leased), measured);
      }
    });
  }
  // The submitter.
  auto job_stub = v1::JobService::NewStub(NewChannel(target, workers));
  int variant = 0;
  while (Clock::now() < window.end) {
    v1::SubmitJobRequest request =
        jobcontrol::bench::BenchSubmitJobRequest(variant++);
    grpc::ClientContext context;
    AddToken(&context);
    SetDeadline(&context, absl::Seconds(10));
    const Clock::time_point start = Clock::now();
    request.mutable_job()->set_user_data(absl::StrCat(kT0Prefix, NowNs()));
    v1::Job job;
    const grpc::Status status = job_stub->SubmitJob(&context, request, &job);
    tally.Count("SubmitJob", status, window.Measured(start, Clock::now()));
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(submit_interval));
  }
  // Let the last jobs be leased before the workers stop.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  stop = true;
  for (std::thread& thread : threads) thread.join();
  return tally.Json(
      "latency", workers, duration_s,
      absl::StrFormat(", \"submit_interval_ms\": %.3f",
                      absl::ToDoubleMilliseconds(submit_interval)));
}

std::string RunThroughput(const std::string& target, int workers,
                          const Window& window, double duration_s) {
  Tally tally;
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      auto stub = v1::WorkerService::NewStub(NewChannel(target, w));
      const std::string worker_id = absl::StrCat("bench-worker-", w);
      while (Clock::now() < window.end) {
        const Clock::time_point start = Clock::now();
        grpc::ClientContext context;
        AddToken(&context);
        SetDeadline(&context, absl::Seconds(10));
        v1::LeaseJobRequest request;
        request.set_worker_id(worker_id);
        v1::LeaseJobResponse leased;
        const grpc::Status status = stub->LeaseJob(&context, request, &leased);
        if (!status.ok() || !leased.has_lease()) {
          // An error, or the preload ran out: this worker stops.
          tally.Count("LeaseJob",
                      status.ok() ? "NO_JOB"
                                  : jobcontrol::bench::StatusCodeName(
                                        status.error_code()),
                      window.Measured(start, Clock::now()));
          break;
        }
        const grpc::Status completed = Complete(*stub, leased);
        const bool measured = window.Measured(start, Clock::now());
        tally.Count("LeaseJob", "OK", measured);
        tally.Count("CompleteJob", completed, measured);
        if (measured && completed.ok()) {
          tally.Cycle();
          tally.Sample(std::chrono::duration_cast<std::chrono::nanoseconds>(
                           Clock::now() - start)
                           .count());
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return tally.Json("throughput", workers, duration_s, "");
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Dispatch benchmarks of WorkerService; prints a JSON report.\nUsage: "
      "JOBCTL_TOKEN=... bench_dispatch --target=HOST:PORT "
      "--mode=latency|throughput --workers=4 --duration=5s");
  absl::ParseCommandLine(argc, argv);
  const std::string target = absl::GetFlag(FLAGS_target);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  const int workers = absl::GetFlag(FLAGS_workers);
  const absl::Duration warmup = absl::GetFlag(FLAGS_warmup);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  if (workers < 1 || duration <= absl::ZeroDuration() ||
      warmup < absl::ZeroDuration() ||
      (mode != "latency" && mode != "throughput")) {
    std::fprintf(stderr,
                 "bench_dispatch: --mode is latency or throughput, "
                 "--workers >= 1, --duration > 0, --warmup >= 0\n");
    return 2;
  }
  Window window;
  window.measure_start = Clock::now() + absl::ToChronoNanoseconds(warmup);
  window.end = window.measure_start + absl::ToChronoNanoseconds(duration);
  const double duration_s = absl::ToDoubleSeconds(duration);
  const std::string json =
      mode == "latency"
          ? RunLatency(target, workers, window,
                       absl::GetFlag(FLAGS_submit_interval), duration_s)
          : RunThroughput(target, workers, window, duration_s);
  std::printf("%s\n", json.c_str());
  return 0;
}
