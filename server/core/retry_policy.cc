#include "server/core/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace jobcontrol {

absl::Duration RetryBackoff(const RetryPolicy& policy, int failed_attempts,
                            double jitter) {
  const absl::Duration cap = std::max(policy.max_backoff, absl::ZeroDuration());
  const absl::Duration initial =
      std::min(std::max(policy.initial_backoff, absl::ZeroDuration()), cap);
  if (initial == absl::ZeroDuration()) return absl::ZeroDuration();

  // Doubling stops as soon as the cap is reached, so a huge attempt count
  // costs at most a few dozen steps and never overflows: a positive Duration
  // reaches any finite cap within ~100 doublings.
  absl::Duration full = initial;
  for (int doublings = 1; doublings < failed_attempts && full < cap;
       ++doublings) {
    full = full < cap / 2 ? full * 2 : cap;
  }

  // NaN and out-of-range jitter would stretch or shrink the wait outside
  // [full/2, full]; clamp to [0, 1).
  if (!(jitter >= 0.0)) jitter = 0.0;
  if (jitter >= 1.0) jitter = std::nextafter(1.0, 0.0);
  const absl::Duration half = full / 2;
  return half + half * jitter;
}

}  // namespace jobcontrol
