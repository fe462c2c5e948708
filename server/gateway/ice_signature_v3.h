// Alibaba Cloud signature V3 (ACS3-HMAC-SHA256), vendor-apis.md A.3.3: the
// Authorization header, the canonical request and the signature, as pure
// functions. Verification is IceAuthenticator's.
#ifndef JOBCONTROL_SERVER_GATEWAY_ICE_SIGNATURE_V3_H_
#define JOBCONTROL_SERVER_GATEWAY_ICE_SIGNATURE_V3_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/gateway/form_decoding.h"

namespace jobcontrol {
namespace gateway {

inline constexpr char kIceV3Algorithm[] = "ACS3-HMAC-SHA256";

// The access key part of its Authorization header (signed_authorization.h):
// "ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>".
inline constexpr char kIceV3AccessKeyPart[] = "Credential";

// Method "\n" CanonicalURI "\n" CanonicalQueryString "\n" CanonicalHeaders
// "\n" SignedHeaders "\n" HashedPayload, where the query is sorted by name,
// each "name=" + AcsPercentEncode(value); each signed header is
// "name:" + its trimmed values (sorted, joined by ',') + "\n";
// `headers` hold lower-case names.
std::string IceV3CanonicalRequest(
    absl::string_view method, absl::string_view path, const ParamList& query,
    const std::vector<std::pair<std::string, std::string>>& headers,
    const std::vector<std::string>& signed_headers,
    absl::string_view hashed_payload);

// "ACS3-HMAC-SHA256\n" + lowerhex(SHA256(canonical_request)).
std::string IceV3StringToSign(absl::string_view canonical_request);

// lowerhex(HMAC-SHA256(key = access_key_secret, string_to_sign)).
std::string IceV3Signature(absl::string_view access_key_secret,
                           absl::string_view string_to_sign);

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_ICE_SIGNATURE_V3_H_
