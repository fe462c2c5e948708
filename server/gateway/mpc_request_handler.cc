#include "server/gateway/mpc_request_handler.h"

#include <unistd.h>

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/gateway/json_writer.h"
#include "server/gateway/mpc_json.h"
#include "server/gateway/service_call.h"

namespace jobcontrol {
namespace gateway {
namespace {

std::string LocalHostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') {
    return "jobcontrol";
  }
  return name;
}

HttpResponse WithRequestId(HttpResponse response,
                           const std::string& mpc_request_id) {
  response.headers.emplace_back(kRequestIdHeader, mpc_request_id);
  return response;
}

bool IsJsonContentType(const std::string* content_type) {
  if (content_type == nullptr) return false;
  const absl::string_view media_type = absl::StripAsciiWhitespace(
      absl::string_view(*content_type).substr(0, content_type->find(';')));
  return absl::EqualsIgnoreCase(media_type, "application/json");
}

// A job the service does not know, or an id it rejects: 404 MPC.10202 here.
bool IsUnknownJob(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::NOT_FOUND ||
         status.error_code() == grpc::StatusCode::INVALID_ARGUMENT;
}

// Reads the caller's job `id`; editing jobs only (others are unknown here).
// nullopt when found; 404 MPC.10202 when unknown.
std::optional<MpcError> GetEditingJob(v1::JobService::StubInterface* jobs,
                                      const std::string& bearer_token,
                                      const std::string& id, v1::Job* job) {
  v1::GetJobRequest request;
  request.set_job_id(id);
  const grpc::Status status =
      jobs->GetJob(NewServiceCallContext(bearer_token).get(), request, job);
  if (!status.ok()) {
    if (IsUnknownJob(status)) return MpcJobNotFound(id);
    return MpcErrorFromRpc(status);
  }
  if (job->kind() != v1::JOB_KIND_EDITING) return MpcJobNotFound(id);
  return std::nullopt;
}

}  // namespace

MpcRequestHandler::MpcRequestHandler(
    const CredentialSet* credentials,
    std::shared_ptr<grpc::ChannelInterface> channel)
    : hostname_(LocalHostname()),
      authenticator_(credentials),
      jobs_(v1::JobService::NewStub(channel)) {}

std::string MpcRequestHandler::MpcRequestId(
    const std::string& request_id) const {
  return absl::StrCat(
      absl::AsciiStrToLower(request_id), "-",
      absl::FormatTime("%Y%m%d%H%M%S", absl::Now(), absl::UTCTimeZone()), "-",
      hostname_);
}

HttpResponse MpcRequestHandler::Handle(const HttpRequest& request) {
  const std::string mpc_request_id = MpcRequestId(request.request_id);
  auto fail = [&](const MpcError& error) {
    return WithRequestId(RenderMpcError(error, mpc_request_id), mpc_request_id);
  };
  auto query = DecodeForm(request.Query());
  if (!query.ok()) {
    return fail(MpcInvalidParameter(absl::StrCat(
        "The query string is not valid: ", query.status().message())));
  }
  MpcRoute route;
  if (auto error =
          MatchMpcRoute(request.method, request.Path(), *query, &route)) {
    return fail(*error);
  }
  MpcError error;
  const config::Credential* credential = authenticator_.Authenticate(
      request, *query, route.project_id, absl::Now(), &error);
  if (credential == nullptr) return fail(error);
  const char* action = MpcActionOf(route.operation);
  if (!CredentialSet::Allows(*credential, action)) {
    return fail(MpcActionDenied(action));
  }
  switch (route.operation) {
    case MpcOperation::kCreateEditingJob:
      if (!IsJsonContentType(request.FindHeader("content-type"))) {
        const std::string* type = request.FindHeader("content-type");
        return fail(MpcWrongContentType(type == nullptr ? "" : *type));
      }
      return WithRequestId(
          Create(request, credential->bearer_token(), mpc_request_id),
          mpc_request_id);
    case MpcOperation::kListEditingJobs:
      return WithRequestId(
          List(route, credential->bearer_token(), mpc_request_id),
          mpc_request_id);
    case MpcOperation::kCancelEditingJob:
      return WithRequestId(
          Cancel(route, credential->bearer_token(), mpc_request_id),
          mpc_request_id);
  }
  return fail(MpcErrorFromRpc(grpc::Status(grpc::StatusCode::INTERNAL, "")));
}

HttpResponse MpcRequestHandler::Create(const HttpRequest& request,
                                       const std::string& bearer_token,
                                       const std::string& mpc_request_id) {
  v1::SubmitJobRequest submit;
  if (auto error =
          ParseMpcCreateEditingJob(request.body, submit.mutable_job())) {
    return RenderMpcError(*error, mpc_request_id);
  }
  v1::Job submitted;
  const grpc::Status status = jobs_->SubmitJob(
      NewServiceCallContext(bearer_token).get(), submit, &submitted);
  if (!status.ok()) {
    return RenderMpcError(MpcErrorFromRpc(status), mpc_request_id);
  }
  JsonObject body;
  body.Add("job_id", submitted.id());
  HttpResponse response;
  response.body = body.Serialize();
  return response;
}

HttpResponse MpcRequestHandler::List(const MpcRoute& route,
                                     const std::string& bearer_token,
                                     const std::string& mpc_request_id) {
  std::vector<JsonObject> jobs;
  for (const std::string& id : route.job_ids) {
    v1::Job job;
    if (auto error = GetEditingJob(jobs_.get(), bearer_token, id, &job)) {
      // Unknown ids (also other projects' and other kinds of jobs) are left
      // out, as the vendor's list does.
      if (error->http_status == 404) continue;
      return RenderMpcError(*error, mpc_request_id);
    }
    jobs.push_back(MpcEditingJobJson(job));
  }
  JsonObject body;
  body.AddArray("job_array", jobs);
  HttpResponse response;
  response.body = body.Serialize();
  return response;
}

HttpResponse MpcRequestHandler::Cancel(const MpcRoute& route,
                                       const std::string& bearer_token,
                                       const std::string& mpc_request_id) {
  const std::string& id = route.job_ids.front();
  v1::CancelJobRequest cancel;
  cancel.set_job_id(id);
  // Other kinds of jobs are unknown here: NOT_FOUND, and left as they are.
  cancel.set_kind(v1::JOB_KIND_EDITING);
  v1::Job canceled;
  const grpc::Status status = jobs_->CancelJob(
      NewServiceCallContext(bearer_token).get(), cancel, &canceled);
  if (!status.ok()) {
    if (ErrorReasonOf(status) == "JOB_NOT_QUEUED") {
      return RenderMpcError(MpcCancelRefused(), mpc_request_id);
    }
    if (IsUnknownJob(status)) {
      return RenderMpcError(MpcJobNotFound(id), mpc_request_id);
    }
    return RenderMpcError(MpcErrorFromRpc(status), mpc_request_id);
  }
  HttpResponse response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

HttpResponse MpcRequestHandler::Reject(HttpRejection rejection, int status,
                                       const std::string& request_id,
                                       const std::string& target) {
  (void)rejection;
  (void)target;
  const std::string mpc_request_id = MpcRequestId(request_id);
  return WithRequestId(RenderMpcError(MpcHttpRejection(status), mpc_request_id),
                       mpc_request_id);
}

}  // namespace gateway
}  // namespace jobcontrol
