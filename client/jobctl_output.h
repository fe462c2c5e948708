// How jobctl shows responses and errors: aligned tables for lists, key/value
// views for one resource, JSON for scripts, and one line per error.
#ifndef JOBCONTROL_CLIENT_JOBCTL_OUTPUT_H_
#define JOBCONTROL_CLIENT_JOBCTL_OUTPUT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "jobcontrol/v1/job.pb.h"
#include "jobcontrol/v1/pipeline.pb.h"

namespace jobcontrol {

// Columns ID, STATE, KIND, PIPELINE, PRIORITY, CREATED, USER_DATA; user data
// longer than 32 characters is cut short ("...").
std::string JobsTable(const google::protobuf::RepeatedPtrField<v1::Job>& jobs);

// Columns ID, NAME, STATE, PRIORITY, DEFAULT, CREATED.
std::string PipelinesTable(
    const google::protobuf::RepeatedPtrField<v1::Pipeline>& pipelines);

// One "key  value" line per set field, keys named as the proto fields
// ("state", "dna_analysis.db_id", "editing.inputs[0]"), times in RFC 3339 UTC.
std::string JobDetails(const v1::Job& job);
std::string PipelineDetails(const v1::Pipeline& pipeline);

// One line (ending in '\n') for a version of a job, as `jobctl watch` prints:
// "<update_time>  v<version>  <STATE>  attempt <n>[/<max>]" followed, when
// they apply, by "  worker <id>", "  next attempt <time>", "  output <uri>"
// and "  error <CODE>: <message>"; control characters escaped.
std::string WatchLine(const v1::Job& job);

// The message in the proto3 JSON mapping on one line, with fields at their
// default value included, followed by '\n'.
absl::StatusOr<std::string> JsonLine(const google::protobuf::Message& message);

// "jobctl: <CODE> (<REASON>, field <field>): <message>" for an error returned
// by JobControlClient; the parenthesis lists only the parts that are known,
// and the reason is left out when it only repeats the code.
std::string ServerErrorLine(const absl::Status& status);

// "dna" / "editing" / "unspecified": the names --kind takes.
std::string JobKindName(v1::JobKind kind);

}  // namespace jobcontrol

#endif  // JOBCONTROL_CLIENT_JOBCTL_OUTPUT_H_
