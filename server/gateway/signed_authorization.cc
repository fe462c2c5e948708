#include "server/gateway/signed_authorization.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace jobcontrol {
namespace gateway {

bool SignedAuthorization::Signs(absl::string_view name) const {
  return std::find(signed_headers.begin(), signed_headers.end(), name) !=
         signed_headers.end();
}

std::optional<SignedAuthorization> ParseSignedAuthorization(
    absl::string_view header, absl::string_view access_key_part,
    std::string* why) {
  header = absl::StripAsciiWhitespace(header);
  const size_t space = header.find(' ');
  if (space == absl::string_view::npos || space == 0) {
    *why = absl::StrCat("Authorization must be '<algorithm> ", access_key_part,
                        "=..., SignedHeaders=..., Signature=...'.");
    return std::nullopt;
  }
  SignedAuthorization out;
  out.algorithm = std::string(header.substr(0, space));
  for (absl::string_view part : absl::StrSplit(header.substr(space + 1), ',')) {
    part = absl::StripAsciiWhitespace(part);
    const size_t equals = part.find('=');
    if (equals == absl::string_view::npos) continue;
    const absl::string_view key = part.substr(0, equals);
    const absl::string_view value = part.substr(equals + 1);
    if (key == access_key_part) {
      out.access_key_id = std::string(value);
    } else if (key == "SignedHeaders") {
      out.signed_headers.clear();
      for (absl::string_view name : absl::StrSplit(value, ';')) {
        if (!name.empty()) {
          out.signed_headers.push_back(absl::AsciiStrToLower(name));
        }
      }
    } else if (key == "Signature") {
      out.signature = std::string(value);
    }
  }
  if (out.access_key_id.empty()) {
    *why = absl::StrCat("Authorization has no ", access_key_part, ".");
    return std::nullopt;
  }
  if (out.signed_headers.empty()) {
    *why = "Authorization has no SignedHeaders.";
    return std::nullopt;
  }
  if (out.signature.empty()) {
    *why = "Authorization has no Signature.";
    return std::nullopt;
  }
  return out;
}

}  // namespace gateway
}  // namespace jobcontrol
