// Fuzz target: signature V3 on arbitrary input. The first line is an
// Authorization header value, the second a query string, the rest "name: value"
// header lines. Parsing the Authorization either fails with a reason or yields
// a credential, signed headers and a signature; the canonical request has
// exactly five newlines before the payload hash plus one per signed header, and
// its signature is 64 lower-case hex digits.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "server/gateway/form_decoding.h"
#include "server/gateway/ice_signature_v3.h"
#include "server/gateway/signed_authorization.h"

using namespace jobcontrol::gateway;  // NOLINT: test target

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines = absl::StrSplit(input, '\n');
  std::string why;
  auto authorization =
      ParseSignedAuthorization(lines[0], kIceV3AccessKeyPart, &why);
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
  if (lines.size() > 1) {
    auto decoded = DecodeForm(lines[1]);
    if (decoded.ok()) query = *std::move(decoded);
  }
  std::vector<std::pair<std::string, std::string>> headers;
  for (size_t i = 2; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    headers.emplace_back(absl::AsciiStrToLower(lines[i].substr(0, colon)),
                         lines[i].substr(colon + 1));
  }
  const std::string canonical = IceV3CanonicalRequest(
      "POST", "/", query, headers, authorization->signed_headers, "hash");
  const auto newlines = std::count(canonical.begin(), canonical.end(), '\n');
  if (newlines < static_cast<long>(5 + authorization->signed_headers.size())) {
    std::abort();
  }
  const std::string signature =
      IceV3Signature("secret", IceV3StringToSign(canonical));
  if (signature.size() != 64) std::abort();
  for (char c : signature) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) ||
        absl::ascii_isupper(static_cast<unsigned char>(c))) {
      std::abort();
    }
  }
  return 0;
}
