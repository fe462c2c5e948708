#include "client/jobcontrol_client.h"

#include <chrono>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/empty.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace jobcontrol {
namespace {

// Payload type URLs under which FromGrpcStatus stores the ErrorInfo reason and
// `field` metadata. Private to the client: read them with ErrorReason() and
// ErrorField().
constexpr char kReasonPayloadUrl[] = "type.jobcontrol.client/error_reason";
constexpr char kFieldPayloadUrl[] = "type.jobcontrol.client/error_field";

// The gRPC status as an absl::Status with the same code and message, plus the
// reason and field of the google.rpc.ErrorInfo found in the status details.
absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status converted(static_cast<absl::StatusCode>(status.error_code()),
                         status.error_message());
  google::rpc::Status details;
  if (status.error_details().empty() ||
      !details.ParseFromString(status.error_details())) {
    return converted;
  }
  for (const google::protobuf::Any& detail : details.details()) {
    google::rpc::ErrorInfo info;
    if (!detail.Is<google::rpc::ErrorInfo>() || !detail.UnpackTo(&info)) {
      continue;
    }
    if (!info.reason().empty()) {
      converted.SetPayload(kReasonPayloadUrl, absl::Cord(info.reason()));
    }
    const auto field = info.metadata().find("field");
    if (field != info.metadata().end() && !field->second.empty()) {
      converted.SetPayload(kFieldPayloadUrl, absl::Cord(field->second));
    }
    break;
  }
  return converted;
}

std::string PayloadOf(const absl::Status& status, absl::string_view url) {
  absl::optional<absl::Cord> payload = status.GetPayload(url);
  return payload.has_value() ? std::string(*payload) : std::string();
}

// Makes one unary call through `stub` with the options' token and deadline.
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Invoke(
    const ClientOptions& options, Stub* stub,
    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                 Response*),
    const Request& request) {
  grpc::ClientContext context;
  if (!options.bearer_token.empty()) {
    context.AddMetadata("authorization",
                        absl::StrCat("Bearer ", options.bearer_token));
  }
  if (options.timeout != absl::InfiniteDuration()) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + options.timeout));
  }
  Response response;
  const grpc::Status status = (stub->*method)(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

}  // namespace

JobControlClient::JobControlClient(const ClientOptions& options)
    : options_(options) {
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(options_.server, grpc::InsecureChannelCredentials());
  jobs_ = v1::JobService::NewStub(channel);
  pipelines_ = v1::PipelineService::NewStub(channel);
}

absl::StatusOr<v1::Job> JobControlClient::SubmitJob(
    const v1::SubmitJobRequest& request) {
  return Invoke(options_, jobs_.get(), &v1::JobService::Stub::SubmitJob,
                request);
}

absl::StatusOr<v1::Job> JobControlClient::GetJob(const std::string& job_id) {
  v1::GetJobRequest request;
  request.set_job_id(job_id);
  return Invoke(options_, jobs_.get(), &v1::JobService::Stub::GetJob, request);
}

absl::StatusOr<v1::ListJobsResponse> JobControlClient::ListJobs(
    const v1::ListJobsRequest& request) {
  return Invoke(options_, jobs_.get(), &v1::JobService::Stub::ListJobs,
                request);
}

absl::StatusOr<v1::Job> JobControlClient::CancelJob(const std::string& job_id) {
  v1::CancelJobRequest request;
  request.set_job_id(job_id);
  return Invoke(options_, jobs_.get(), &v1::JobService::Stub::CancelJob,
                request);
}

absl::StatusOr<v1::Pipeline> JobControlClient::CreatePipeline(
    const v1::Pipeline& pipeline) {
  v1::CreatePipelineRequest request;
  *request.mutable_pipeline() = pipeline;
  return Invoke(options_, pipelines_.get(),
                &v1::PipelineService::Stub::CreatePipeline, request);
}

absl::StatusOr<v1::Pipeline> JobControlClient::GetPipeline(
    const std::string& pipeline_id) {
  v1::GetPipelineRequest request;
  request.set_pipeline_id(pipeline_id);
  return Invoke(options_, pipelines_.get(),
                &v1::PipelineService::Stub::GetPipeline, request);
}

absl::StatusOr<v1::ListPipelinesResponse> JobControlClient::ListPipelines(
    const v1::ListPipelinesRequest& request) {
  return Invoke(options_, pipelines_.get(),
                &v1::PipelineService::Stub::ListPipelines, request);
}

absl::StatusOr<v1::Pipeline> JobControlClient::UpdatePipeline(
    const v1::UpdatePipelineRequest& request) {
  return Invoke(options_, pipelines_.get(),
                &v1::PipelineService::Stub::UpdatePipeline, request);
}

absl::Status JobControlClient::DeletePipeline(const std::string& pipeline_id) {
  v1::DeletePipelineRequest request;
  request.set_pipeline_id(pipeline_id);
  return Invoke(options_, pipelines_.get(),
                &v1::PipelineService::Stub::DeletePipeline, request)
      .status();
}

std::string ErrorReason(const absl::Status& status) {
  return PayloadOf(status, kReasonPayloadUrl);
}

std::string ErrorField(const absl::Status& status) {
  return PayloadOf(status, kFieldPayloadUrl);
}

}  // namespace jobcontrol
