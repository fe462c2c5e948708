// JobServiceImpl: jobcontrol.v1.JobService over a Store. Each method
// authorizes, validates, then reads or writes through the store; decisions
// about job state come from JobStateMachine only.
#ifndef JOBCONTROL_SERVER_API_JOB_SERVICE_H_
#define JOBCONTROL_SERVER_API_JOB_SERVICE_H_

#include "jobcontrol/v1/job_service.grpc.pb.h"
#include "server/api/request_authorizer.h"
#include "server/store/store.h"

namespace jobcontrol {

class JobServiceImpl final : public v1::JobService::Service {
 public:
  // `store` and `authorizer` must outlive this object. Thread-safe.
  JobServiceImpl(Store* store, const RequestAuthorizer* authorizer)
      : store_(store), authorizer_(authorizer) {}

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

 private:
  Store* store_;
  const RequestAuthorizer* authorizer_;
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_API_JOB_SERVICE_H_
