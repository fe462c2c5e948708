// How the gateway's dialects call the jobcontrol.v1 services through the
// generated stubs: as the authenticated caller, with a deadline, and how
// they read the reason of a failed call.
#ifndef JOBCONTROL_SERVER_GATEWAY_SERVICE_CALL_H_
#define JOBCONTROL_SERVER_GATEWAY_SERVICE_CALL_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace jobcontrol {
namespace gateway {

// A context for one call that sends `authorization: Bearer <bearer_token>`
// (so the service applies the caller's own authorization and tenancy) and
// gives up after 30 seconds.
std::unique_ptr<grpc::ClientContext> NewServiceCallContext(
    absl::string_view bearer_token);

// The google.rpc.ErrorInfo reason of a failed call (design.md §3), or "".
std::string ErrorReasonOf(const grpc::Status& status);

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_SERVICE_CALL_H_
