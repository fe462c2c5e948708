// ICE error answers (vendor-apis.md A.4, design.md §3): the HTTP status, the
// vendor's Code and Message, rendered as
//   {"RequestId", "HostId", "Code", "Message", "Recommend"}.
// Every error the ICE dialect sends is built here, so codes and texts have
// one source.
#ifndef JOBCONTROL_SERVER_GATEWAY_ICE_ERRORS_H_
#define JOBCONTROL_SERVER_GATEWAY_ICE_ERRORS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"
#include "jobcontrol/v1/job.pb.h"
#include "server/gateway/http_message.h"

namespace jobcontrol {
namespace gateway {

struct IceError {
  int http_status = 500;
  std::string code;
  std::string message;
};

// Request shape and parameters.
IceError IceMissingParameter(absl::string_view name);
IceError IceInvalidParameter(absl::string_view name, absl::string_view why);
IceError IceJsonFormatInvalid(absl::string_view name);
IceError IceMalformedRequest(absl::string_view why);  // 400 InvalidParameter
IceError IceInvalidAction(absl::string_view action);  // 404
IceError IceInvalidVersion(absl::string_view version);
IceError IceUnsupportedHttpMethod(absl::string_view method);  // 403
IceError IceUnsupportedContentType(absl::string_view type);   // 415

// Authentication and authorization.
IceError IceAccessKeyIdNotFound();
IceError IceIncompleteSignature(absl::string_view why);
IceError IceSignatureDoesNotMatch(absl::string_view server_string_to_sign);
IceError IceSignatureNonceUsed();
IceError IceTimestampExpired();
IceError IceTimestampFormat(absl::string_view name);
IceError IceForbiddenRam(absl::string_view action);
IceError IceThrottled();

// Resources.
IceError IceResourceNotFound(absl::string_view id);
// A cancel refused because the job is in `state` (not QUEUED):
// PermissionDenied.JobInRunning / JobInComplete / JobInFailure, 403.
IceError IceCancelRefused(absl::string_view job_id, v1::Job::State state);

// The server's own rejections (limits, unparseable HTTP), by HTTP status.
IceError IceHttpRejection(int http_status);

// Any other failure of a gRPC call, by code and ErrorInfo reason, naming the
// ICE parameter that `field` paths (job.dna_analysis.db_id -> DBId) map to.
IceError IceErrorFromRpc(const grpc::Status& status);

// The JSON error answer. `host_id` is what the caller addressed (Host).
HttpResponse RenderIceError(const IceError& error, absl::string_view request_id,
                            absl::string_view host_id);

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_ICE_ERRORS_H_
