#include "server/api/pipeline_service.h"

#include "absl/strings/str_cat.h"
#include "server/api/grpc_status.h"
#include "server/api/job_conversion.h"
#include "server/api/page_token.h"
#include "server/api/request_validation.h"
#include "server/core/clock.h"
#include "server/core/error_reason.h"
#include "server/core/ids.h"

namespace jobcontrol {
namespace {

// Pipeline lists have no filter: every token is bound to the same query.
constexpr uint64_t kPipelineListFingerprint = 0x706970656c696e65ull;

}  // namespace

grpc::Status PipelineServiceImpl::CreatePipeline(
    grpc::ServerContext* context, const v1::CreatePipelineRequest* request,
    v1::Pipeline* response) {
  auto principal = authorizer_->Authorize(*context, kActionPipelinesCreate);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (auto s = ValidateCreatePipelineRequest(*request); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const v1::Pipeline& in = request->pipeline();
  const absl::Time now = CurrentTime();
  Pipeline pipeline;
  pipeline.tenant = principal->tenant;
  pipeline.id = NewResourceId();
  CreatedPipelineToCore(in, &pipeline);
  pipeline.create_time = now;
  pipeline.update_time = now;
  auto created = store_->CreatePipeline(pipeline);
  if (!created.ok()) return ToGrpcStatus(created.status());
  *response = PipelineToProto(*created);
  return grpc::Status::OK;
}

grpc::Status PipelineServiceImpl::GetPipeline(
    grpc::ServerContext* context, const v1::GetPipelineRequest* request,
    v1::Pipeline* response) {
  auto principal = authorizer_->Authorize(*context, kActionPipelinesGet);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (auto s = ValidateResourceId("pipeline_id", request->pipeline_id());
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto pipeline =
      store_->GetPipeline(principal->tenant, request->pipeline_id());
  if (!pipeline.ok()) return ToGrpcStatus(pipeline.status());
  *response = PipelineToProto(*pipeline);
  return grpc::Status::OK;
}

grpc::Status PipelineServiceImpl::ListPipelines(
    grpc::ServerContext* context, const v1::ListPipelinesRequest* request,
    v1::ListPipelinesResponse* response) {
  auto principal = authorizer_->Authorize(*context, kActionPipelinesList);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  auto page_size = EffectivePageSize(request->page_size());
  if (!page_size.ok()) return ToGrpcStatus(page_size.status());
  PipelineQuery query;
  query.limit = *page_size;
  if (!request->page_token().empty()) {
    auto cursor =
        DecodePageToken(request->page_token(), kPipelineListFingerprint);
    if (!cursor.ok()) return ToGrpcStatus(cursor.status());
    query.after_sequence = *cursor;
  } else {
    // Every tenant has a default pipeline; make it visible from the start.
    auto created =
        store_->GetOrCreateDefaultPipeline(principal->tenant, CurrentTime());
    if (!created.ok()) return ToGrpcStatus(created.status());
  }
  auto page = store_->ListPipelines(principal->tenant, query);
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (const Pipeline& p : page->pipelines) {
    *response->add_pipelines() = PipelineToProto(p);
  }
  if (page->has_more && !page->pipelines.empty()) {
    response->set_next_page_token(EncodePageToken(
        page->pipelines.back().sequence, kPipelineListFingerprint));
  }
  return grpc::Status::OK;
}

grpc::Status PipelineServiceImpl::UpdatePipeline(
    grpc::ServerContext* context, const v1::UpdatePipelineRequest* request,
    v1::Pipeline* response) {
  auto principal = authorizer_->Authorize(*context, kActionPipelinesUpdate);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (auto s = ValidateUpdatePipelineRequest(*request); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const v1::Pipeline& in = request->pipeline();
  const auto& paths = request->update_mask().paths();
  const absl::Time now = CurrentTime();
  auto updated = store_->UpdatePipeline(
      principal->tenant, in.id(),
      [&](const Pipeline& current) -> absl::StatusOr<Pipeline> {
        if (!in.etag().empty() && in.etag() != EtagOf(current.version)) {
          return ErrorWithReason(
              absl::StatusCode::kAborted, kReasonEtagMismatch,
              absl::StrCat("pipeline ", current.id, " changed since etag ",
                           in.etag(), "; read it again and retry"),
              "pipeline.etag");
        }
        Pipeline next = current;
        for (const std::string& path : paths) {
          if (path == "name") next.name = in.name();
          if (path == "state") {
            next.state = static_cast<PipelineState>(in.state());
          }
          if (path == "priority") next.priority = in.priority();
          if (path == "max_running_jobs") {
            next.max_running_jobs = in.max_running_jobs();
          }
          if (path == "retry_policy") {
            next.retry_policy = RetryPolicyFromProto(in.retry_policy());
          }
        }
        if (next.name != current.name || next.state != current.state ||
            next.priority != current.priority ||
            next.max_running_jobs != current.max_running_jobs ||
            next.retry_policy != current.retry_policy) {
          next.update_time = now;
        }
        return next;
      });
  if (!updated.ok()) return ToGrpcStatus(updated.status());
  *response = PipelineToProto(*updated);
  return grpc::Status::OK;
}

grpc::Status PipelineServiceImpl::DeletePipeline(
    grpc::ServerContext* context, const v1::DeletePipelineRequest* request,
    google::protobuf::Empty* /*response*/) {
  auto principal = authorizer_->Authorize(*context, kActionPipelinesDelete);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (auto s = ValidateResourceId("pipeline_id", request->pipeline_id());
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  return ToGrpcStatus(
      store_->DeletePipeline(principal->tenant, request->pipeline_id()));
}

}  // namespace jobcontrol
