#include "server/api/job_service.h"

#include <utility>

#include "server/api/grpc_status.h"
#include "server/api/job_conversion.h"
#include "server/api/page_token.h"
#include "server/api/request_validation.h"
#include "server/core/clock.h"
#include "server/core/job_state_machine.h"

namespace jobcontrol {
namespace {

JobQuery QueryFromFilter(const v1::JobFilter& filter) {
  JobQuery query;
  for (int state : filter.states()) {
    query.states.push_back(static_cast<JobState>(state));
  }
  if (!filter.pipeline_id().empty()) query.pipeline_id = filter.pipeline_id();
  if (filter.kind() != v1::JOB_KIND_UNSPECIFIED) {
    query.kind = static_cast<JobKind>(filter.kind());
  }
  if (filter.has_create_time_from()) {
    query.create_time_from = FromTimestamp(filter.create_time_from());
  }
  if (filter.has_create_time_to()) {
    query.create_time_to = FromTimestamp(filter.create_time_to());
  }
  return query;
}

}  // namespace

grpc::Status JobServiceImpl::SubmitJob(grpc::ServerContext* context,
                                       const v1::SubmitJobRequest* request,
                                       v1::Job* response) {
  auto principal = authorizer_->Authorize(*context, kActionJobsSubmit);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (auto s = ValidateSubmitJobRequest(*request); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const JobSubmission submission =
      SubmissionFromRequest(*request, principal->tenant, CurrentTime());
  auto result = store_->SubmitJob(submission);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = JobToProto(result->job);
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::GetJob(grpc::ServerContext* context,
                                    const v1::GetJobRequest* request,
                                    v1::Job* response) {
  auto principal = authorizer_->Authorize(*context, kActionJobsGet);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (auto s = ValidateResourceId("job_id", request->job_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto job = store_->GetJob(principal->tenant, request->job_id());
  if (!job.ok()) return ToGrpcStatus(job.status());
  *response = JobToProto(*job);
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::ListJobs(grpc::ServerContext* context,
                                      const v1::ListJobsRequest* request,
                                      v1::ListJobsResponse* response) {
  auto principal = authorizer_->Authorize(*context, kActionJobsList);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  auto page_size = EffectivePageSize(request->page_size());
  if (!page_size.ok()) return ToGrpcStatus(page_size.status());
  if (auto s = ValidateJobFilter(request->filter()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const uint64_t fingerprint =
      QueryFingerprint(SerializeDeterministically(request->filter()));
  JobQuery query = QueryFromFilter(request->filter());
  query.limit = *page_size;
  if (!request->page_token().empty()) {
    auto cursor = DecodePageToken(request->page_token(), fingerprint);
    if (!cursor.ok()) return ToGrpcStatus(cursor.status());
    query.before_sequence = *cursor;
  }
  auto page = store_->ListJobs(principal->tenant, query);
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (const Job& job : page->jobs) *response->add_jobs() = JobToProto(job);
  if (page->has_more && !page->jobs.empty()) {
    response->set_next_page_token(
        EncodePageToken(page->jobs.back().sequence, fingerprint));
  }
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::CancelJob(grpc::ServerContext* context,
                                       const v1::CancelJobRequest* request,
                                       v1::Job* response) {
  auto principal = authorizer_->Authorize(*context, kActionJobsCancel);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (auto s = ValidateResourceId("job_id", request->job_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const absl::Time now = CurrentTime();
  auto job = store_->UpdateJob(
      principal->tenant, request->job_id(), [now](const Job& current) {
        return JobStateMachine::Apply(current, JobEvent::kCancel,
                                      /*attempts_left=*/false, now);
      });
  if (!job.ok()) return ToGrpcStatus(job.status());
  *response = JobToProto(*job);
  return grpc::Status::OK;
}

}  // namespace jobcontrol
