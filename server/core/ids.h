// Resource IDs and secrets: 128 random bits as 32 lowercase hex characters.
#ifndef JOBCONTROL_SERVER_CORE_IDS_H_
#define JOBCONTROL_SERVER_CORE_IDS_H_

#include <string>
#include "absl/strings/string_view.h"

namespace jobcontrol {

inline constexpr int kIdLength = 32;

// A new ID from the operating system's CSPRNG. Thread-safe.
std::string NewResourceId();
// True iff `id` is exactly 32 characters of [0-9a-f].
bool IsValidResourceId(absl::string_view id);
// `bytes` random bytes from the CSPRNG, hex-encoded (for secrets).
std::string RandomHex(int bytes);

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_CORE_IDS_H_
