// CannedJobService (and CannedWorkerService): the baseline of the benchmarks. It implements
// jobcontrol.v1.JobService from the same protos as jobcontrold, but every
// handler answers at once with a canned response: no authentication, no
// validation, no store. Measured side by side with jobcontrold, through the
// same client, it shows what the gRPC stack alone costs on this machine, so
// jobcontrold's numbers can be stated as ratios.
//
// The canned job has the shape jobcontrold returns for a submitted DNA job
// (same fields, similar sizes), so both servers send similar bytes.
//
// Thread-safety: the handlers only read the canned messages.
#ifndef JOBCONTROL_BENCH_BASELINE_CANNED_JOB_SERVICE_H_
#define JOBCONTROL_BENCH_BASELINE_CANNED_JOB_SERVICE_H_

#include "jobcontrol/v1/job.pb.h"
#include "jobcontrol/v1/job_service.grpc.pb.h"
#include "jobcontrol/v1/worker_service.grpc.pb.h"
#include "server/api/job_service.h"

namespace jobcontrol {
namespace bench {

// SubmitJob and CancelJob are asynchronous methods, as in jobcontrold
// (JobServiceBase): CannedWriteCalls answers them.
class CannedJobService final : public JobServiceBase {
 public:
  CannedJobService();

  grpc::Status GetJob(grpc::ServerContext* context,
                      const v1::GetJobRequest* request,
                      v1::Job* response) override;
  // A page of min(page_size or 50, 1000) copies of the canned job.
  grpc::Status ListJobs(grpc::ServerContext* context,
                        const v1::ListJobsRequest* request,
                        v1::ListJobsResponse* response) override;

  // The canned QUEUED job every answer is made from (SubmitJob's answer).
  const v1::Job& queued_job() const { return queued_job_; }
  // CancelJob's answer.
  const v1::Job& canceled_job() const { return canceled_job_; }

 private:
  v1::Job queued_job_;
  v1::Job canceled_job_;
};

// The baseline of the dispatch benchmark: LeaseJob hands out the canned job
// (RUNNING, with a lease) at once, never waiting; CompleteJob answers it
// SUCCEEDED. Other WorkerService methods are UNIMPLEMENTED.
class CannedWorkerService final : public v1::WorkerService::Service {
 public:
  CannedWorkerService();

  grpc::Status LeaseJob(grpc::ServerContext* context,
                        const v1::LeaseJobRequest* request,
                        v1::LeaseJobResponse* response) override;
  grpc::Status CompleteJob(grpc::ServerContext* context,
                           const v1::CompleteJobRequest* request,
                           v1::Job* response) override;

 private:
  v1::LeaseJobResponse leased_;
  v1::Job succeeded_job_;
};

}  // namespace bench
}  // namespace jobcontrol

#endif  // JOBCONTROL_BENCH_BASELINE_CANNED_JOB_SERVICE_H_
