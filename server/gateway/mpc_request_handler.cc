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

using JobRpcs = v1::JobService::StubInterface::async_interface;

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

void MpcRequestHandler::Handle(const HttpRequest& request, Respond respond) {
  const std::string mpc_request_id = MpcRequestId(request.request_id);
  // Every answer carries the MPC request id.
  auto answer = [respond = std::move(respond),
                 mpc_request_id](HttpResponse response) {
    respond(WithRequestId(std::move(response), mpc_request_id));
  };
  auto fail = [&](const MpcError& error) {
    answer(RenderMpcError(error, mpc_request_id));
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
      return Create(request, credential->bearer_token(), mpc_request_id,
                    std::move(answer));
    case MpcOperation::kListEditingJobs:
      return List(route, credential->bearer_token(), mpc_request_id,
                  std::move(answer));
    case MpcOperation::kCancelEditingJob:
      return Cancel(route, credential->bearer_token(), mpc_request_id,
                    std::move(answer));
  }
  fail(MpcErrorFromRpc(grpc::Status(grpc::StatusCode::INTERNAL, "")));
}

void MpcRequestHandler::Create(const HttpRequest& request,
                               const std::string& bearer_token,
                               const std::string& mpc_request_id,
                               Respond respond) {
  v1::SubmitJobRequest submit;
  if (auto error =
          ParseMpcCreateEditingJob(request.body, submit.mutable_job())) {
    return respond(RenderMpcError(*error, mpc_request_id));
  }
  StartServiceCall(jobs_->async(), &JobRpcs::SubmitJob, bearer_token,
                   std::move(submit),
                   [respond = std::move(respond), mpc_request_id](
                       const grpc::Status& status, v1::Job& submitted) {
                     if (!status.ok()) {
                       return respond(RenderMpcError(MpcErrorFromRpc(status),
                                                     mpc_request_id));
                     }
                     JsonObject body;
                     body.Add("job_id", submitted.id());
                     HttpResponse response;
                     response.body = body.Serialize();
                     respond(std::move(response));
                   });
}

void MpcRequestHandler::List(const MpcRoute& route,
                             const std::string& bearer_token,
                             const std::string& mpc_request_id,
                             Respond respond) {
  LookUpJobs(jobs_.get(), bearer_token, route.job_ids,
             [respond = std::move(respond),
              mpc_request_id](std::vector<JobLookup>& lookups) {
               std::vector<JsonObject> jobs;
               for (size_t i = 0; i < lookups.size(); ++i) {
                 const JobLookup& lookup = lookups[i];
                 // Unknown ids (also other projects' and other kinds of jobs)
                 // are left out, as the vendor's list does; the first other
                 // error (in id order) is the answer.
                 if (!lookup.status.ok() && !IsUnknownJob(lookup.status)) {
                   return respond(RenderMpcError(MpcErrorFromRpc(lookup.status),
                                                 mpc_request_id));
                 }
                 if (!lookup.status.ok() ||
                     lookup.job.kind() != v1::JOB_KIND_EDITING) {
                   continue;
                 }
                 jobs.push_back(MpcEditingJobJson(lookup.job));
               }
               JsonObject body;
               body.AddArray("job_array", jobs);
               HttpResponse response;
               response.body = body.Serialize();
               respond(std::move(response));
             });
}

void MpcRequestHandler::Cancel(const MpcRoute& route,
                               const std::string& bearer_token,
                               const std::string& mpc_request_id,
                               Respond respond) {
  const std::string& id = route.job_ids.front();
  v1::CancelJobRequest cancel;
  cancel.set_job_id(id);
  // Other kinds of jobs are unknown here: NOT_FOUND, and left as they are.
  cancel.set_kind(v1::JOB_KIND_EDITING);
  StartServiceCall(
      jobs_->async(), &JobRpcs::CancelJob, bearer_token, std::move(cancel),
      [respond = std::move(respond), id, mpc_request_id](
          const grpc::Status& status, v1::Job&) {
        if (status.ok()) {
          HttpResponse response;
          response.status = 204;
          response.content_type.clear();
          return respond(std::move(response));
        }
        if (ErrorReasonOf(status) == "JOB_NOT_QUEUED") {
          return respond(RenderMpcError(MpcCancelRefused(), mpc_request_id));
        }
        if (IsUnknownJob(status)) {
          return respond(RenderMpcError(MpcJobNotFound(id), mpc_request_id));
        }
        respond(RenderMpcError(MpcErrorFromRpc(status), mpc_request_id));
      });
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
