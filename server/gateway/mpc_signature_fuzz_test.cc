// Fuzz target: SDK-HMAC-SHA256 on arbitrary input. The first line is an
// Authorization header value, the second a path, the third a query string,
// the rest "name: value" header lines. Parsing the Authorization either fails
// with a reason or yields an access key, signed headers and a signature; the
// canonical URI starts and ends with '/'; the canonical request has at least
// five newlines plus one per signed header; the signature is 64 lower-case
// hex digits.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "server/gateway/form_decoding.h"
#include "server/gateway/mpc_signature.h"
#include "server/gateway/signed_authorization.h"

using namespace jobcontrol::gateway;  // NOLINT: test target

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines = absl::StrSplit(input, '\n');
  lines.resize(std::max<size_t>(lines.size(), 3));
  absl::Time ignored;
  ParseMpcSdkDate(lines[0], &ignored);
  const std::string uri = MpcCanonicalUri(lines[1]);
  if (uri.empty() || uri.back() != '/' ||
      (!lines[1].empty() && lines[1][0] == '/' && uri[0] != '/')) {
    std::abort();
  }
  std::string why;
  auto authorization =
      ParseSignedAuthorization(lines[0], kMpcAccessKeyPart, &why);
  if (!authorization) {
    if (why.empty()) std::abort();
    return 0;
  }
  if (authorization->access_key_id.empty() ||
      authorization->signed_headers.empty() ||
      authorization->signature.empty()) {
    std::abort();
  }
  ParamList query;
  auto decoded = DecodeForm(lines[2]);
  if (decoded.ok()) query = *std::move(decoded);
  std::vector<std::pair<std::string, std::string>> headers;
  for (size_t i = 3; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    headers.emplace_back(absl::AsciiStrToLower(lines[i].substr(0, colon)),
                         lines[i].substr(colon + 1));
  }
  const std::string canonical =
      MpcCanonicalRequest("GET", lines[1], query, headers,
                          authorization->signed_headers, "UNSIGNED-PAYLOAD");
  const auto newlines = std::count(canonical.begin(), canonical.end(), '\n');
  if (newlines < static_cast<long>(5 + authorization->signed_headers.size())) {
    std::abort();
  }
  const std::string signature =
      MpcSignature("secret", MpcStringToSign("20060102T150405Z", canonical));
  if (signature.size() != 64) std::abort();
  for (char c : signature) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) ||
        absl::ascii_isupper(static_cast<unsigned char>(c))) {
      std::abort();
    }
  }
  return 0;
}
