// MpcAuthenticator: who sent an MPC request, and whether it may act in the
// path's project (vendor-apis.md B.0, B.4). Either
//   - AK/SK: Authorization "SDK-HMAC-SHA256 Access=..., SignedHeaders=...,
//     Signature=..." verified with the access_key_secret of the credential
//     named by Access; X-Sdk-Date ("20060102T150405Z") signed and within
//     ±max_clock_skew of now; Host, X-Project-Id, X-Project_Id and
//     X-Sdk-Content-Sha256 signed whenever sent; no signed header sent
//     twice; the payload hash is X-Sdk-Content-Sha256 when sent (either
//     "UNSIGNED-PAYLOAD" or the body's actual SHA-256), else the body's;
//   - or X-Auth-Token: the bearer_token of a credential.
// Then X-Project-Id / X-Project_Id, when sent, and the credential's tenant
// must both equal the path's project_id. Signatures and tokens are compared
// in constant time; nothing here logs. Thread-safe (read-only).
#ifndef JOBCONTROL_SERVER_GATEWAY_MPC_AUTHENTICATOR_H_
#define JOBCONTROL_SERVER_GATEWAY_MPC_AUTHENTICATOR_H_

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "jobcontrol/config/credentials.pb.h"
#include "server/api/credential_set.h"
#include "server/gateway/form_decoding.h"
#include "server/gateway/http_message.h"
#include "server/gateway/mpc_errors.h"

namespace jobcontrol {
namespace gateway {

inline constexpr absl::Duration kMpcMaxClockSkew = absl::Minutes(15);

class MpcAuthenticator {
 public:
  // `credentials` must outlive this object.
  explicit MpcAuthenticator(const CredentialSet* credentials,
                            absl::Duration max_clock_skew = kMpcMaxClockSkew);

  // The credential that sent `request` (whose decoded query is `query`) if
  // it acts in `project_id`; else nullptr with `*error` set: 401 APIG.0301
  // (no, malformed, stale or wrong signature; unknown access key or token)
  // or 401 MPC.10208 (another project).
  const config::Credential* Authenticate(const HttpRequest& request,
                                         const ParamList& query,
                                         absl::string_view project_id,
                                         absl::Time now, MpcError* error) const;

 private:
  const config::Credential* AuthenticateAkSk(const HttpRequest& request,
                                             const ParamList& query,
                                             absl::Time now,
                                             MpcError* error) const;

  const CredentialSet* credentials_;
  const absl::Duration max_clock_skew_;
};

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_MPC_AUTHENTICATOR_H_
