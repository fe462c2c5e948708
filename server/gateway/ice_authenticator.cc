#include "server/gateway/ice_authenticator.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/gateway/ice_signature_v1.h"
#include "server/gateway/ice_signature_v3.h"
#include "server/gateway/message_digests.h"
#include "server/gateway/signed_authorization.h"

namespace jobcontrol {
namespace gateway {
namespace {

// "2015-05-14T09:03:45Z" (fractional seconds and offsets are accepted too).
bool ParseIceTimestamp(const std::string& text, absl::Time* time) {
  std::string ignored;
  return absl::ParseTime(absl::RFC3339_full, text, time, &ignored);
}

}  // namespace

IceAuthenticator::IceAuthenticator(const CredentialSet* credentials,
                                   NonceCache* nonces,
                                   absl::Duration max_clock_skew)
    : credentials_(credentials),
      nonces_(nonces),
      max_clock_skew_(max_clock_skew) {}

bool IceAuthenticator::IsSignatureV3(const HttpRequest& request) {
  const std::string* authorization = request.FindHeader("authorization");
  return authorization != nullptr && absl::StartsWith(*authorization, "ACS3-");
}

const config::Credential* IceAuthenticator::Authenticate(
    const HttpRequest& request, const IceParameters& params, absl::Time now,
    IceError* error) const {
  if (IsSignatureV3(request)) {
    return AuthenticateV3(request, params, now, error);
  }
  return AuthenticateV1(request, params, now, error);
}

bool IceAuthenticator::CheckFreshness(const config::Credential& credential,
                                      absl::string_view timestamp_name,
                                      const std::string& timestamp,
                                      const std::string& nonce, absl::Time now,
                                      bool signature_ok,
                                      IceError* error) const {
  absl::Time signed_at;
  if (!ParseIceTimestamp(timestamp, &signed_at)) {
    *error = IceTimestampFormat(timestamp_name);
    return false;
  }
  if (absl::AbsDuration(now - signed_at) > max_clock_skew_) {
    *error = IceTimestampExpired();
    return false;
  }
  if (!signature_ok) return false;  // *error already says why
  switch (nonces_->Record(credential.access_key_id(), nonce, now)) {
    case NonceCache::Result::kFresh:
      return true;
    case NonceCache::Result::kReplayed:
      *error = IceSignatureNonceUsed();
      return false;
    case NonceCache::Result::kFull:
      *error = IceThrottled();
      return false;
  }
  return false;
}

const config::Credential* IceAuthenticator::AuthenticateV1(
    const HttpRequest& request, const IceParameters& params, absl::Time now,
    IceError* error) const {
  for (const char* required :
       {"AccessKeyId", "Signature", "Timestamp", "SignatureNonce"}) {
    if (params.Find(required) == nullptr) {
      *error = IceMissingParameter(required);
      return nullptr;
    }
  }
  const std::string* method = params.Find("SignatureMethod");
  if (method != nullptr && *method != "HMAC-SHA1") {
    *error = IceIncompleteSignature("SignatureMethod must be HMAC-SHA1.");
    return nullptr;
  }
  const std::string* version = params.Find("SignatureVersion");
  if (version != nullptr && *version != "1.0") {
    *error = IceIncompleteSignature("SignatureVersion must be 1.0.");
    return nullptr;
  }
  const config::Credential* credential =
      credentials_->FindByAccessKeyId(*params.Find("AccessKeyId"));
  if (credential == nullptr) {
    *error = IceAccessKeyIdNotFound();
    return nullptr;
  }
  const std::string string_to_sign =
      IceV1StringToSign(request.method, params.all());
  const bool signature_ok = ConstantTimeEquals(
      IceV1Signature(credential->access_key_secret(), string_to_sign),
      *params.Find("Signature"));
  if (!signature_ok) *error = IceSignatureDoesNotMatch(string_to_sign);
  if (!CheckFreshness(*credential, "Timestamp", *params.Find("Timestamp"),
                      *params.Find("SignatureNonce"), now, signature_ok,
                      error)) {
    return nullptr;
  }
  return credential;
}

const config::Credential* IceAuthenticator::AuthenticateV3(
    const HttpRequest& request, const IceParameters& params, absl::Time now,
    IceError* error) const {
  std::string why;
  auto authorization = ParseSignedAuthorization(
      *request.FindHeader("authorization"), kIceV3AccessKeyPart, &why);
  if (!authorization) {
    *error = IceIncompleteSignature(why);
    return nullptr;
  }
  if (authorization->algorithm != kIceV3Algorithm) {
    *error = IceIncompleteSignature(
        absl::StrCat("Signature algorithm ", authorization->algorithm,
                     " is not supported; use ", kIceV3Algorithm, "."));
    return nullptr;
  }
  for (const char* required : {"x-acs-date", "x-acs-signature-nonce"}) {
    if (request.FindHeader(required) == nullptr) {
      *error = IceMissingParameter(required);
      return nullptr;
    }
  }
  // Whatever decides what the request does or when it was made must be
  // signed, or it could be changed in transit.
  for (const char* header : {"x-acs-date", "x-acs-signature-nonce",
                             "x-acs-action", "x-acs-version", "host"}) {
    if (request.FindHeader(header) == nullptr) continue;
    if (!authorization->Signs(header)) {
      *error = IceIncompleteSignature(
          absl::StrCat("SignedHeaders must include ", header, "."));
      return nullptr;
    }
  }
  const config::Credential* credential =
      credentials_->FindByAccessKeyId(authorization->access_key_id);
  if (credential == nullptr) {
    *error = IceAccessKeyIdNotFound();
    return nullptr;
  }
  const std::string canonical_request = IceV3CanonicalRequest(
      request.method, request.Path(), params.query(), request.headers,
      authorization->signed_headers, LowerHex(Sha256(request.body)));
  const std::string string_to_sign = IceV3StringToSign(canonical_request);
  const bool signature_ok = ConstantTimeEquals(
      IceV3Signature(credential->access_key_secret(), string_to_sign),
      authorization->signature);
  if (!signature_ok) *error = IceSignatureDoesNotMatch(string_to_sign);
  if (!CheckFreshness(*credential, "x-acs-date",
                      *request.FindHeader("x-acs-date"),
                      *request.FindHeader("x-acs-signature-nonce"), now,
                      signature_ok, error)) {
    return nullptr;
  }
  return credential;
}

}  // namespace gateway
}  // namespace jobcontrol
