// JobControlClient: a small synchronous C++ client of jobcontrol.v1, used by
// jobctl and the tests. Errors come back as absl::Status with the gRPC code,
// the message, and the ErrorInfo reason (see ErrorReason()).
//
// Thread-safety: a JobControlClient may be used by several threads at once
// (the reference worker renews its lease from one thread while another waits
// for the command). A CallCanceller is thread-safe too.
#ifndef JOBCONTROL_CLIENT_JOBCONTROL_CLIENT_H_
#define JOBCONTROL_CLIENT_JOBCONTROL_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/rpc/status.pb.h"
#include "jobcontrol/v1/job_service.grpc.pb.h"
#include "jobcontrol/v1/pipeline_service.grpc.pb.h"
#include "jobcontrol/v1/worker_service.grpc.pb.h"

namespace grpc {
class ClientContext;
}  // namespace grpc

namespace jobcontrol {
namespace client_internal {
class CancellationScope;
}  // namespace client_internal

struct ClientOptions {
  std::string server = "127.0.0.1:50051";      // host:port, plaintext
  std::string bearer_token;                    // sent as authorization: Bearer
  absl::Duration timeout = absl::Seconds(30);  // per call deadline
};

// Ends calls that another thread is making: the long polls (LeaseJob,
// WaitJob) and WatchJob take one. After Cancel(), the calls in flight and
// every later call given this canceller fail at once with CANCELLED.
class CallCanceller {
 public:
  CallCanceller() = default;
  CallCanceller(const CallCanceller&) = delete;
  CallCanceller& operator=(const CallCanceller&) = delete;

  void Cancel();
  bool cancelled() const;

 private:
  friend class client_internal::CancellationScope;
  // Adds `context` to the calls to cancel; false (and nothing added) if
  // Cancel() was called already. `context` must be removed with Remove()
  // before it is destroyed.
  bool Add(grpc::ClientContext* context);
  void Remove(grpc::ClientContext* context);

  mutable absl::Mutex mutex_;
  bool cancelled_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<grpc::ClientContext*> contexts_ ABSL_GUARDED_BY(mutex_);
};

class JobControlClient {
 public:
  explicit JobControlClient(const ClientOptions& options);
  JobControlClient(const JobControlClient&) = delete;
  JobControlClient& operator=(const JobControlClient&) = delete;

  // --- JobService. Each call's deadline is options.timeout unless said.
  absl::StatusOr<v1::Job> SubmitJob(const v1::SubmitJobRequest& request);
  absl::StatusOr<v1::Job> GetJob(const std::string& job_id);
  absl::StatusOr<v1::ListJobsResponse> ListJobs(
      const v1::ListJobsRequest& request);
  // With `allow_running`, a RUNNING job becomes CANCELING instead of the call
  // failing with FAILED_PRECONDITION (JOB_NOT_QUEUED).
  absl::StatusOr<v1::Job> CancelJob(const std::string& job_id,
                                    bool allow_running = false);

  // Streams the job (WatchJob): calls `on_version` with every version the
  // server sends, in order, starting after `after_version` (0: with the job
  // as it is now). Returns OK when the stream ends after a terminal state or
  // when `on_version` returns false (the stream is then cancelled), else the
  // error that ended the stream; the caller may resume with the last version
  // it saw. The stream has no deadline; `canceller`, if not null, ends it
  // (CANCELLED). `on_version` runs on the calling thread.
  absl::Status WatchJob(const std::string& job_id, int64_t after_version,
                        const std::function<bool(const v1::Job&)>& on_version,
                        CallCanceller* canceller = nullptr);

  // Long-polls the job (WaitJob): returns it as soon as it is terminal or
  // (with after_version > 0) its version exceeds `after_version`, else as it
  // is once `timeout` passed. The call's deadline is `timeout` plus
  // max(options.timeout, 10s), so the answer has time to arrive.
  absl::StatusOr<v1::Job> WaitJob(const std::string& job_id,
                                  absl::Duration timeout,
                                  int64_t after_version = 0,
                                  CallCanceller* canceller = nullptr);

  // --- PipelineService.
  absl::StatusOr<v1::Pipeline> CreatePipeline(const v1::Pipeline& pipeline);
  absl::StatusOr<v1::Pipeline> GetPipeline(const std::string& pipeline_id);
  absl::StatusOr<v1::ListPipelinesResponse> ListPipelines(
      const v1::ListPipelinesRequest& request);
  absl::StatusOr<v1::Pipeline> UpdatePipeline(
      const v1::UpdatePipelineRequest& request);
  absl::Status DeletePipeline(const std::string& pipeline_id);

  // --- WorkerService. `lease_id` is Lease.lease_id from LeaseJob; a stale
  // one gives FAILED_PRECONDITION with reason LEASE_LOST.

  // Leases a job, waiting up to request.wait_timeout for one. The call's
  // deadline is the wait plus max(options.timeout, 10s). The response has
  // neither job nor lease when none came in time.
  absl::StatusOr<v1::LeaseJobResponse> LeaseJob(
      const v1::LeaseJobRequest& request, CallCanceller* canceller = nullptr);
  absl::StatusOr<v1::RenewLeaseResponse> RenewLease(
      const std::string& job_id, const std::string& lease_id);
  absl::StatusOr<v1::Job> CompleteJob(const std::string& job_id,
                                      const std::string& lease_id,
                                      const v1::JobResult& result);
  // `error` needs a non-OK code; its details are not kept by the server.
  absl::StatusOr<v1::Job> FailJob(const std::string& job_id,
                                  const std::string& lease_id,
                                  const google::rpc::Status& error,
                                  bool retryable);
  absl::StatusOr<v1::Job> AcknowledgeCancel(const std::string& job_id,
                                            const std::string& lease_id);

 private:
  ClientOptions options_;
  std::unique_ptr<v1::JobService::Stub> jobs_;
  std::unique_ptr<v1::PipelineService::Stub> pipelines_;
  std::unique_ptr<v1::WorkerService::Stub> workers_;
};

// The ErrorInfo reason and `field` metadata carried by an error returned from
// JobControlClient; empty if none.
std::string ErrorReason(const absl::Status& status);
std::string ErrorField(const absl::Status& status);

// Whether `job` is SUCCEEDED, FAILED or CANCELED.
bool JobIsTerminal(const v1::Job& job);

}  // namespace jobcontrol

#endif  // JOBCONTROL_CLIENT_JOBCONTROL_CLIENT_H_
