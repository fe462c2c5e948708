// WorkerServiceImpl: jobcontrol.v1.WorkerService over a Store. Each method
// authorizes, validates, then applies one JobLifecycle decision as the
// `decide` function of a single store compare-and-set, so a worker call
// racing a cancel, a lease expiry or another worker has exactly one winner.
//
// LeaseJob long-polls: it looks for a dispatchable job, and when there is
// none registers a lease wait with the store (Store::LeaseNextJobOrWait),
// which leases it a job in the commit that makes one dispatchable, and
// waits on the JobChangeHub (woken by every commit and by the lease expiry
// sweeper) for that outcome until now + min(wait_timeout, time left before
// the call's deadline). Give the call a deadline a little longer than
// wait_timeout, or it may end DEADLINE_EXCEEDED instead of empty. While the
// server drains (hub shut down) a waiting LeaseJob answers empty at once.
//
// Lease durations: a lease lasts the LeaseJobRequest.lease_duration when set,
// else the pipeline's retry_policy.lease_duration as read when the LeaseJob
// call started. RenewLease extends a lease by the duration it was granted
// with, which the lease_id records (see worker_service.cc), so a worker that
// asked for a long lease keeps it across renewals.
#ifndef JOBCONTROL_SERVER_API_WORKER_SERVICE_H_
#define JOBCONTROL_SERVER_API_WORKER_SERVICE_H_

#include "jobcontrol/v1/worker_service.grpc.pb.h"
#include "server/api/request_authorizer.h"
#include "server/core/job_change_hub.h"
#include "server/store/store.h"

namespace jobcontrol {

class WorkerServiceImpl final : public v1::WorkerService::Service {
 public:
  // `store`, `authorizer` and `hub` must outlive this object. Thread-safe.
  WorkerServiceImpl(Store* store, const RequestAuthorizer* authorizer,
                    const JobChangeHub* hub)
      : store_(store), authorizer_(authorizer), hub_(hub) {}

  // Also NOT_FOUND (PIPELINE_NOT_FOUND, field "pipeline_ids[i]") when a
  // named pipeline does not exist for the caller's tenant: a worker
  // configured with a wrong pipeline ID learns it instead of idling.
  grpc::Status LeaseJob(grpc::ServerContext* context,
                        const v1::LeaseJobRequest* request,
                        v1::LeaseJobResponse* response) override;
  grpc::Status RenewLease(grpc::ServerContext* context,
                          const v1::RenewLeaseRequest* request,
                          v1::RenewLeaseResponse* response) override;
  grpc::Status CompleteJob(grpc::ServerContext* context,
                           const v1::CompleteJobRequest* request,
                           v1::Job* response) override;
  // Backoff for a retry follows the job's pipeline's retry_policy, read just
  // before the job is updated; the jitter is random per call.
  grpc::Status FailJob(grpc::ServerContext* context,
                       const v1::FailJobRequest* request,
                       v1::Job* response) override;
  grpc::Status AcknowledgeCancel(grpc::ServerContext* context,
                                 const v1::AcknowledgeCancelRequest* request,
                                 v1::Job* response) override;

 private:
  Store* store_;
  const RequestAuthorizer* authorizer_;
  const JobChangeHub* hub_;
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_API_WORKER_SERVICE_H_
