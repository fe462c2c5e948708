#include "bench/baseline/canned_job_service.h"

#include <algorithm>

#include "bench/loadgen/job_requests.h"

namespace jobcontrol {
namespace bench {
namespace {

void SetTime(google::protobuf::Timestamp* timestamp) {
  timestamp->set_seconds(1718000000);
  timestamp->set_nanos(123456000);
}

}  // namespace

CannedJobService::CannedJobService() {
  queued_job_ = BenchSubmitJobRequest(0).job();
  queued_job_.set_id("0123456789abcdef0123456789abcdef");
  queued_job_.set_state(v1::Job::QUEUED);
  queued_job_.set_kind(v1::JOB_KIND_DNA_ANALYSIS);
  queued_job_.set_pipeline_id("fedcba9876543210fedcba9876543210");
  queued_job_.set_priority(6);
  SetTime(queued_job_.mutable_create_time());
  SetTime(queued_job_.mutable_update_time());
  queued_job_.set_etag("v1");
  canceled_job_ = queued_job_;
  canceled_job_.set_state(v1::Job::CANCELED);
  SetTime(canceled_job_.mutable_end_time());
  canceled_job_.set_etag("v2");
}

grpc::Status CannedJobService::GetJob(grpc::ServerContext*,
                                      const v1::GetJobRequest*,
                                      v1::Job* response) {
  *response = queued_job_;
  return grpc::Status::OK;
}

grpc::Status CannedJobService::ListJobs(grpc::ServerContext*,
                                        const v1::ListJobsRequest* request,
                                        v1::ListJobsResponse* response) {
  const int size = request->page_size() <= 0
                       ? 50
                       : std::min(request->page_size(), 1000);
  for (int i = 0; i < size; ++i) *response->add_jobs() = queued_job_;
  response->set_next_page_token("canned-next-page-token");
  return grpc::Status::OK;
}

CannedWorkerService::CannedWorkerService() {
  v1::Job& job = *leased_.mutable_job();
  job = CannedJobService().queued_job();
  job.set_state(v1::Job::RUNNING);
  job.set_etag("v2");
  v1::Lease& lease = *leased_.mutable_lease();
  lease.set_job_id(job.id());
  lease.set_lease_id("0123456789abcdef0123456789abcdef:1");
  SetTime(lease.mutable_expire_time());
  lease.set_attempt(1);
  succeeded_job_ = job;
  succeeded_job_.set_state(v1::Job::SUCCEEDED);
  SetTime(succeeded_job_.mutable_end_time());
  succeeded_job_.set_etag("v3");
}

grpc::Status CannedWorkerService::LeaseJob(grpc::ServerContext*,
                                           const v1::LeaseJobRequest*,
                                           v1::LeaseJobResponse* response) {
  *response = leased_;
  return grpc::Status::OK;
}

grpc::Status CannedWorkerService::CompleteJob(grpc::ServerContext*,
                                              const v1::CompleteJobRequest*,
                                              v1::Job* response) {
  *response = succeeded_job_;
  return grpc::Status::OK;
}

}  // namespace bench
}  // namespace jobcontrol
