// Fuzz target: signature V1 canonicalization of arbitrary parameters (decoded
// from the input as a form). The string to sign is "<method>&%2F&" followed
// only by unreserved characters and %XY escapes, is the same whatever the
// parameter order, and ignores a Signature parameter.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "server/gateway/form_decoding.h"
#include "server/gateway/ice_signature_v1.h"

using namespace jobcontrol::gateway;  // NOLINT: test target

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto params =
      DecodeForm(std::string(reinterpret_cast<const char*>(data), size));
  if (!params.ok()) return 0;
  const std::string string_to_sign = IceV1StringToSign("POST", *params);
  if (!absl::StartsWith(string_to_sign, "POST&%2F&")) std::abort();
  for (char c : string_to_sign.substr(9)) {
    const bool allowed = absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                         c == '-' || c == '_' || c == '.' || c == '~' ||
                         c == '%';
    if (!allowed) std::abort();
  }
  ParamList reversed = *params;
  std::reverse(reversed.begin(), reversed.end());
  reversed.emplace_back("Signature", "ignored");
  if (IceV1StringToSign("POST", reversed) != string_to_sign) std::abort();
  if (IceV1Signature("secret", string_to_sign).size() != 28) std::abort();
  return 0;
}
