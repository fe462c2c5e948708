// The job model of the core layer: plain values, no gRPC, protobuf or SQL.
#ifndef JOBCONTROL_SERVER_CORE_JOB_H_
#define JOBCONTROL_SERVER_CORE_JOB_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"

namespace jobcontrol {

// Lifecycle states; numerically equal to jobcontrol.v1.Job.State.
enum class JobState {
  kQueued = 1,
  kRunning = 2,
  kCanceling = 3,
  kSucceeded = 4,
  kFailed = 5,
  kCanceled = 6,
};
inline constexpr int kJobStateCount = 6;

// True for SUCCEEDED, FAILED and CANCELED.
bool IsTerminal(JobState state);
// "QUEUED", "RUNNING", ... as in the proto enum.
const char* JobStateName(JobState state);

// Numerically equal to jobcontrol.v1.JobKind.
enum class JobKind {
  kDnaAnalysis = 1,
  kEditing = 2,
};

// Why a job failed, in google.rpc.Status terms (code is a canonical code).
struct JobError {
  int code = 0;
  std::string message;
};

// A job as stored. The typed spec and the result are opaque serialized
// payloads here: the api layer owns their schema, the core only moves them.
struct Job {
  std::string tenant;
  std::string id;
  JobState state = JobState::kQueued;
  JobKind kind = JobKind::kDnaAnalysis;
  std::string spec;  // serialized jobcontrol.v1 spec message of `kind`
  std::string pipeline_id;
  int priority = 6;
  std::string user_data;
  absl::Time create_time = absl::UnixEpoch();
  std::optional<absl::Time> start_time;
  std::optional<absl::Time> end_time;
  absl::Time update_time = absl::UnixEpoch();
  int attempt_count = 0;
  std::string result;  // serialized jobcontrol.v1.JobResult, empty if none
  std::optional<JobError> error;
  // 1..100, fixed at submit (the request's, else the pipeline's policy).
  int max_attempts = 3;
  // The current lease, set exactly while RUNNING or CANCELING.
  std::string lease_id;    // fencing token
  std::string worker_id;
  std::optional<absl::Time> lease_expire_time;
  // QUEUED after a failure: not dispatched before this time.
  std::optional<absl::Time> next_attempt_time;
  // Store-assigned: increases by one on every change; the etag derives from
  // it and compare-and-set uses it.
  int64_t version = 0;
  // Store-assigned insertion order, used for stable list order.
  int64_t sequence = 0;
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_CORE_JOB_H_
