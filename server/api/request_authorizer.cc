#include "server/api/request_authorizer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/core/error_reason.h"

namespace jobcontrol {
namespace {

absl::Status Unauthenticated(absl::string_view why) {
  return ErrorWithReason(absl::StatusCode::kUnauthenticated,
                         kReasonUnauthenticated, why);
}

}  // namespace

absl::StatusOr<Principal> RequestAuthorizer::Authorize(
    const grpc::ServerContext& context, absl::string_view action) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return Unauthenticated(
        "missing authorization metadata; send 'authorization: Bearer "
        "<token>'");
  }
  absl::string_view value(it->second.data(), it->second.size());
  constexpr absl::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
    return Unauthenticated(
        "authorization metadata is not of the form 'Bearer <token>'");
  }
  absl::string_view token =
      absl::StripAsciiWhitespace(value.substr(kScheme.size()));
  const config::Credential* credential =
      credentials_->FindByBearerToken(token);
  if (credential == nullptr) {
    return Unauthenticated("unknown bearer token");
  }
  if (!CredentialSet::Allows(*credential, action)) {
    return ErrorWithReason(
        absl::StatusCode::kPermissionDenied, kReasonActionDenied,
        absl::StrCat("credential ", credential->access_key_id(),
                     " is not allowed to perform ", action));
  }
  return Principal{credential->tenant(), credential->access_key_id()};
}

}  // namespace jobcontrol
