// The ICE actions (vendor-apis.md A.1, A.2) and the jobcontrol.v1 RPCs each
// one becomes. An action reads its parameters, calls the service through the
// generated stubs as the authenticated caller, and fills the response body.
//
//   SubmitDNAJob    -> JobService.SubmitJob (dna_analysis)
//   QueryDNAJobList -> JobService.GetJob per id (unknown ids are left out)
//   CancelDNAJob    -> JobService.GetJob + CancelJob
//   CreatePipeline  -> PipelineService.CreatePipeline
//   GetPipeline     -> PipelineService.GetPipeline
//   ListPipelines   -> PipelineService.ListPipelines (every page)
//   UpdatePipeline  -> PipelineService.UpdatePipeline (Name, Priority,
//                      Status Active/Paused)
//   DeletePipeline  -> PipelineService.DeletePipeline
#ifndef JOBCONTROL_SERVER_GATEWAY_ICE_ACTIONS_H_
#define JOBCONTROL_SERVER_GATEWAY_ICE_ACTIONS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "jobcontrol/v1/job_service.grpc.pb.h"
#include "jobcontrol/v1/pipeline_service.grpc.pb.h"
#include "server/gateway/ice_errors.h"
#include "server/gateway/ice_parameters.h"
#include "server/gateway/json_writer.h"

namespace jobcontrol {
namespace gateway {

inline constexpr char kIceApiVersion[] = "2020-11-09";

struct IceActionContext {
  const IceParameters* params = nullptr;
  v1::JobService::StubInterface* jobs = nullptr;
  v1::PipelineService::StubInterface* pipelines = nullptr;
  // Sent as `authorization: Bearer <token>` on every RPC: the service then
  // applies the caller's own authorization and tenancy.
  std::string bearer_token;
};

// Runs one action. On success appends the action's fields to `*response`
// (which already holds RequestId) and returns nullopt.
using IceActionFunction = std::optional<IceError> (*)(
    const IceActionContext& context, JsonObject* response);

// The action named `name` (exact, case-sensitive), or nullptr.
IceActionFunction FindIceAction(absl::string_view name);

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_ICE_ACTIONS_H_
