// SignedAuthorization: the Authorization header of the vendors' HMAC
// signatures. Alibaba Cloud signature V3 and Huawei Cloud AK/SK both write it
//
//   <algorithm> <key part>=<access key id>,SignedHeaders=<a;b>,Signature=<sig>
//
// with optional spaces after each ','. Only the name of the access key part
// differs: "Credential" for V3, "Access" for AK/SK. This file only parses;
// checking the algorithm, the headers and the signature is each dialect's
// authenticator's.
#ifndef JOBCONTROL_SERVER_GATEWAY_SIGNED_AUTHORIZATION_H_
#define JOBCONTROL_SERVER_GATEWAY_SIGNED_AUTHORIZATION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace jobcontrol {
namespace gateway {

struct SignedAuthorization {
  std::string algorithm;
  std::string access_key_id;
  std::vector<std::string> signed_headers;  // lower-cased, as listed
  std::string signature;

  // Whether the lower-case header `name` is among signed_headers.
  bool Signs(absl::string_view name) const;
};

// Parses an Authorization header value. A part given twice counts as its last
// value; parts other than the three are ignored. nullopt, with `*why` saying
// what is wrong, when the algorithm, the `access_key_part`, SignedHeaders or
// Signature is missing or empty.
std::optional<SignedAuthorization> ParseSignedAuthorization(
    absl::string_view header, absl::string_view access_key_part,
    std::string* why);

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_SIGNED_AUTHORIZATION_H_
