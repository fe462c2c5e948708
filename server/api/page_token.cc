#include "server/api/page_token.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/core/error_reason.h"

namespace jobcontrol {
namespace {
constexpr absl::string_view kVersion = "c1";
}  // namespace

uint64_t QueryFingerprint(absl::string_view query_bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : query_bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string EncodePageToken(int64_t sequence, uint64_t query_fingerprint) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(kVersion, ":", sequence, ":", query_fingerprint));
}

absl::StatusOr<int64_t> DecodePageToken(absl::string_view token,
                                        uint64_t query_fingerprint) {
  std::string raw;
  std::vector<absl::string_view> parts;
  if (absl::WebSafeBase64Unescape(token, &raw)) {
    parts = absl::StrSplit(raw, ':');
  }
  int64_t sequence = 0;
  uint64_t fingerprint = 0;
  if (parts.size() != 3 || parts[0] != kVersion ||
      !absl::SimpleAtoi(parts[1], &sequence) || sequence <= 0 ||
      !absl::SimpleAtoi(parts[2], &fingerprint)) {
    return InvalidFieldError("page_token",
                             "not a token returned by this list method");
  }
  if (fingerprint != query_fingerprint) {
    return InvalidFieldError(
        "page_token", "was issued for a different filter; repeat the "
                      "request with the filter of the first page");
  }
  return sequence;
}

}  // namespace jobcontrol
