// Translation between core values (server/core) and jobcontrol.v1 messages.
#ifndef JOBCONTROL_SERVER_API_JOB_CONVERSION_H_
#define JOBCONTROL_SERVER_API_JOB_CONVERSION_H_

#include <string>

#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "jobcontrol/v1/job.pb.h"
#include "jobcontrol/v1/job_service.pb.h"
#include "jobcontrol/v1/pipeline.pb.h"
#include "server/core/job.h"
#include "server/core/pipeline.h"
#include "server/core/retry_policy.h"
#include "server/store/store.h"

namespace jobcontrol {

google::protobuf::Timestamp ToTimestamp(absl::Time time);
absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp);

// Durations at the precision the server keeps (microseconds; finer parts
// are dropped). `duration` must be finite (validated before).
google::protobuf::Duration ToDurationProto(absl::Duration duration);
absl::Duration FromDurationProto(const google::protobuf::Duration& duration);

// The etag of a stored row: derived from its version, opaque to clients.
std::string EtagOf(int64_t version);

// The proto view of a stored job, output-only fields included (lease
// fields only while the job holds a lease, next_attempt_time only while it
// is set). The spec and result payloads are parsed back into their messages
// (they were written by JobSpecToCore / SerializeDeterministically).
// Replaces the contents of `*proto`, which may live on an arena (its
// strings and sub-messages are then allocated there too).
void JobToProto(const Job& job, v1::Job* proto);

// Bytes of `message` that are equal for equal messages (map order fixed):
// stored specs and idempotency fingerprints.
std::string SerializeDeterministically(
    const google::protobuf::MessageLite& message);

// Fills kind and spec (serialized spec message) of `job` from the spec
// oneof of `proto`, which must be set (validated before).
void JobSpecToCore(const v1::Job& proto, Job* job);

// The settable fields of a submitted job: spec (JobSpecToCore), pipeline_id,
// priority (0 -> kDefaultPriority), user_data and max_attempts (0 stays 0:
// the store fills in the pipeline's). `proto` was validated before.
void SubmittedJobToCore(const v1::Job& proto, Job* job);

// The submission SubmitJob stores for `request`, which must have passed
// ValidateSubmitJobRequest: a new QUEUED job of `tenant` (fields from
// SubmittedJobToCore) with a fresh id, created at `now`, and the request's
// idempotency key and fingerprint.
// jobcontrold's SubmitJob and the offline bulk loader (bench/) both build
// jobs only through this function.
JobSubmission SubmissionFromRequest(const v1::SubmitJobRequest& request,
                                    const std::string& tenant, absl::Time now);

// Always every field, with the effective values (never 0 or unset).
v1::RetryPolicy RetryPolicyToProto(const RetryPolicy& policy);
// Unset fields (and max_attempts 0) take RetryPolicy's defaults. `proto`
// was validated before (ValidateRetryPolicy).
RetryPolicy RetryPolicyFromProto(const v1::RetryPolicy& proto);

// The proto view of a stored pipeline, with its effective retry policy.
v1::Pipeline PipelineToProto(const Pipeline& pipeline);

// The settable fields of a pipeline from a create request: name, state
// (unset -> ACTIVE), priority (0 -> kDefaultPriority), max_running_jobs and
// retry_policy (RetryPolicyFromProto; unset -> defaults).
void CreatedPipelineToCore(const v1::Pipeline& proto, Pipeline* pipeline);

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_API_JOB_CONVERSION_H_
