#include "client/jobcontrol_client.h"

#include <algorithm>
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
#include "grpcpp/support/sync_stream.h"

namespace jobcontrol {
namespace client_internal {

// Keeps a call's context registered with a CallCanceller while the call runs.
class CancellationScope {
 public:
  // `canceller` may be null: then nothing is registered.
  CancellationScope(CallCanceller* canceller, grpc::ClientContext* context)
      : canceller_(canceller), context_(context) {
    registered_ = canceller_ != nullptr && canceller_->Add(context_);
  }
  CancellationScope(const CancellationScope&) = delete;
  CancellationScope& operator=(const CancellationScope&) = delete;
  ~CancellationScope() {
    if (registered_) canceller_->Remove(context_);
  }

  // Whether the canceller was cancelled before the call could begin.
  bool cancelled_before_start() const {
    return canceller_ != nullptr && !registered_;
  }

 private:
  CallCanceller* const canceller_;
  grpc::ClientContext* const context_;
  bool registered_ = false;
};

}  // namespace client_internal

namespace {

using client_internal::CancellationScope;

// Payload type URLs under which FromGrpcStatus stores the ErrorInfo reason and
// `field` metadata. Private to the client: read them with ErrorReason() and
// ErrorField().
constexpr char kReasonPayloadUrl[] = "type.jobcontrol.client/error_reason";
constexpr char kFieldPayloadUrl[] = "type.jobcontrol.client/error_field";

// The shortest time a long poll's answer is given after its wait ends.
constexpr absl::Duration kMinimumAnswerTime = absl::Seconds(10);

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

absl::Duration FromProtoDuration(const google::protobuf::Duration& duration) {
  return absl::Seconds(duration.seconds()) +
         absl::Nanoseconds(duration.nanos());
}

google::protobuf::Duration ToProtoDuration(absl::Duration duration) {
  absl::Duration remainder;
  const int64_t seconds =
      absl::IDivDuration(duration, absl::Seconds(1), &remainder);
  google::protobuf::Duration proto;
  proto.set_seconds(seconds);
  proto.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(remainder)));
  return proto;
}

// The deadline of a call that waits up to `wait` on the server.
absl::Duration LongPollTimeout(const ClientOptions& options,
                               absl::Duration wait) {
  return std::max(wait, absl::ZeroDuration()) +
         std::max(options.timeout, kMinimumAnswerTime);
}

// Adds the options' token to `context` and, unless `timeout` is infinite, a
// deadline `timeout` from now.
void PrepareContext(const ClientOptions& options, absl::Duration timeout,
                    grpc::ClientContext& context) {
  if (!options.bearer_token.empty()) {
    context.AddMetadata("authorization",
                        absl::StrCat("Bearer ", options.bearer_token));
  }
  if (timeout != absl::InfiniteDuration()) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  }
}

absl::Status CancelledBeforeStart() {
  return absl::CancelledError("the call was cancelled before it began");
}

