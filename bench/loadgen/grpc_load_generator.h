// GrpcLoadGenerator: drives one unary gRPC method at a fixed concurrency for
// a fixed time (closed loop: each of `concurrency` slots issues its next call
// as soon as its previous one completes) and measures what came back.
//
// Calls go through grpc::GenericStub with pre-serialized requests and are
// never parsed, so the client spends as little CPU per call as gRPC allows;
// the same client drives jobcontrold and the baseline server alike.
//
// Each polling thread owns a completion queue and concurrency/threads slots
// (the remainder spread over the first threads); slots use the connections
// round-robin. Timing: a warm-up, then the measured window; calls started in
// the warm-up or completing after the window are counted by status but not
// measured (LoadReport). After the window no new call starts, and Run()
// waits for the calls still in flight (each has `call_timeout`).
//
// Thread-safety: one Run() at a time per generator.
#ifndef JOBCONTROL_BENCH_LOADGEN_GRPC_LOAD_GENERATOR_H_
#define JOBCONTROL_BENCH_LOADGEN_GRPC_LOAD_GENERATOR_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "bench/loadgen/load_report.h"
#include "bench/loadgen/request_source.h"
#include "grpcpp/channel.h"

namespace jobcontrol {
namespace bench {

struct LoadOptions {
  std::string target;  // host:port
  int concurrency = 1;  // >= 1
  int threads = 1;      // polling threads, 1..concurrency
  int connections = 1;  // separate HTTP/2 connections, >= 1
  absl::Duration warmup = absl::Seconds(1);
  absl::Duration duration = absl::Seconds(5);
  absl::Duration call_timeout = absl::Seconds(10);
  // Sent with every call, e.g. {"authorization", "Bearer ..."}.
  std::vector<std::pair<std::string, std::string>> metadata;
};

class GrpcLoadGenerator {
 public:
  explicit GrpcLoadGenerator(LoadOptions options);
  GrpcLoadGenerator(const GrpcLoadGenerator&) = delete;
  GrpcLoadGenerator& operator=(const GrpcLoadGenerator&) = delete;

  // Opens the connections (waiting up to `timeout` for each to be ready);
  // false if one cannot connect.
  bool Connect(absl::Duration timeout);
  // Runs the load with requests from `source`; Connect() first.
  LoadReport Run(RequestSource& source);

 private:
  LoadOptions options_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
};

// "OK", "NOT_FOUND", ... for a gRPC status code number.
std::string StatusCodeName(int code);

}  // namespace bench
}  // namespace jobcontrol

#endif  // JOBCONTROL_BENCH_LOADGEN_GRPC_LOAD_GENERATOR_H_
