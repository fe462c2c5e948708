// The edge of the error model (design.md §3): absl::Status values of the
// server become gRPC statuses carrying a google.rpc.Status with an ErrorInfo
// (domain "jobcontrol.v1", the reason, metadata "field") in
// grpc-status-details-bin.
#ifndef JOBCONTROL_SERVER_API_GRPC_STATUS_H_
#define JOBCONTROL_SERVER_API_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace jobcontrol {

inline constexpr char kErrorDomain[] = "jobcontrol.v1";

// OK stays OK. A status without a reason gets its code's name as reason.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_API_GRPC_STATUS_H_
