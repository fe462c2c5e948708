// JobWriteCalls: jobcontrol.v1.JobService's SubmitJob and CancelJob, the two
// methods whose answer waits for a durable commit, served through gRPC's
// asynchronous API so that no thread sleeps while its commit is pending.
// A call is authorized and validated on a CompletionQueueThreads thread and
// handed to the store (Store::SubmitJobAsync, Store::UpdateJobAsync); when
// the store reports the commit, the store's writer posts the answer to a
// WorkQueueThread, which sends it: one wake-up for a whole group commit,
// and the writer goes on with the next group meanwhile. In the sync server
// each of these calls held a thread asleep until its commit and was woken
// alone; bench/README.md has what that cost.
//
// Answers, errors and ErrorInfo are exactly those of the other JobService
// methods (design.md §3). At most kMaxWriteCallsInFlight calls wait for the
// store at once; a call beyond that is answered RESOURCE_EXHAUSTED at once,
// as the sync server answers a call beyond its thread bound.
//
// Lifecycle: construct before ServerBuilder::BuildAndStart (it adds the
// completion queue), Start() after it. To stop: shut the server down
// (in-flight calls still finish: the store must stay open), then Shutdown().
#ifndef JOBCONTROL_SERVER_API_JOB_WRITE_CALLS_H_
#define JOBCONTROL_SERVER_API_JOB_WRITE_CALLS_H_

#include <condition_variable>
#include <mutex>

#include "grpcpp/server_builder.h"
#include "server/api/completion_queue_threads.h"
#include "server/api/job_service.h"
#include "server/api/request_authorizer.h"
#include "server/api/work_queue_thread.h"
#include "server/store/store.h"

namespace jobcontrol {

inline constexpr int kMaxWriteCallsInFlight = 2048;

class JobWriteCalls {
 public:
  // `service` must be registered on `builder`; it, `store` and `authorizer`
  // must outlive this object. `thread_count` threads serve the calls.
  JobWriteCalls(grpc::ServerBuilder& builder, JobServiceImpl* service,
                Store* store, const RequestAuthorizer* authorizer,
                int thread_count);
  ~JobWriteCalls();  // Shutdown()
  JobWriteCalls(const JobWriteCalls&) = delete;
  JobWriteCalls& operator=(const JobWriteCalls&) = delete;

  // After BuildAndStart: starts the threads and takes calls.
  void Start();
  // After the server shut down: waits until every call taken was answered,
  // then stops the threads. Idempotent.
  void Shutdown();

 private:
  class Call;
  class SubmitJobCall;
  class CancelJobCall;

  // A call was taken; false if kMaxWriteCallsInFlight are in flight.
  bool BeginCall();
  void EndCall();

  JobServiceImpl* const service_;
  Store* const store_;
  const RequestAuthorizer* const authorizer_;
  CompletionQueueThreads threads_;
  WorkQueueThread answers_;  // sends the answers the store completed

  std::mutex in_flight_mutex_;
  std::condition_variable none_in_flight_;
  int in_flight_ = 0;  // guarded by in_flight_mutex_
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_API_JOB_WRITE_CALLS_H_
