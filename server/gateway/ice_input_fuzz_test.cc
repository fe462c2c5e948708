// Fuzz target: SubmitDNAJob's JSON parameters (Input, Config) from arbitrary
// text. Input either yields a media reference with exactly one source set or a
// vendor error with a 4xx status and a Code.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/gateway/ice_json.h"

using namespace jobcontrol::gateway;  // NOLINT: test target

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string json(reinterpret_cast<const char*>(data), size);
  jobcontrol::v1::MediaReference media;
  auto error = ParseIceInput(json, &media);
  if (error.has_value()) {
    if (error->code.empty() || error->http_status != 400) std::abort();
  } else if (media.source_case() ==
             jobcontrol::v1::MediaReference::SOURCE_NOT_SET) {
    std::abort();
  }
  (void)IsJsonObject(json);
  return 0;
}
