#include "server/api/job_service.h"

#include <utility>

#include "server/api/grpc_status.h"
#include "server/api/job_conversion.h"
#include "server/api/long_poll.h"
#include "server/api/page_token.h"
#include "server/api/request_validation.h"
#include "server/core/error_reason.h"

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

grpc::Status Abandoned() {
  return grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled");
}

}  // namespace

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
  JobToProto(*job, response);
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
  for (const Job& job : page->jobs) JobToProto(job, response->add_jobs());
  if (page->has_more && !page->jobs.empty()) {
    response->set_next_page_token(
        EncodePageToken(page->jobs.back().sequence, fingerprint));
  }
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::WatchJob(grpc::ServerContext* context,
                                      const v1::WatchJobRequest* request,
                                      grpc::ServerWriter<v1::Job>* writer) {
  auto principal = authorizer_->Authorize(*context, kActionJobsGet);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (auto s = ValidateWatchJobRequest(*request); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const std::string& tenant = principal->tenant;
  const std::string& id = request->job_id();

  // Also tells an unknown job (NOT_FOUND) before anything is streamed.
  auto current = store_->GetJob(tenant, id);
  if (!current.ok()) return ToGrpcStatus(current.status());
  int64_t last = request->after_version();
  v1::Job message;  // reused for every version written
  if (last == 0) {
    JobToProto(*current, &message);
    if (!writer->Write(message)) return Abandoned();
    if (IsTerminal(current->state)) return grpc::Status::OK;
    last = current->version;
  } else if (IsTerminal(current->state) && current->version <= last) {
    // The reader already has the final version (a resume after the stream
    // broke right at the end): nothing will follow.
    return grpc::Status::OK;
  }

  const LongPoll poll(hub_, context, absl::InfiniteFuture());
  constexpr int kVersionsPerRead = 100;
  for (;;) {
    const int64_t seen = hub_->Generation();
    auto versions = store_->ListJobVersions(tenant, id, last, kVersionsPerRead);
    if (!versions.ok()) return ToGrpcStatus(versions.status());
    for (const Job& version : *versions) {
      JobToProto(version, &message);
      if (!writer->Write(message)) return Abandoned();
      last = version.version;
      if (IsTerminal(version.state)) return grpc::Status::OK;
    }
    if (!versions->empty()) continue;  // there may be more: read on
    switch (poll.Wait(seen)) {
      case LongPollNext::kLookAgain:
        break;
      case LongPollNext::kLastLook:  // no deadline: the server is draining
        return ToGrpcStatus(ErrorWithReason(
            absl::StatusCode::kUnavailable, kReasonDraining,
            absl::StrCat("the server is shutting down; watch again with "
                         "after_version ",
                         last)));
      case LongPollNext::kAbandon:
        return Abandoned();
    }
  }
}

grpc::Status JobServiceImpl::WaitJob(grpc::ServerContext* context,
                                     const v1::WaitJobRequest* request,
                                     v1::Job* response) {
  auto principal = authorizer_->Authorize(*context, kActionJobsGet);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (auto s = ValidateWaitJobRequest(*request); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const absl::Duration timeout = request->has_timeout()
                                     ? FromDurationProto(request->timeout())
                                     : kDefaultWaitJobTimeout;
  const int64_t after_version = request->after_version();
  const LongPoll poll(hub_, context, LongPoll::DeadlineFor(*context, timeout));
  bool last_look = false;
  for (;;) {
    const int64_t seen = hub_->Generation();
    auto job = store_->GetJob(principal->tenant, request->job_id());
    if (!job.ok()) return ToGrpcStatus(job.status());
    if (IsTerminal(job->state) ||
        (after_version > 0 && job->version > after_version) || last_look ||
        poll.Expired()) {
      JobToProto(*job, response);
      return grpc::Status::OK;
    }
    switch (poll.Wait(seen)) {
      case LongPollNext::kLookAgain:
        break;
      case LongPollNext::kLastLook:
        last_look = true;
        break;
      case LongPollNext::kAbandon:
        return Abandoned();
    }
  }
}

}  // namespace jobcontrol
