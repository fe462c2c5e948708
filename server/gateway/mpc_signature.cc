#include "server/gateway/mpc_signature.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "server/gateway/message_digests.h"
#include "server/gateway/percent_encoding.h"

namespace jobcontrol {
namespace gateway {

std::string MpcCanonicalUri(absl::string_view path) {
  std::vector<std::string> segments;
  for (absl::string_view segment : absl::StrSplit(path, '/')) {
    segments.push_back(AcsPercentEncode(segment));
  }
  std::string uri = absl::StrJoin(segments, "/");
  if (uri.empty() || uri.back() != '/') uri.push_back('/');
  return uri;
}

std::string MpcCanonicalQuery(const ParamList& query) {
  ParamList sorted = query;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> parts;
  parts.reserve(sorted.size());
  for (const auto& [name, value] : sorted) {
    parts.push_back(
        absl::StrCat(AcsPercentEncode(name), "=", AcsPercentEncode(value)));
  }
  return absl::StrJoin(parts, "&");
}

std::string MpcCanonicalRequest(
    absl::string_view method, absl::string_view path, const ParamList& query,
    const std::vector<std::pair<std::string, std::string>>& headers,
    const std::vector<std::string>& signed_headers,
    absl::string_view payload_hash) {
  std::string canonical_headers;
  for (const std::string& name : signed_headers) {
    absl::string_view value;
    for (const auto& [header, header_value] : headers) {
      if (header == name) {
        value = absl::StripAsciiWhitespace(header_value);
        break;
      }
    }
    absl::StrAppend(&canonical_headers, name, ":", value, "\n");
  }
  return absl::StrCat(method, "\n", MpcCanonicalUri(path), "\n",
                      MpcCanonicalQuery(query), "\n", canonical_headers, "\n",
                      absl::StrJoin(signed_headers, ";"), "\n", payload_hash);
}

std::string MpcStringToSign(absl::string_view sdk_date,
                            absl::string_view canonical_request) {
  return absl::StrCat(kMpcSignatureAlgorithm, "\n", sdk_date, "\n",
                      LowerHex(Sha256(canonical_request)));
}

std::string MpcSignature(absl::string_view secret_access_key,
                         absl::string_view string_to_sign) {
  return LowerHex(HmacSha256(secret_access_key, string_to_sign));
}

bool ParseMpcSdkDate(absl::string_view text, absl::Time* time) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return false;
  for (size_t i = 0; i < 15; ++i) {
    if (i != 8 && !absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  auto number = [&](size_t from, size_t length) {
    int value = 0;
    for (size_t i = from; i < from + length; ++i)
      value = value * 10 + (text[i] - '0');
    return value;
  };
  const absl::CivilSecond civil(number(0, 4), number(4, 2), number(6, 2),
                                number(9, 2), number(11, 2), number(13, 2));
  // CivilSecond normalizes (month 13 is next January): refuse what changed.
  if (civil.year() != number(0, 4) || civil.month() != number(4, 2) ||
      civil.day() != number(6, 2) || civil.hour() != number(9, 2) ||
      civil.minute() != number(11, 2) || civil.second() != number(13, 2)) {
    return false;
  }
  *time = absl::FromCivil(civil, absl::UTCTimeZone());
  return true;
}

}  // namespace gateway
}  // namespace jobcontrol
