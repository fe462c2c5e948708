// The ICE response shapes (vendor-apis.md A.1, A.2): jobcontrol.v1 jobs and
// pipelines as ICE JobList / Pipeline objects, ICE status strings and times,
// and the struct-typed request parameters (Input) decoded from JSON.
#ifndef JOBCONTROL_SERVER_GATEWAY_ICE_JSON_H_
#define JOBCONTROL_SERVER_GATEWAY_ICE_JSON_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/timestamp.pb.h"
#include "jobcontrol/v1/job.pb.h"
#include "jobcontrol/v1/pipeline.pb.h"
#include "server/gateway/ice_errors.h"
#include "server/gateway/json_writer.h"

namespace jobcontrol {
namespace gateway {

// The one mapping of job states to ICE DNA job Status strings (design.md
// §2): QUEUED Queuing; RUNNING and CANCELING Analysing; SUCCEEDED Success;
// FAILED Fail; CANCELED Canceled (ours: the vendor documents none).
const char* IceDnaJobStatus(v1::Job::State state);

// Pipeline Status: ACTIVE Active, PAUSED Paused.
const char* IcePipelineStatus(v1::Pipeline::State state);

// ISO-8601 UTC, seconds: "2022-12-28T03:21:37Z".
std::string IceTime(const google::protobuf::Timestamp& time);

// One JobList entry of QueryDNAJobList. `job` must be a DNA analysis job.
JsonObject IceDnaJobJson(const v1::Job& job);

// The Pipeline object of GetPipeline / ListPipelines / CreatePipeline.
JsonObject IcePipelineJson(const v1::Pipeline& pipeline);

// SubmitDNAJob's Input parameter, {"Media": "...", "Type": "OSS"|"Media"},
// as a MediaReference (OSS -> uri, Media -> media_id). Errors:
// InvalidParameter.JsonFormatInvalid when not a JSON object;
// MissingParameter Input.Media / Input.Type; InvalidParameter for another
// Type or non-string members.
std::optional<IceError> ParseIceInput(absl::string_view json,
                                      v1::MediaReference* media);

// True iff `json` parses as a JSON object (SubmitDNAJob's Config).
bool IsJsonObject(absl::string_view json);

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_ICE_JSON_H_
