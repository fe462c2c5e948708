#include "server/gateway/mpc_errors.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/gateway/json_writer.h"

namespace jobcontrol {
namespace gateway {
namespace {

constexpr char kInvalidParameter[] = "MPC.10202";

MpcError Make(int status, absl::string_view code, std::string message) {
  return MpcError{status, std::string(code), std::move(message)};
}

}  // namespace

MpcError MpcInvalidParameter(absl::string_view why) {
  return Make(400, kInvalidParameter,
              absl::StrCat("Invalid request parameter. ", why));
}

MpcError MpcWrongMethod(absl::string_view method) {
  return Make(400, "MPC.10204",
              absl::StrCat("Incorrect request method. ", method,
                           " is not supported on this path."));
}

MpcError MpcWrongContentType(absl::string_view content_type) {
  return Make(400, "MPC.10205",
              absl::StrCat("Incorrect request content type. Got \"",
                           content_type, "\"; send application/json."));
}

MpcError MpcUnknownApi(absl::string_view method, absl::string_view path) {
  return Make(404, "APIG.0101",
              absl::StrCat("The API does not exist or has not been published "
                           "in the environment: ",
                           method, " ", path));
}

MpcError MpcAuthenticationFailed(absl::string_view why) {
  return Make(401, "APIG.0301",
              absl::StrCat("Incorrect IAM authentication information: ", why));
}

MpcError MpcProjectMismatch() {
  return Make(401, "MPC.10208", "Tenant ID verification failed, please check.");
}

MpcError MpcActionDenied(absl::string_view action) {
  return Make(403, "MPC.10212",
              absl::StrCat("Operation failed. The credential is not allowed "
                           "to perform ",
                           action, "."));
}

MpcError MpcJobNotFound(absl::string_view job_id) {
  return Make(404, kInvalidParameter,
              absl::StrCat("Invalid request parameter. Job \"", job_id,
                           "\" does not exist."));
}

MpcError MpcCancelRefused() {
  return Make(403, "MPC.10213",
              "The task is in progress or has been completed.");
}

MpcError MpcHttpRejection(int http_status) {
  switch (http_status) {
    case 413:
      return Make(413, kInvalidParameter,
                  "Invalid request parameter. The request body is larger "
                  "than the 1 MiB allowed.");
    case 431:
      return Make(431, kInvalidParameter,
                  "Invalid request parameter. The request header is larger "
                  "than allowed.");
    case 503:
      return Make(503, "MPC.10050",
                  "System error: too many connections, retry later.");
    default:
      return Make(400, kInvalidParameter,
                  "Invalid request parameter. The request is not "
                  "well-formed HTTP/1.1.");
  }
}

MpcError MpcErrorFromRpc(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::OUT_OF_RANGE:
      return MpcInvalidParameter(status.error_message());
    case grpc::StatusCode::NOT_FOUND:
      return Make(
          404, kInvalidParameter,
          absl::StrCat("Invalid request parameter. ", status.error_message()));
    case grpc::StatusCode::UNAUTHENTICATED:
      return MpcAuthenticationFailed("the credential was not accepted.");
    case grpc::StatusCode::PERMISSION_DENIED:
      return Make(403, "MPC.10212",
                  absl::StrCat("Operation failed. ", status.error_message()));
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return Make(429, "MPC.10212", "Operation failed. Too many requests.");
    default:
      return Make(500, "MPC.10050", "System error.");
  }
}

HttpResponse RenderMpcError(const MpcError& error,
                            absl::string_view request_id) {
  JsonObject body;
  body.Add("error_code", error.code);
  body.Add("error_msg", error.message);
  if (absl::StartsWith(error.code, "APIG.")) body.Add("request_id", request_id);
  HttpResponse response;
  response.status = error.http_status;
  response.body = body.Serialize();
  return response;
}

}  // namespace gateway
}  // namespace jobcontrol
