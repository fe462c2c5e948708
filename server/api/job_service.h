// JobServiceImpl: jobcontrol.v1.JobService over a Store. Each method
// authorizes, validates, then reads or writes through the store; decisions
// about job state come from JobLifecycle / JobStateMachine only.
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

class JobServiceImpl final : public v1::JobService::Service {
 public:
  // `store`, `authorizer` and `hub` must outlive this object. Thread-safe.
  JobServiceImpl(Store* store, const RequestAuthorizer* authorizer,
                 const JobChangeHub* hub)
      : store_(store), authorizer_(authorizer), hub_(hub) {}

  grpc::Status SubmitJob(grpc::ServerContext* context,
                         const v1::SubmitJobRequest* request,
                         v1::Job* response) override;
  grpc::Status GetJob(grpc::ServerContext* context,
                      const v1::GetJobRequest* request,
                      v1::Job* response) override;
  grpc::Status ListJobs(grpc::ServerContext* context,
                        const v1::ListJobsRequest* request,
                        v1::ListJobsResponse* response) override;
  grpc::Status CancelJob(grpc::ServerContext* context,
                         const v1::CancelJobRequest* request,
                         v1::Job* response) override;
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
