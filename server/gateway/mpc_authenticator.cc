#include "server/gateway/mpc_authenticator.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/gateway/message_digests.h"
#include "server/gateway/mpc_signature.h"
#include "server/gateway/signed_authorization.h"

namespace jobcontrol {
namespace gateway {
namespace {

constexpr char kUnsignedPayload[] = "UNSIGNED-PAYLOAD";

}  // namespace

MpcAuthenticator::MpcAuthenticator(const CredentialSet* credentials,
                                   absl::Duration max_clock_skew)
    : credentials_(credentials), max_clock_skew_(max_clock_skew) {}

const config::Credential* MpcAuthenticator::Authenticate(
    const HttpRequest& request, const ParamList& query,
    absl::string_view project_id, absl::Time now, MpcError* error) const {
  const config::Credential* credential = nullptr;
  if (request.FindHeader("authorization") != nullptr) {
    credential = AuthenticateAkSk(request, query, now, error);
  } else if (const std::string* token = request.FindHeader("x-auth-token")) {
    if (request.CountHeader("x-auth-token") != 1) {
      *error = MpcAuthenticationFailed("send X-Auth-Token once.");
      return nullptr;
    }
    credential = credentials_->FindByBearerToken(*token);
    if (credential == nullptr) {
      *error = MpcAuthenticationFailed("the token is not valid.");
    }
  } else {
    *error = MpcAuthenticationFailed(
        "send an AK/SK signature (Authorization, X-Sdk-Date) or "
        "X-Auth-Token.");
  }
  if (credential == nullptr) return nullptr;
  for (const char* header : {"x-project-id", "x-project_id"}) {
    for (const auto& [name, value] : request.headers) {
      if (name == header && value != project_id) {
        *error = MpcProjectMismatch();
        return nullptr;
      }
    }
  }
  if (credential->tenant() != project_id) {
    *error = MpcProjectMismatch();
    return nullptr;
  }
  return credential;
}

const config::Credential* MpcAuthenticator::AuthenticateAkSk(
    const HttpRequest& request, const ParamList& query, absl::Time now,
    MpcError* error) const {
  if (request.CountHeader("authorization") != 1) {
    *error = MpcAuthenticationFailed("send Authorization once.");
    return nullptr;
  }
  std::string why;
  auto authorization = ParseSignedAuthorization(
      *request.FindHeader("authorization"), kMpcAccessKeyPart, &why);
  if (!authorization) {
    *error = MpcAuthenticationFailed(why);
    return nullptr;
  }
  if (authorization->algorithm != kMpcSignatureAlgorithm) {
    *error = MpcAuthenticationFailed(absl::StrCat(
        "the signature algorithm must be ", kMpcSignatureAlgorithm, "."));
    return nullptr;
  }
  // Whatever decides when the request was made, for which project, or which
  // body it carries must be signed, or it could be changed in transit.
  const std::string* sdk_date = request.FindHeader("x-sdk-date");
  if (sdk_date == nullptr || !authorization->Signs("x-sdk-date")) {
    *error = MpcAuthenticationFailed("X-Sdk-Date must be sent and signed.");
    return nullptr;
  }
  for (const char* header :
       {"host", "x-project-id", "x-project_id", "x-sdk-content-sha256"}) {
    if (request.FindHeader(header) != nullptr &&
        !authorization->Signs(header)) {
      *error = MpcAuthenticationFailed(
          absl::StrCat("SignedHeaders must include ", header, "."));
      return nullptr;
    }
  }
  for (const std::string& header : authorization->signed_headers) {
    if (request.CountHeader(header) > 1) {
      *error = MpcAuthenticationFailed(
          absl::StrCat("the signed header ", header, " is sent twice."));
      return nullptr;
    }
  }
  absl::Time signed_at;
  if (!ParseMpcSdkDate(*sdk_date, &signed_at)) {
    *error = MpcAuthenticationFailed(
        "X-Sdk-Date must be yyyyMMdd'T'HHmmss'Z' (UTC).");
    return nullptr;
  }
  const config::Credential* credential =
      credentials_->FindByAccessKeyId(authorization->access_key_id);
  if (credential == nullptr) {
    *error = MpcAuthenticationFailed("verify aksk signature fail.");
    return nullptr;
  }
  if (absl::AbsDuration(now - signed_at) > max_clock_skew_) {
    *error = MpcAuthenticationFailed(
        "X-Sdk-Date is more than 15 minutes away from the server's time.");
    return nullptr;
  }
  std::string payload_hash = LowerHex(Sha256(request.body));
  if (const std::string* declared =
          request.FindHeader("x-sdk-content-sha256")) {
    if (*declared != kUnsignedPayload &&
        absl::AsciiStrToLower(*declared) != payload_hash) {
      *error = MpcAuthenticationFailed(
          "X-Sdk-Content-Sha256 does not match the body.");
      return nullptr;
    }
    payload_hash = *declared;
  }
  const std::string canonical_request = MpcCanonicalRequest(
      request.method, request.Path(), query, request.headers,
      authorization->signed_headers, payload_hash);
  const std::string expected =
      MpcSignature(credential->access_key_secret(),
                   MpcStringToSign(*sdk_date, canonical_request));
  if (!ConstantTimeEquals(expected, authorization->signature)) {
    *error = MpcAuthenticationFailed("verify aksk signature fail.");
    return nullptr;
  }
  return credential;
}

}  // namespace gateway
}  // namespace jobcontrol
