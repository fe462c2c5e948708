// The pipeline model of the core layer.
#ifndef JOBCONTROL_SERVER_CORE_PIPELINE_H_
#define JOBCONTROL_SERVER_CORE_PIPELINE_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "server/core/retry_policy.h"

namespace jobcontrol {

// Numerically equal to jobcontrol.v1.Pipeline.State.
enum class PipelineState {
  kActive = 1,
  kPaused = 2,
};

inline constexpr int kDefaultPriority = 6;
inline constexpr int kMinPriority = 1;
inline constexpr int kMaxPriority = 10;

struct Pipeline {
  std::string tenant;
  std::string id;
  std::string name;
  PipelineState state = PipelineState::kActive;
  int priority = kDefaultPriority;
  bool is_default = false;
  int max_running_jobs = 0;  // 0: no limit
  RetryPolicy retry_policy;
  absl::Time create_time = absl::UnixEpoch();
  absl::Time update_time = absl::UnixEpoch();
  int64_t version = 0;   // store-assigned, +1 per change
  int64_t sequence = 0;  // store-assigned insertion order
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_CORE_PIPELINE_H_
