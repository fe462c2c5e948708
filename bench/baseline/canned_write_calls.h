// CannedWriteCalls: the baseline's SubmitJob and CancelJob, served like
// jobcontrold's (JobWriteCalls): through gRPC's asynchronous API on
// AsyncCallThreadCount() completion-queue threads. Each call is answered at
// once, on the queue thread that took it, with the canned job of
// CannedJobService. So the baseline and jobcontrold differ in what the
// handlers do, not in how gRPC serves them.
//
// Lifecycle: construct before BuildAndStart (it adds the completion queue),
// Start() after it; Shutdown() after the server's Shutdown().
#ifndef JOBCONTROL_BENCH_BASELINE_CANNED_WRITE_CALLS_H_
#define JOBCONTROL_BENCH_BASELINE_CANNED_WRITE_CALLS_H_

#include "bench/baseline/canned_job_service.h"
#include "grpcpp/server_builder.h"
#include "server/api/completion_queue_threads.h"

namespace jobcontrol {
namespace bench {

class CannedWriteCalls {
 public:
  // `service` must be registered on `builder` and outlive this object.
  CannedWriteCalls(grpc::ServerBuilder& builder, CannedJobService* service);
  void Start();
  void Shutdown() { threads_.Shutdown(); }

 private:
  class Call;

  CannedJobService* const service_;
  CompletionQueueThreads threads_;
};

}  // namespace bench
}  // namespace jobcontrol

#endif  // JOBCONTROL_BENCH_BASELINE_CANNED_WRITE_CALLS_H_
