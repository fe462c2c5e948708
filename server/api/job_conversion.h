// Translation between core values (server/core) and jobcontrol.v1 messages.
#ifndef JOBCONTROL_SERVER_API_JOB_CONVERSION_H_
#define JOBCONTROL_SERVER_API_JOB_CONVERSION_H_

#include <string>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "jobcontrol/v1/job.pb.h"
#include "jobcontrol/v1/job_service.pb.h"
#include "jobcontrol/v1/pipeline.pb.h"
#include "server/core/job.h"
#include "server/core/pipeline.h"
#include "server/store/store.h"

namespace jobcontrol {

google::protobuf::Timestamp ToTimestamp(absl::Time time);
absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp);

// The etag of a stored row: derived from its version, opaque to clients.
std::string EtagOf(int64_t version);

// The proto view of a stored job. The spec and result payloads are parsed
// back into their messages (they were written by JobSpecToCore).
v1::Job JobToProto(const Job& job);

// Bytes of `message` that are equal for equal messages (map order fixed):
// stored specs and idempotency fingerprints.
std::string SerializeDeterministically(
    const google::protobuf::MessageLite& message);

// Fills kind and spec (serialized spec message) of `job` from the spec
// oneof of `proto`, which must be set (validated before).
void JobSpecToCore(const v1::Job& proto, Job* job);

// The submission SubmitJob stores for `request`, which must have passed
// ValidateSubmitJobRequest: a new QUEUED job of `tenant` with a fresh id,
// created at `now`, and the request's idempotency key and fingerprint.
// jobcontrold's SubmitJob and the offline bulk loader (bench/) both build
// jobs only through this function.
JobSubmission SubmissionFromRequest(const v1::SubmitJobRequest& request,
                                    const std::string& tenant, absl::Time now);

v1::Pipeline PipelineToProto(const Pipeline& pipeline);

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_API_JOB_CONVERSION_H_
