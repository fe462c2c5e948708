#include "server/gateway/ice_signature_v3.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/gateway/message_digests.h"
#include "server/gateway/percent_encoding.h"

namespace jobcontrol {
namespace gateway {

std::string IceV3CanonicalRequest(
    absl::string_view method, absl::string_view path, const ParamList& query,
    const std::vector<std::pair<std::string, std::string>>& headers,
    const std::vector<std::string>& signed_headers,
    absl::string_view hashed_payload) {
  ParamList sorted = query;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> query_parts;
  query_parts.reserve(sorted.size());
  for (const auto& [name, value] : sorted) {
    query_parts.push_back(
        absl::StrCat(AcsPercentEncode(name), "=", AcsPercentEncode(value)));
  }
  std::string canonical_headers;
  for (const std::string& name : signed_headers) {
    std::vector<std::string> values;
    for (const auto& [header, value] : headers) {
      if (header == name) {
        values.emplace_back(absl::StripAsciiWhitespace(value));
      }
    }
    std::sort(values.begin(), values.end());
    absl::StrAppend(&canonical_headers, name, ":", absl::StrJoin(values, ","),
                    "\n");
  }
  return absl::StrCat(method, "\n", path, "\n", absl::StrJoin(query_parts, "&"),
                      "\n", canonical_headers, "\n",
                      absl::StrJoin(signed_headers, ";"), "\n", hashed_payload);
}

std::string IceV3StringToSign(absl::string_view canonical_request) {
  return absl::StrCat(kIceV3Algorithm, "\n",
                      LowerHex(Sha256(canonical_request)));
}

std::string IceV3Signature(absl::string_view access_key_secret,
                           absl::string_view string_to_sign) {
  return LowerHex(HmacSha256(access_key_secret, string_to_sign));
}

}  // namespace gateway
}  // namespace jobcontrol
