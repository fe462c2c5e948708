// Validation of jobcontrol.v1 requests, before anything is read or written.
// Each function returns OK or INVALID_ARGUMENT with reason MISSING_FIELD or
// INVALID_FIELD naming the field by its path in the request
// ("job.dna_analysis.db_id"). The limits are the ones the .proto documents.
#ifndef JOBCONTROL_SERVER_API_REQUEST_VALIDATION_H_
#define JOBCONTROL_SERVER_API_REQUEST_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "jobcontrol/v1/job_service.pb.h"
#include "jobcontrol/v1/pipeline_service.pb.h"

namespace jobcontrol {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;
inline constexpr size_t kMaxUserDataBytes = 1024;

// A required resource ID: MISSING_FIELD if empty, INVALID_FIELD unless 32
// lowercase hex characters.
absl::Status ValidateResourceId(absl::string_view field, absl::string_view id);

// page_size as the server uses it: 0 → 50, above 1000 → 1000, negative →
// INVALID_FIELD.
absl::StatusOr<int> EffectivePageSize(int page_size);

absl::Status ValidateSubmitJobRequest(const v1::SubmitJobRequest& request);
absl::Status ValidateJobFilter(const v1::JobFilter& filter);
absl::Status ValidateCreatePipelineRequest(
    const v1::CreatePipelineRequest& request);
absl::Status ValidateUpdatePipelineRequest(
    const v1::UpdatePipelineRequest& request);

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_API_REQUEST_VALIDATION_H_
