// Validation of jobcontrol.v1 requests, before anything is read or written.
// Each function returns OK or INVALID_ARGUMENT with reason MISSING_FIELD or
// INVALID_FIELD naming the field by its path in the request
// ("job.dna_analysis.db_id"). The limits are the ones the .proto documents.
#ifndef JOBCONTROL_SERVER_API_REQUEST_VALIDATION_H_
#define JOBCONTROL_SERVER_API_REQUEST_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "jobcontrol/v1/job_service.pb.h"
#include "jobcontrol/v1/pipeline_service.pb.h"
#include "jobcontrol/v1/worker_service.pb.h"

namespace jobcontrol {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;
inline constexpr size_t kMaxUserDataBytes = 1024;

// Job.max_attempts and RetryPolicy.max_attempts: 1..100 (0: the default).
inline constexpr int kMaxAttemptsLimit = 100;
// Pipeline.max_running_jobs: 0 (no limit) .. 10000.
inline constexpr int kMaxRunningJobsLimit = 10000;
// RetryPolicy bounds (pipeline.proto).
inline constexpr absl::Duration kMinInitialBackoff = absl::Milliseconds(10);
inline constexpr absl::Duration kMaxInitialBackoff = absl::Hours(1);
inline constexpr absl::Duration kMaxMaxBackoff = absl::Hours(24);
inline constexpr absl::Duration kMinLeaseDuration = absl::Seconds(1);
inline constexpr absl::Duration kMaxLeaseDuration = absl::Hours(1);
// LeaseJobRequest.wait_timeout: 0 .. 60s.
inline constexpr absl::Duration kMaxLeaseWait = absl::Seconds(60);
inline constexpr int kMaxLeasePipelines = 100;
inline constexpr size_t kMaxWorkerIdBytes = 128;
// JobResult limits (worker_service.proto).
inline constexpr size_t kMaxOutputUriBytes = 2048;
inline constexpr size_t kMaxDetailsJsonBytes = 64 * 1024;
// FailJobRequest.error.message.
inline constexpr size_t kMaxErrorMessageBytes = 4096;
// WaitJobRequest.timeout: unset -> 30s; 0 .. 10 minutes.
inline constexpr absl::Duration kDefaultWaitJobTimeout = absl::Seconds(30);
inline constexpr absl::Duration kMaxWaitJobTimeout = absl::Minutes(10);

// A required resource ID: MISSING_FIELD if empty, INVALID_FIELD unless 32
// lowercase hex characters.
absl::Status ValidateResourceId(absl::string_view field, absl::string_view id);

// page_size as the server uses it: 0 → 50, above 1000 → 1000, negative →
// INVALID_FIELD.
absl::StatusOr<int> EffectivePageSize(int page_size);

absl::Status ValidateSubmitJobRequest(const v1::SubmitJobRequest& request);
// job_id a resource ID; kind unset or a known kind.
absl::Status ValidateCancelJobRequest(const v1::CancelJobRequest& request);
absl::Status ValidateJobFilter(const v1::JobFilter& filter);
absl::Status ValidateCreatePipelineRequest(
    const v1::CreatePipelineRequest& request);
absl::Status ValidateUpdatePipelineRequest(
    const v1::UpdatePipelineRequest& request);

// A retry policy named `field` ("pipeline.retry_policy"): max_attempts
// 0..100; set durations within their bounds; max_backoff (the default 5m
// when unset) not below initial_backoff (the default 1s when unset).
absl::Status ValidateRetryPolicy(absl::string_view field,
                                 const v1::RetryPolicy& policy);

// WorkerService requests.
absl::Status ValidateLeaseJobRequest(const v1::LeaseJobRequest& request);
absl::Status ValidateRenewLeaseRequest(const v1::RenewLeaseRequest& request);
absl::Status ValidateCompleteJobRequest(const v1::CompleteJobRequest& request);
absl::Status ValidateFailJobRequest(const v1::FailJobRequest& request);
absl::Status ValidateAcknowledgeCancelRequest(
    const v1::AcknowledgeCancelRequest& request);

// JobService streaming and long-poll requests.
absl::Status ValidateWatchJobRequest(const v1::WatchJobRequest& request);
absl::Status ValidateWaitJobRequest(const v1::WaitJobRequest& request);

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_API_REQUEST_VALIDATION_H_
