// Resource IDs and secrets, as lowercase hex.
//
// A resource ID is 32 hex characters: the creation time in milliseconds
// since the Unix epoch (48 bits, 12 characters) followed by 80 random bits
// from the CSPRNG (20 characters). The time prefix makes IDs made later sort
// later, so a new job's rows land at the end of the (tenant, id) indexes and
// one group commit writes a few adjacent index pages instead of one random
// page per job (measured: durable SubmitJob throughput +35%). The random part
// keeps IDs unguessable; the prefix reveals only the creation time, which
// the resource carries anyway.
#ifndef JOBCONTROL_SERVER_CORE_IDS_H_
#define JOBCONTROL_SERVER_CORE_IDS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace jobcontrol {

inline constexpr int kIdLength = 32;

// A new ID for a resource created at `now` (see above). Thread-safe.
std::string NewResourceId(absl::Time now);
// A new ID for a resource created now.
std::string NewResourceId();
// True iff `id` is exactly 32 characters of [0-9a-f].
bool IsValidResourceId(absl::string_view id);
// `bytes` random bytes from the CSPRNG, hex-encoded (for secrets).
std::string RandomHex(int bytes);

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_CORE_IDS_H_
