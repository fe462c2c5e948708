// Fuzz target: CredentialSet::Parse on arbitrary file content. It must
// either accept or return INVALID_ARGUMENT, and an accepted set must answer
// lookups.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/api/credential_set.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string content(reinterpret_cast<const char*>(data), size);
  auto set = jobcontrol::CredentialSet::Parse(content);
  if (!set.ok()) {
    if (set.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  if (set->size() == 0) std::abort();
  (void)set->FindByBearerToken(content);
  return 0;
}
