#include "server/gateway/ice_errors.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "server/gateway/json_writer.h"

namespace jobcontrol {
namespace gateway {
namespace {

IceError Make(int status, absl::string_view code, std::string message) {
  return IceError{status, std::string(code), std::move(message)};
}

// The ICE parameter a jobcontrol.v1 request field comes from.
std::string IceParameterOf(absl::string_view field) {
  static constexpr std::pair<const char*, const char*> kPrefixes[] = {
      {"job.dna_analysis.db_id", "DBId"},
      {"job.dna_analysis.primary_key", "PrimaryKey"},
      {"job.dna_analysis.input", "Input"},
      {"job.dna_analysis.config_json", "Config"},
      {"job.dna_analysis.template_id", "TemplateId"},
      {"job.pipeline_id", "PipelineId"},
      {"job.user_data", "UserData"},
      {"job_id", "JobId"},
      {"pipeline.name", "Name"},
      {"pipeline.priority", "Priority"},
      {"pipeline.state", "Status"},
      {"pipeline.id", "PipelineId"},
      {"pipeline_id", "PipelineId"},
  };
  for (const auto& [prefix, parameter] : kPrefixes) {
    if (absl::StartsWith(field, prefix)) return parameter;
  }
  return std::string(field);
}

}  // namespace

IceError IceMissingParameter(absl::string_view name) {
  return Make(400, "MissingParameter",
              absl::StrCat("The input parameter \"", name,
                           "\" that is mandatory for processing this request "
                           "is not supplied."));
}

IceError IceInvalidParameter(absl::string_view name, absl::string_view why) {
  return Make(400, "InvalidParameter",
              absl::StrCat("The specified parameter \"", name,
                           "\" is not valid. ", why));
}

IceError IceJsonFormatInvalid(absl::string_view name) {
  return Make(400, "InvalidParameter.JsonFormatInvalid",
              absl::StrCat("The parameter \"", name,
                           "\" does not conform to the JSON specification."));
}

IceError IceMalformedRequest(absl::string_view why) {
  return Make(400, "InvalidParameter",
              absl::StrCat("The request is not valid: ", why));
}

IceError IceInvalidAction(absl::string_view action) {
  return Make(404, "InvalidAction.NotFound",
              absl::StrCat("Specified api is not found, please check your url "
                           "and method. Action \"",
                           action, "\" is not supported."));
}

IceError IceInvalidVersion(absl::string_view version) {
  return Make(
      400, "InvalidVersion",
      absl::StrCat("Specified parameter Version is not valid: \"", version,
                   "\"; the supported version is 2020-11-09."));
}

IceError IceUnsupportedHttpMethod(absl::string_view method) {
  return Make(403, "UnsupportedHTTPMethod",
              absl::StrCat("This http method is not supported: ", method,
                           "; use GET or POST."));
}

IceError IceUnsupportedContentType(absl::string_view type) {
  return Make(415, "UnsupportedMediaType",
              absl::StrCat("The request body has content type \"", type,
                           "\"; send parameters in the query string or as "
                           "application/x-www-form-urlencoded."));
}

IceError IceAccessKeyIdNotFound() {
  return Make(404, "InvalidAccessKeyId.NotFound",
              "Specified access key is not found.");
}

IceError IceIncompleteSignature(absl::string_view why) {
  return Make(400, "IncompleteSignature",
              absl::StrCat("The request signature does not conform to Aliyun "
                           "standards. ",
                           why));
}

IceError IceSignatureDoesNotMatch(absl::string_view server_string_to_sign) {
  return Make(400, "SignatureDoesNotMatch",
              absl::StrCat("Specified signature is not matched with our "
                           "calculation. server string to sign is:",
                           server_string_to_sign));
}

IceError IceSignatureNonceUsed() {
  return Make(400, "SignatureNonceUsed",
              "Specified signature nonce was used already.");
}

IceError IceTimestampExpired() {
  return Make(400, "InvalidTimeStamp.Expired",
              "Specified time stamp or date value is expired.");
}

IceError IceTimestampFormat(absl::string_view name) {
  return Make(400, "InvalidTimeStamp.Format",
              absl::StrCat("Specified time stamp or date value \"", name,
                           "\" is not well formatted: use "
                           "yyyy-MM-ddTHH:mm:ssZ (UTC)."));
}

IceError IceForbiddenRam(absl::string_view action) {
  return Make(403, "Forbidden.RAM",
              absl::StrCat("User not authorized to operate the specified "
                           "resource, or this API doesn't support RAM. Action "
                           "ice:",
                           action, " is not allowed for this AccessKey."));
}

IceError IceThrottled() {
  return Make(400, "Throttling.User",
              "Request was denied due to user flow control.");
}

IceError IceResourceNotFound(absl::string_view id) {
  return Make(
      404, "InvalidParameter.ResourceNotFound",
      absl::StrCat("The resource operated \"", id, "\" cannot be found."));
}

IceError IceCancelRefused(absl::string_view job_id, v1::Job::State state) {
  switch (state) {
    case v1::Job::SUCCEEDED:
      return Make(403, "PermissionDenied.JobInComplete",
                  absl::StrCat("The Job operated \"", job_id,
                               "\" is complete, cannot cancel."));
    case v1::Job::FAILED:
      return Make(403, "PermissionDenied.JobInFailure",
                  absl::StrCat("The Job operated \"", job_id,
                               "\" is failure, cannot cancel."));
    default:  // RUNNING, CANCELING: work is under way
      return Make(403, "PermissionDenied.JobInRunning",
                  absl::StrCat("The Job operated \"", job_id,
                               "\" is running, cannot cancel."));
  }
}

IceError IceHttpRejection(int http_status) {
  switch (http_status) {
    case 413:
      return Make(413, "InvalidParameter.BodyTooLarge",
                  "The request body is larger than the 1 MiB allowed.");
    case 431:
      return Make(431, "InvalidParameter.HeaderTooLarge",
                  "The request header is larger than allowed.");
    case 503:
      return Make(503, "ServiceUnavailable",
                  "The request has failed due to a temporary failure of the "
                  "server: too many connections.");
    default:
      return Make(400, "InvalidParameter",
                  "The request is not well-formed HTTP/1.1.");
  }
}

IceError IceErrorFromRpc(const grpc::Status& status) {
  std::string reason;
  std::string field;
  google::rpc::Status details;
  if (details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      google::rpc::ErrorInfo info;
      if (any.UnpackTo(&info)) {
        reason = info.reason();
        auto it = info.metadata().find("field");
        if (it != info.metadata().end()) field = it->second;
      }
    }
  }
  const std::string parameter = IceParameterOf(field);
  switch (status.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      if (reason == "MISSING_FIELD") return IceMissingParameter(parameter);
      return IceInvalidParameter(parameter.empty() ? "-" : parameter,
                                 status.error_message());
    case grpc::StatusCode::NOT_FOUND:
      return Make(404, "InvalidParameter.ResourceNotFound",
                  absl::StrCat("The resource operated cannot be found: ",
                               status.error_message()));
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED:
      return Make(400, "InvalidParameter.InvalidState", status.error_message());
    case grpc::StatusCode::UNAUTHENTICATED:
      return IceAccessKeyIdNotFound();
    case grpc::StatusCode::PERMISSION_DENIED:
      return Make(403, "Forbidden.RAM", status.error_message());
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return IceThrottled();
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
      return Make(503, "ServiceUnavailable",
                  "The request has failed due to a temporary failure of the "
                  "server.");
    default:
      return Make(500, "InternalError",
                  "The request processing has failed due to some unknown "
                  "error.");
  }
}

HttpResponse RenderIceError(const IceError& error, absl::string_view request_id,
                            absl::string_view host_id) {
  JsonObject body;
  body.Add("RequestId", request_id);
  body.Add("HostId", host_id);
  body.Add("Code", error.code);
  body.Add("Message", error.message);
  body.Add("Recommend",
           absl::StrCat("See docs/gateway.md of jobcontrol, error code ",
                        error.code, ", request id ", request_id));
  HttpResponse response;
  response.status = error.http_status;
  response.body = body.Serialize();
  return response;
}

}  // namespace gateway
}  // namespace jobcontrol
