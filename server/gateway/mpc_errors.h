// MPC error answers (vendor-apis.md B.0, B.3; design.md §3): the HTTP status,
// the vendor's error_code and error_msg, rendered as
//   {"error_code": "MPC.10202", "error_msg": "..."}
// and, for the API gateway's own (APIG.*) errors, with "request_id" too.
// Every error the MPC dialect sends is built here, so codes and texts have
// one source.
#ifndef JOBCONTROL_SERVER_GATEWAY_MPC_ERRORS_H_
#define JOBCONTROL_SERVER_GATEWAY_MPC_ERRORS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"
#include "server/gateway/http_message.h"

namespace jobcontrol {
namespace gateway {

struct MpcError {
  int http_status = 500;
  std::string code;
  std::string message;
};

// 400 MPC.10202 "Invalid request parameter." followed by `why` (which names
// the parameter).
MpcError MpcInvalidParameter(absl::string_view why);
// 400 MPC.10204: a known path with another method.
MpcError MpcWrongMethod(absl::string_view method);
// 400 MPC.10205: a body that is not application/json.
MpcError MpcWrongContentType(absl::string_view content_type);
// 404 APIG.0101: no MPC API at this path.
MpcError MpcUnknownApi(absl::string_view method, absl::string_view path);

// 401 APIG.0301: no, malformed, stale or wrongly signed AK/SK signature, or
// an unknown token. `why` says which; it never holds a secret.
MpcError MpcAuthenticationFailed(absl::string_view why);
// 401 MPC.10208: the path's project_id is not the credential's (or not the
// X-Project-Id header's).
MpcError MpcProjectMismatch();
// 403 MPC.10212: the credential may not perform `action`
// (mpc:editingTask:create|view|delete).
MpcError MpcActionDenied(absl::string_view action);

// 404 MPC.10202: no editing job `job_id` in the project.
MpcError MpcJobNotFound(absl::string_view job_id);
// 403 MPC.10213 "The task is in progress or has been completed.": a cancel
// of a job that is no longer WAITING.
MpcError MpcCancelRefused();

// The server's own rejections (limits, unparseable HTTP), by HTTP status.
MpcError MpcHttpRejection(int http_status);

// Any other failure of a gRPC call, by code (design.md §3).
MpcError MpcErrorFromRpc(const grpc::Status& status);

// The JSON error answer. APIG.* errors also carry "request_id".
HttpResponse RenderMpcError(const MpcError& error,
                            absl::string_view request_id);

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_MPC_ERRORS_H_
