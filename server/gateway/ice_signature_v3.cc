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

std::optional<IceV3Authorization> ParseIceV3Authorization(
    absl::string_view header, std::string* why) {
  header = absl::StripAsciiWhitespace(header);
  const size_t space = header.find(' ');
  if (space == absl::string_view::npos) {
    *why =
        "Authorization must be '<algorithm> Credential=...,"
        "SignedHeaders=...,Signature=...'.";
    return std::nullopt;
  }
  IceV3Authorization out;
  out.algorithm = std::string(header.substr(0, space));
  bool has_signed_headers = false;
  for (absl::string_view part : absl::StrSplit(header.substr(space + 1), ',')) {
    part = absl::StripAsciiWhitespace(part);
    const size_t equals = part.find('=');
    if (equals == absl::string_view::npos) continue;
    const absl::string_view key = part.substr(0, equals);
    const absl::string_view value = part.substr(equals + 1);
    if (key == "Credential") {
      out.access_key_id = std::string(value);
    } else if (key == "SignedHeaders") {
      has_signed_headers = true;
      for (absl::string_view name : absl::StrSplit(value, ';')) {
        if (name.empty()) continue;
        out.signed_headers.push_back(absl::AsciiStrToLower(name));
      }
    } else if (key == "Signature") {
      out.signature = std::string(value);
    }
  }
  if (out.access_key_id.empty()) {
    *why = "Authorization has no Credential.";
    return std::nullopt;
  }
  if (!has_signed_headers || out.signed_headers.empty()) {
    *why = "Authorization has no SignedHeaders.";
    return std::nullopt;
  }
  if (out.signature.empty()) {
    *why = "Authorization has no Signature.";
    return std::nullopt;
  }
  return out;
}

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
