// JobServiceImpl: jobcontrol.v1.JobService over a Store. Each method
// authorizes, validates, then reads or writes through the store; decisions
// about job state come from JobLifecycle / JobStateMachine only.
//
// SubmitJob and CancelJob are asynchronous methods here: JobWriteCalls
// serves them (job_write_calls.h), so that no thread sleeps on a commit.
// This class serves the others in gRPC's sync server.
//
// WatchJob and WaitJob read the store's kept job versions and wait on the
// JobChangeHub between reads, so a slow reader only delays itself. While
// the server drains (hub shut down) a WatchJob ends UNAVAILABLE (reason
// DRAINING; resume with after_version) and a WaitJob answers the job as it
// is, at once.
#ifndef JOBCONTROL_SERVER_API_JOB_SERVICE_H_
#define JOBCONTROL_SERVER_API_JOB_SERVICE_H_

#include "jobcontrol/v1/job_service.grpc.pb.h"
#include "server/api/request_authorizer.h"
#include "server/core/job_change_hub.h"
#include "server/store/store.h"

namespace jobcontrol {

using JobServiceBase = v1::JobService::WithAsyncMethod_SubmitJob<
    v1::JobService::WithAsyncMethod_CancelJob<v1::JobService::Service>>;

class JobServiceImpl final : public JobServiceBase {
 public:
  // `store`, `authorizer` and `hub` must outlive this object. Thread-safe.
  JobServiceImpl(Store* store, const RequestAuthorizer* authorizer,
                 const JobChangeHub* hub)
      : store_(store), authorizer_(authorizer), hub_(hub) {}

  grpc::Status GetJob(grpc::ServerContext* context,
                      const v1::GetJobRequest* request,
                      v1::Job* response) override;
  grpc::Status ListJobs(grpc::ServerContext* context,
                        const v1::ListJobsRequest* request,
                        v1::ListJobsResponse* response) override;
  grpc::Status WatchJob(grpc::ServerContext* context,
                        const v1::WatchJobRequest* request,
                        grpc::ServerWriter<v1::Job>* writer) override;
  grpc::Status WaitJob(grpc::ServerContext* context,
                       const v1::WaitJobRequest* request,
                       v1::Job* response) override;

 private:
  Store* store_;
  const RequestAuthorizer* authorizer_;
  const JobChangeHub* hub_;
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_API_JOB_SERVICE_H_
