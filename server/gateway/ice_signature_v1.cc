#include "server/gateway/ice_signature_v1.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/gateway/message_digests.h"
#include "server/gateway/percent_encoding.h"

namespace jobcontrol {
namespace gateway {

std::string IceV1CanonicalizedQuery(const ParamList& params) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const auto& [name, value] : params) {
    if (name == "Signature") continue;
    encoded.emplace_back(AcsPercentEncode(name), AcsPercentEncode(value));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    absl::StrAppend(&out, name, "=", value);
  }
  return out;
}

std::string IceV1StringToSign(absl::string_view http_method,
                              const ParamList& params) {
  return absl::StrCat(http_method, "&", AcsPercentEncode("/"), "&",
                      AcsPercentEncode(IceV1CanonicalizedQuery(params)));
}

std::string IceV1Signature(absl::string_view access_key_secret,
                           absl::string_view string_to_sign) {
  return absl::Base64Escape(
      HmacSha1(absl::StrCat(access_key_secret, "&"), string_to_sign));
}

}  // namespace gateway
}  // namespace jobcontrol
