// The server's notion of now: microsecond precision, the precision the store
// keeps, so a row returned by a write equals the row read back later.
#ifndef JOBCONTROL_SERVER_CORE_CLOCK_H_
#define JOBCONTROL_SERVER_CORE_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace jobcontrol {

inline absl::Time CurrentTime() {
  return absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()));
}

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_CORE_CLOCK_H_
