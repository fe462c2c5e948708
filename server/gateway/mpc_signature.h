// Huawei Cloud AK/SK signature "SDK-HMAC-SHA256" (vendor-apis.md B.4): the
// Authorization header, the canonical request and the signature, as pure
// functions. Verification (date window, project, credential) is
// MpcAuthenticator's.
#ifndef JOBCONTROL_SERVER_GATEWAY_MPC_SIGNATURE_H_
#define JOBCONTROL_SERVER_GATEWAY_MPC_SIGNATURE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/gateway/form_decoding.h"

namespace jobcontrol {
namespace gateway {

inline constexpr char kMpcSignatureAlgorithm[] = "SDK-HMAC-SHA256";

// The access key part of its Authorization header (signed_authorization.h):
// "SDK-HMAC-SHA256 Access=<ak>, SignedHeaders=<a;b>, Signature=<hex>".
inline constexpr char kMpcAccessKeyPart[] = "Access";

// The path as signed: split on '/', each segment escaped as
// AcsPercentEncode does (A-Z a-z 0-9 _ - ~ . kept), re-joined, with a '/'
// appended unless it already ends in one. `path` is taken as sent (still
// percent-encoded), the way the vendor's Node SDK signs it.
std::string MpcCanonicalUri(absl::string_view path);

// Names sorted; a repeated name keeps all its values, sorted; each
// "escape(name)=escape(value)", joined with '&'.
std::string MpcCanonicalQuery(const ParamList& query);

// Method "\n" MpcCanonicalUri "\n" MpcCanonicalQuery "\n" CanonicalHeaders
// "\n" SignedHeaders "\n" payload_hash. CanonicalHeaders holds, for each
// signed header in the order given, "name:" + the trimmed value of its first
// field in `headers` (lower-case names; empty when absent) + "\n".
std::string MpcCanonicalRequest(
    absl::string_view method, absl::string_view path, const ParamList& query,
    const std::vector<std::pair<std::string, std::string>>& headers,
    const std::vector<std::string>& signed_headers,
    absl::string_view payload_hash);

// "SDK-HMAC-SHA256\n" + sdk_date + "\n" + lowerhex(SHA256(canonical)).
std::string MpcStringToSign(absl::string_view sdk_date,
                            absl::string_view canonical_request);

// lowerhex(HMAC-SHA256(key = secret_access_key, string_to_sign)).
std::string MpcSignature(absl::string_view secret_access_key,
                         absl::string_view string_to_sign);

// Parses X-Sdk-Date, "20060102T150405Z" (UTC, exactly this shape).
bool ParseMpcSdkDate(absl::string_view text, absl::Time* time);

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_MPC_SIGNATURE_H_
