#include "server/api/grpc_status.h"

#include <string>

#include "absl/strings/ascii.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "server/core/error_reason.h"

namespace jobcontrol {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const int code = static_cast<int>(status.code());
  std::string reason = ErrorReasonOf(status);
  if (reason.empty()) {
    reason = absl::AsciiStrToUpper(absl::StatusCodeToString(status.code()));
    for (char& c : reason) {
      if (c == ' ') c = '_';
    }
  }
  google::rpc::ErrorInfo info;
  info.set_reason(reason);
  info.set_domain(kErrorDomain);
  const std::string field = ErrorFieldOf(status);
  if (!field.empty()) (*info.mutable_metadata())["field"] = field;

  google::rpc::Status details;
  details.set_code(code);
  details.set_message(std::string(status.message()));
  details.add_details()->PackFrom(info);
  return grpc::Status(static_cast<grpc::StatusCode>(code),
                      std::string(status.message()),
                      details.SerializeAsString());
}

}  // namespace jobcontrol
