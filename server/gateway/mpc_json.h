// The MPC editing-job bodies (vendor-apis.md B.1) and the one job model
// (jobcontrol.v1.Job, kind editing) they map onto:
//
//   CreateEditingJobsReq                     v1::Job
//   inputs[i].input {bucket,location,object} editing.inputs[i].media:
//                                              uri "obs://bucket/object",
//                                              region = location
//   inputs[i].timeline_start / _end          editing.inputs[i].timeline_*
//     (strings, decimal seconds)               (Durations)
//   output {bucket,location,object,          editing.output: uri
//           file_name}                         "obs://bucket/object",
//                                              region, file_name
//   editing_settings {...}                   editing.settings (values as
//                                              strings)
//   editing_type (0 or 1)                    editing.settings["editing_type"]
//   user_data                                user_data
//
// and back as a QueryEditingJob item of ListEditingJobs. Pure functions.
#ifndef JOBCONTROL_SERVER_GATEWAY_MPC_JSON_H_
#define JOBCONTROL_SERVER_GATEWAY_MPC_JSON_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/timestamp.pb.h"
#include "jobcontrol/v1/job.pb.h"
#include "server/gateway/json_writer.h"
#include "server/gateway/mpc_errors.h"

namespace jobcontrol {
namespace gateway {

// The one mapping of job states to MPC v2 status strings (design.md §2):
// QUEUED WAITING; RUNNING and CANCELING PROCESSING; SUCCEEDED SUCCEEDED;
// FAILED FAILED; CANCELED CANCELED.
const char* MpcEditingJobStatus(v1::Job::State state);

// "yyyyMMddHHmmss" UTC, e.g. "20201119103652".
std::string MpcTime(const google::protobuf::Timestamp& time);

// Parses a CreateEditingJobsReq body into `*job` (editing spec and
// user_data). 400 MPC.10202 naming the member when the body is not a JSON
// object, a member has the wrong JSON type, inputs or output is missing or
// incomplete, an enum of editing_settings is not one of the vendor's values,
// or a timeline value is not a non-negative decimal number of seconds (or
// the end is not after the start).
std::optional<MpcError> ParseMpcCreateEditingJob(absl::string_view body,
                                                 v1::Job* job);

// One job_array item of ListEditingJobs: job_id, status, progress, times,
// user_data, output; error_code and description when FAILED. `job` must be
// an editing job.
JsonObject MpcEditingJobJson(const v1::Job& job);

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_MPC_JSON_H_
