// IceAuthenticator: who signed an ICE request. Verifies signature V3
// (Authorization: ACS3-HMAC-SHA256 ...) or else V1 (Signature parameter)
// with the AccessKeySecret of the credential named by the AccessKeyId, the
// timestamp (within ±max_clock_skew of now) and the nonce (once). Thread-safe.
//
// Order of checks: shape (missing parts), credential, timestamp, signature,
// nonce. A request that fails any check records no nonce, so a forged
// request cannot burn a legitimate caller's nonce.
#ifndef JOBCONTROL_SERVER_GATEWAY_ICE_AUTHENTICATOR_H_
#define JOBCONTROL_SERVER_GATEWAY_ICE_AUTHENTICATOR_H_

#include "absl/time/time.h"
#include "jobcontrol/config/credentials.pb.h"
#include "server/api/credential_set.h"
#include "server/gateway/http_message.h"
#include "server/gateway/ice_errors.h"
#include "server/gateway/ice_parameters.h"
#include "server/gateway/nonce_cache.h"

namespace jobcontrol {
namespace gateway {

inline constexpr absl::Duration kIceMaxClockSkew = absl::Minutes(15);

class IceAuthenticator {
 public:
  // `credentials` and `nonces` must outlive this object. `nonces` should
  // retain nonces for at least 2 * max_clock_skew.
  IceAuthenticator(const CredentialSet* credentials, NonceCache* nonces,
                   absl::Duration max_clock_skew = kIceMaxClockSkew);

  // True when `request` carries a V3 Authorization header.
  static bool IsSignatureV3(const HttpRequest& request);

  // The credential that signed `request`, or nullptr with `*error` set:
  // MissingParameter (AccessKeyId, Signature, Timestamp, SignatureNonce or
  // the x-acs-* headers), IncompleteSignature, InvalidAccessKeyId.NotFound,
  // InvalidTimeStamp.Format / .Expired, SignatureDoesNotMatch (with the
  // server's string to sign), SignatureNonceUsed, Throttling.User (nonce
  // cache full).
  const config::Credential* Authenticate(const HttpRequest& request,
                                         const IceParameters& params,
                                         absl::Time now, IceError* error) const;

 private:
  const config::Credential* AuthenticateV1(const HttpRequest& request,
                                           const IceParameters& params,
                                           absl::Time now,
                                           IceError* error) const;
  const config::Credential* AuthenticateV3(const HttpRequest& request,
                                           const IceParameters& params,
                                           absl::Time now,
                                           IceError* error) const;
  // Timestamp window and then nonce; false with `*error` set.
  bool CheckFreshness(const config::Credential& credential,
                      absl::string_view timestamp_name,
                      const std::string& timestamp, const std::string& nonce,
                      absl::Time now, bool signature_ok, IceError* error) const;

  const CredentialSet* credentials_;
  NonceCache* nonces_;
  const absl::Duration max_clock_skew_;
};

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_ICE_AUTHENTICATOR_H_
