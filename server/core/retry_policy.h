// RetryPolicy: how often a job is started and how long it waits between
// starts, and how long a lease lasts (docs/scheduling.md). Pure.
#ifndef JOBCONTROL_SERVER_CORE_RETRY_POLICY_H_
#define JOBCONTROL_SERVER_CORE_RETRY_POLICY_H_

#include "absl/time/time.h"

namespace jobcontrol {

struct RetryPolicy {
  int max_attempts = 3;
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(5);
  absl::Duration lease_duration = absl::Seconds(30);

  bool operator==(const RetryPolicy& other) const {
    return max_attempts == other.max_attempts &&
           initial_backoff == other.initial_backoff &&
           max_backoff == other.max_backoff &&
           lease_duration == other.lease_duration;
  }
  bool operator!=(const RetryPolicy& other) const { return !(*this == other); }
};

// Wait before the start that follows `failed_attempts` failed starts (>= 1):
// d = min(initial_backoff * 2^(failed_attempts-1), max_backoff), returned as
// d/2 + jitter * d/2 ("equal jitter"). `jitter` in [0, 1) comes from the
// caller so this stays pure; 0 gives the shortest wait.
absl::Duration RetryBackoff(const RetryPolicy& policy, int failed_attempts,
                            double jitter);

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_CORE_RETRY_POLICY_H_