// Makes one unary call through `stub` with the options' token, a deadline
// `timeout` from now, and `canceller` (may be null) able to end it.
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Invoke(
    const ClientOptions& options, Stub* stub,
    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                 Response*),
    const Request& request, absl::Duration timeout,
    CallCanceller* canceller = nullptr) {
  grpc::ClientContext context;
  PrepareContext(options, timeout, context);
  CancellationScope scope(canceller, &context);
  if (scope.cancelled_before_start()) return CancelledBeforeStart();
  Response response;
  const grpc::Status status = (stub->*method)(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

}  // namespace

void CallCanceller::Cancel() {
  absl::MutexLock lock(&mutex_);
  cancelled_ = true;
  for (grpc::ClientContext* context : contexts_) context->TryCancel();
}

bool CallCanceller::cancelled() const {
  absl::MutexLock lock(&mutex_);
  return cancelled_;
}

bool CallCanceller::Add(grpc::ClientContext* context) {
  absl::MutexLock lock(&mutex_);
  if (cancelled_) return false;
  contexts_.push_back(context);
  return true;
}

void CallCanceller::Remove(grpc::ClientContext* context) {
  absl::MutexLock lock(&mutex_);
  contexts_.erase(std::remove(contexts_.begin(), contexts_.end(), context),
                  contexts_.end());
}

JobControlClient::JobControlClient(const ClientOptions& options)
    : options_(options) {
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(options_.server, grpc::InsecureChannelCredentials());
  jobs_ = v1::JobService::NewStub(channel);
  pipelines_ = v1::PipelineService::NewStub(channel);
  workers_ = v1::WorkerService::NewStub(channel);
}

// --- JobService
// ----------------------------------------------------------------

absl::StatusOr<v1::Job> JobControlClient::SubmitJob(
    const v1::SubmitJobRequest& request) {
  return Invoke(options_, jobs_.get(), &v1::JobService::Stub::SubmitJob,
                request, options_.timeout);
}

absl::StatusOr<v1::Job> JobControlClient::GetJob(const std::string& job_id) {
  v1::GetJobRequest request;
  request.set_job_id(job_id);
  return Invoke(options_, jobs_.get(), &v1::JobService::Stub::GetJob, request,
                options_.timeout);
}

absl::StatusOr<v1::ListJobsResponse> JobControlClient::ListJobs(
    const v1::ListJobsRequest& request) {
  return Invoke(options_, jobs_.get(), &v1::JobService::Stub::ListJobs, request,
                options_.timeout);
}

absl::StatusOr<v1::Job> JobControlClient::CancelJob(const std::string& job_id,
                                                    bool allow_running) {
  v1::CancelJobRequest request;
  request.set_job_id(job_id);
  request.set_allow_running(allow_running);
  return Invoke(options_, jobs_.get(), &v1::JobService::Stub::CancelJob,
                request, options_.timeout);
}

absl::Status JobControlClient::WatchJob(
    const std::string& job_id, int64_t after_version,
    const std::function<bool(const v1::Job&)>& on_version,
    CallCanceller* canceller) {
  v1::WatchJobRequest request;
  request.set_job_id(job_id);
  request.set_after_version(after_version);
  grpc::ClientContext context;
  PrepareContext(options_, absl::InfiniteDuration(), context);
  CancellationScope scope(canceller, &context);
  if (scope.cancelled_before_start()) return CancelledBeforeStart();
  std::unique_ptr<grpc::ClientReader<v1::Job>> reader =
      jobs_->WatchJob(&context, request);
  v1::Job job;
  bool stopped_by_caller = false;
  while (reader->Read(&job)) {
    if (!on_version(job)) {
      stopped_by_caller = true;
      context.TryCancel();
      break;
    }
  }
  if (stopped_by_caller) {
    // Finish() needs every message read; after TryCancel() none will come.
    while (reader->Read(&job)) {
    }
  }
  const grpc::Status status = reader->Finish();
  if (stopped_by_caller) return absl::OkStatus();
  return FromGrpcStatus(status);
}

absl::StatusOr<v1::Job> JobControlClient::WaitJob(const std::string& job_id,
                                                  absl::Duration timeout,
                                                  int64_t after_version,
                                                  CallCanceller* canceller) {
  v1::WaitJobRequest request;
  request.set_job_id(job_id);
  *request.mutable_timeout() = ToProtoDuration(timeout);
  request.set_after_version(after_version);
  return Invoke(options_, jobs_.get(), &v1::JobService::Stub::WaitJob, request,
                LongPollTimeout(options_, timeout), canceller);
}

// --- PipelineService
// -----------------------------------------------------------

absl::StatusOr<v1::Pipeline> JobControlClient::CreatePipeline(
    const v1::Pipeline& pipeline) {
  v1::CreatePipelineRequest request;
  *request.mutable_pipeline() = pipeline;
  return Invoke(options_, pipelines_.get(),
                &v1::PipelineService::Stub::CreatePipeline, request,
                options_.timeout);
}

absl::StatusOr<v1::Pipeline> JobControlClient::GetPipeline(
    const std::string& pipeline_id) {
  v1::GetPipelineRequest request;
  request.set_pipeline_id(pipeline_id);
  return Invoke(options_, pipelines_.get(),
                &v1::PipelineService::Stub::GetPipeline, request,
                options_.timeout);
}

absl::StatusOr<v1::ListPipelinesResponse> JobControlClient::ListPipelines(
    const v1::ListPipelinesRequest& request) {
  return Invoke(options_, pipelines_.get(),
                &v1::PipelineService::Stub::ListPipelines, request,
                options_.timeout);
}

absl::StatusOr<v1::Pipeline> JobControlClient::UpdatePipeline(
    const v1::UpdatePipelineRequest& request) {
  return Invoke(options_, pipelines_.get(),
                &v1::PipelineService::Stub::UpdatePipeline, request,
                options_.timeout);
}

absl::Status JobControlClient::DeletePipeline(const std::string& pipeline_id) {
  v1::DeletePipelineRequest request;
  request.set_pipeline_id(pipeline_id);
  return Invoke(options_, pipelines_.get(),
                &v1::PipelineService::Stub::DeletePipeline, request,
                options_.timeout)
      .status();
}

// --- WorkerService
// -------------------------------------------------------------

absl::StatusOr<v1::LeaseJobResponse> JobControlClient::LeaseJob(
    const v1::LeaseJobRequest& request, CallCanceller* canceller) {
  return Invoke(
      options_, workers_.get(), &v1::WorkerService::Stub::LeaseJob, request,
      LongPollTimeout(options_, FromProtoDuration(request.wait_timeout())),
      canceller);
}

absl::StatusOr<v1::RenewLeaseResponse> JobControlClient::RenewLease(
    const std::string& job_id, const std::string& lease_id) {
  v1::RenewLeaseRequest request;
  request.set_job_id(job_id);
  request.set_lease_id(lease_id);
  return Invoke(options_, workers_.get(), &v1::WorkerService::Stub::RenewLease,
                request, options_.timeout);
}

absl::StatusOr<v1::Job> JobControlClient::CompleteJob(
    const std::string& job_id, const std::string& lease_id,
    const v1::JobResult& result) {
  v1::CompleteJobRequest request;
  request.set_job_id(job_id);
  request.set_lease_id(lease_id);
  *request.mutable_result() = result;
  return Invoke(options_, workers_.get(), &v1::WorkerService::Stub::CompleteJob,
                request, options_.timeout);
}

absl::StatusOr<v1::Job> JobControlClient::FailJob(
    const std::string& job_id, const std::string& lease_id,
    const google::rpc::Status& error, bool retryable) {
  v1::FailJobRequest request;
  request.set_job_id(job_id);
  request.set_lease_id(lease_id);
  *request.mutable_error() = error;
  request.set_retryable(retryable);
  return Invoke(options_, workers_.get(), &v1::WorkerService::Stub::FailJob,
                request, options_.timeout);
}

absl::StatusOr<v1::Job> JobControlClient::AcknowledgeCancel(
    const std::string& job_id, const std::string& lease_id) {
  v1::AcknowledgeCancelRequest request;
  request.set_job_id(job_id);
  request.set_lease_id(lease_id);
  return Invoke(options_, workers_.get(),
                &v1::WorkerService::Stub::AcknowledgeCancel, request,
                options_.timeout);
}

std::string ErrorReason(const absl::Status& status) {
  return PayloadOf(status, kReasonPayloadUrl);
}

std::string ErrorField(const absl::Status& status) {
  return PayloadOf(status, kFieldPayloadUrl);
}

bool JobIsTerminal(const v1::Job& job) {
  return job.state() == v1::Job::SUCCEEDED || job.state() == v1::Job::FAILED ||
         job.state() == v1::Job::CANCELED;
}

}  // namespace jobcontrol
