// Fuzz target: DecodePageToken on arbitrary client-supplied tokens. A token
// either decodes to a positive cursor or is INVALID_FIELD "page_token"; an
// encoded token always decodes back.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/api/page_token.h"
#include "server/core/error_reason.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string token(reinterpret_cast<const char*>(data), size);
  const uint64_t fingerprint = jobcontrol::QueryFingerprint(token);
  auto cursor = jobcontrol::DecodePageToken(token, fingerprint);
  if (cursor.ok()) {
    if (*cursor <= 0) std::abort();
    if (jobcontrol::EncodePageToken(*cursor, fingerprint).empty()) std::abort();
  } else if (jobcontrol::ErrorFieldOf(cursor.status()) != "page_token") {
    std::abort();
  }
  const int64_t sequence = static_cast<int64_t>(size) + 1;
  auto round_trip = jobcontrol::DecodePageToken(
      jobcontrol::EncodePageToken(sequence, fingerprint), fingerprint);
  if (!round_trip.ok() || *round_trip != sequence) std::abort();
  return 0;
}
