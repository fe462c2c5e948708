// Fuzz target: DecodeForm on arbitrary query strings and form bodies. Decoded
// names are never empty and names and values are UTF-8; re-encoding a decoded
// pair and decoding it again gives the same pair.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "server/gateway/form_decoding.h"
#include "server/gateway/percent_encoding.h"

using namespace jobcontrol::gateway;  // NOLINT: test target

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  auto params = DecodeForm(input);
  if (!params.ok()) {
    if (params.status().message().empty()) std::abort();
    return 0;
  }
  for (const auto& [name, value] : *params) {
    if (name.empty() || !IsValidUtf8(name) || !IsValidUtf8(value)) std::abort();
    auto again = DecodeForm(
        absl::StrCat(AcsPercentEncode(name), "=", AcsPercentEncode(value)));
    if (!again.ok() || again->size() != 1 || (*again)[0].first != name ||
        (*again)[0].second != value) {
      std::abort();
    }
  }
  auto raw = PercentDecode(input, false);
  if (raw.ok()) {
    auto round_trip = PercentDecode(AcsPercentEncode(*raw), false);
    if (!round_trip.ok() || *round_trip != *raw) std::abort();
  }
  return 0;
}
