// RequestSource: the requests of the calls a load generator issues, all to
// one gRPC method, as serialized bytes (the generator is protocol-agnostic:
// it drives any unary method of any service through grpc::GenericStub).
//
// Two pools cover the scenarios: CyclingRequestSource repeats its requests
// forever (GetJob over a set of ids, SubmitJob, ListJobs) and
// SingleUseRequestSource hands each out once (CancelJob of distinct queued
// jobs). A new scenario usually needs only a new request builder
// (job_requests.h), not a new source.
//
// Thread-safety: Next() may be called from any number of threads.
#ifndef JOBCONTROL_BENCH_LOADGEN_REQUEST_SOURCE_H_
#define JOBCONTROL_BENCH_LOADGEN_REQUEST_SOURCE_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "grpcpp/support/byte_buffer.h"

namespace jobcontrol {
namespace bench {

class RequestSource {
 public:
  virtual ~RequestSource() = default;
  // Full method name, "/jobcontrol.v1.JobService/GetJob".
  virtual const std::string& method() const = 0;
  // Sets `*request` to the next call's request; false when the source has
  // none left (the run is then reported as not clean).
  virtual bool Next(grpc::ByteBuffer* request) = 0;
};

// Repeats `requests` (at least one) in order, forever.
class CyclingRequestSource : public RequestSource {
 public:
  CyclingRequestSource(std::string method,
                       std::vector<grpc::ByteBuffer> requests);
  const std::string& method() const override { return method_; }
  bool Next(grpc::ByteBuffer* request) override;

 private:
  const std::string method_;
  const std::vector<grpc::ByteBuffer> requests_;
  std::atomic<uint64_t> next_{0};
};

// Hands out each of `requests` exactly once.
class SingleUseRequestSource : public RequestSource {
 public:
  SingleUseRequestSource(std::string method,
                         std::vector<grpc::ByteBuffer> requests);
  const std::string& method() const override { return method_; }
  bool Next(grpc::ByteBuffer* request) override;

 private:
  const std::string method_;
  const std::vector<grpc::ByteBuffer> requests_;
  std::atomic<uint64_t> next_{0};
};

}  // namespace bench
}  // namespace jobcontrol

#endif  // JOBCONTROL_BENCH_LOADGEN_REQUEST_SOURCE_H_
