#include "bench/loadgen/grpc_load_generator.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "grpcpp/client_context.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace jobcontrol {
namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

// One slot's call in flight; its address is the completion-queue tag.
struct Call {
  grpc::GenericStub* stub = nullptr;
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
  grpc::ByteBuffer response;
  grpc::Status status;
  Clock::time_point start;
};

// What one polling thread saw.
struct ThreadResult {
  std::map<std::string, int64_t> measured;
  std::map<std::string, int64_t> unmeasured;
  std::vector<int64_t> latencies_ns;
  bool source_exhausted = false;
};

struct Window {
  Clock::time_point measure_start;
  Clock::time_point end;
};

class PollingThread {
 public:
  PollingThread(const LoadOptions& options, RequestSource& source,
                const Window& window, std::vector<grpc::GenericStub*> stubs)
      : options_(options), source_(source), window_(window) {
    calls_.resize(stubs.size());
    for (size_t i = 0; i < stubs.size(); ++i) calls_[i].stub = stubs[i];
  }

  ThreadResult Run() {
    int in_flight = 0;
    for (Call& call : calls_) {
      if (Start(call)) ++in_flight;
    }
    void* tag = nullptr;
    bool ok = false;
    while (in_flight > 0 && queue_.Next(&tag, &ok)) {
      --in_flight;
      Call& call = *static_cast<Call*>(tag);
      const Clock::time_point now = Clock::now();
      Record(call, now);
      if (now < window_.end && Start(call)) ++in_flight;
    }
    queue_.Shutdown();
    while (queue_.Next(&tag, &ok)) {
    }
    return std::move(result_);
  }

 private:
  bool Start(Call& call) {
    grpc::ByteBuffer request;
    if (!source_.Next(&request)) {
      result_.source_exhausted = true;
      return false;
    }
    call.context = std::make_unique<grpc::ClientContext>();
    call.context->set_deadline(
        std::chrono::system_clock::now() +
        absl::ToChronoMilliseconds(options_.call_timeout));
    for (const auto& [key, value] : options_.metadata) {
      call.context->AddMetadata(key, value);
    }
    call.start = Clock::now();
    call.reader = call.stub->PrepareUnaryCall(
        call.context.get(), source_.method(), request, &queue_);
    call.reader->StartCall();
    call.reader->Finish(&call.response, &call.status, &call);
    return true;
  }

  void Record(const Call& call, Clock::time_point now) {
    const std::string code = StatusCodeName(call.status.error_code());
    if (call.start >= window_.measure_start && now <= window_.end) {
      ++result_.measured[code];
      if (call.status.ok()) {
        result_.latencies_ns.push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(now -
                                                                 call.start)
                .count());
      }
    } else {
      ++result_.unmeasured[code];
    }
  }

  const LoadOptions& options_;
  RequestSource& source_;
  const Window& window_;
  grpc::CompletionQueue queue_;
  std::vector<Call> calls_;
  ThreadResult result_;
};

}  // namespace

std::string StatusCodeName(int code) {
  static const char* const kNames[] = {
      "OK",           "CANCELLED",          "UNKNOWN",
      "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION", "ABORTED",     "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",          "UNAVAILABLE",
      "DATA_LOSS",    "UNAUTHENTICATED"};
  if (code >= 0 && code < static_cast<int>(std::size(kNames))) {
    return kNames[code];
  }
  return "CODE_" + std::to_string(code);
}

GrpcLoadGenerator::GrpcLoadGenerator(LoadOptions options)
    : options_(std::move(options)) {
  options_.concurrency = std::max(1, options_.concurrency);
  options_.threads = std::clamp(options_.threads, 1, options_.concurrency);
  options_.connections = std::max(1, options_.connections);
}

bool GrpcLoadGenerator::Connect(absl::Duration timeout) {
  channels_.clear();
  for (int i = 0; i < options_.connections; ++i) {
    grpc::ChannelArguments arguments;
    // Without a local pool, channels to one target share one connection.
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    arguments.SetInt("jobcontrol.bench.connection", i);
    auto channel = grpc::CreateCustomChannel(
        options_.target, grpc::InsecureChannelCredentials(), arguments);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                   absl::ToChronoMilliseconds(timeout))) {
      return false;
    }
    channels_.push_back(std::move(channel));
  }
  return true;
}

LoadReport GrpcLoadGenerator::Run(RequestSource& source) {
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (const auto& channel : channels_) {
    stubs.push_back(std::make_unique<grpc::GenericStub>(channel));
  }
  // Slot i uses connection i % connections and thread i % threads.
  std::vector<std::vector<grpc::GenericStub*>> slots_by_thread(
      options_.threads);
  for (int i = 0; i < options_.concurrency; ++i) {
    slots_by_thread[i % options_.threads].push_back(
        stubs[i % stubs.size()].get());
  }

  Window window;
  const Clock::time_point begin = Clock::now();
  window.measure_start =
      begin + absl::ToChronoNanoseconds(options_.warmup);
  window.end = window.measure_start +
               absl::ToChronoNanoseconds(options_.duration);

  std::vector<std::unique_ptr<PollingThread>> pollers;
  std::vector<ThreadResult> results(options_.threads);
  std::vector<std::thread> threads;
  for (int t = 0; t < options_.threads; ++t) {
    pollers.push_back(std::make_unique<PollingThread>(options_, source, window,
                                                      slots_by_thread[t]));
  }
  for (int t = 0; t < options_.threads; ++t) {
    threads.emplace_back([&, t] { results[t] = pollers[t]->Run(); });
  }
  std::this_thread::sleep_until(window.measure_start);
  const double cpu_at_start = ProcessCpuSeconds();
  std::this_thread::sleep_until(window.end);
  const double cpu_at_end = ProcessCpuSeconds();
  for (std::thread& thread : threads) thread.join();

  LoadReport report;
  report.method = source.method();
  report.target = options_.target;
  report.concurrency = options_.concurrency;
  report.threads = options_.threads;
  report.connections = options_.connections;
  report.warmup_s = absl::ToDoubleSeconds(options_.warmup);
  report.duration_s = absl::ToDoubleSeconds(options_.duration);
  report.client_cpu_cores =
      (cpu_at_end - cpu_at_start) / absl::ToDoubleSeconds(options_.duration);
  std::vector<int64_t> latencies;
  for (ThreadResult& result : results) {
    for (const auto& [code, count] : result.measured) {
      report.status_counts[code] += count;
    }
    for (const auto& [code, count] : result.unmeasured) {
      report.unmeasured_status_counts[code] += count;
    }
    report.source_exhausted |= result.source_exhausted;
    latencies.insert(latencies.end(), result.latencies_ns.begin(),
                     result.latencies_ns.end());
  }
  report.latency = SummarizeLatencies(latencies);
  return report;
}

}  // namespace bench
}  // namespace jobcontrol
