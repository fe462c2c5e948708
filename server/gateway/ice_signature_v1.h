// Alibaba Cloud RPC signature V1 (HMAC-SHA1), vendor-apis.md A.3.2: the
// canonicalization and the signature, as pure functions. Verification
// (which credential, timestamps, nonces) is IceAuthenticator's.
#ifndef JOBCONTROL_SERVER_GATEWAY_ICE_SIGNATURE_V1_H_
#define JOBCONTROL_SERVER_GATEWAY_ICE_SIGNATURE_V1_H_

#include <string>

#include "absl/strings/string_view.h"
#include "server/gateway/form_decoding.h"

namespace jobcontrol {
namespace gateway {

// "name=value" pairs, each half AcsPercentEncode'd, sorted by encoded name
// (byte order, then by encoded value) and joined with '&'. Parameters named
// "Signature" are left out.
std::string IceV1CanonicalizedQuery(const ParamList& params);

// HTTPMethod + "&%2F&" + AcsPercentEncode(IceV1CanonicalizedQuery(params)).
std::string IceV1StringToSign(absl::string_view http_method,
                              const ParamList& params);

// Base64(HMAC-SHA1(key = access_key_secret + "&", string_to_sign)).
std::string IceV1Signature(absl::string_view access_key_secret,
                           absl::string_view string_to_sign);

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_ICE_SIGNATURE_V1_H_
