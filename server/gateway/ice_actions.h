// The ICE actions (vendor-apis.md A.1, A.2) and the jobcontrol.v1 RPCs each
// one becomes. An action reads its parameters, calls the service through the
// generated stubs' async interface as the authenticated caller (never
// blocking a thread), and fills the response body.
//
//   SubmitDNAJob    -> JobService.SubmitJob (dna_analysis)
//   QueryDNAJobList -> JobService.GetJob per id, all at once (unknown ids are
//                      left out)
//   CancelDNAJob    -> JobService.CancelJob (kind dna_analysis); GetJob when
//                      refused, for the state that refused it
//   CreatePipeline  -> PipelineService.CreatePipeline
//   GetPipeline     -> PipelineService.GetPipeline
//   ListPipelines   -> PipelineService.ListPipelines (every page)
//   UpdatePipeline  -> PipelineService.UpdatePipeline (Name, Priority,
//                      Status Active/Paused)
//   DeletePipeline  -> PipelineService.DeletePipeline
#ifndef JOBCONTROL_SERVER_GATEWAY_ICE_ACTIONS_H_
#define JOBCONTROL_SERVER_GATEWAY_ICE_ACTIONS_H_

#include <functional>
#include <memory>
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

// One running action: what it reads, where it writes its answer, and whom
// it tells when it ends. Shared by the action's continuations.
struct IceActionCall {
  IceParameters params;
  v1::JobService::StubInterface* jobs = nullptr;
  v1::PipelineService::StubInterface* pipelines = nullptr;
  // Sent as `authorization: Bearer <token>` on every RPC: the service then
  // applies the caller's own authorization and tenancy.
  std::string bearer_token;
  // Holds RequestId; the action appends its fields on success.
  JsonObject response;
  // Called once by Finish.
  std::function<void(const std::optional<IceError>& error,
                     const JsonObject& response)>
      done;

  // Ends the action: nullopt on success (with `response` complete).
  void Finish(const std::optional<IceError>& error) { done(error, response); }
};

// Starts one action and returns without waiting for its RPCs (service_call.h);
// the action calls `call->Finish` exactly once, on this thread or a gRPC
// thread.
using IceActionFunction = void (*)(std::shared_ptr<IceActionCall> call);

// The action named `name` (exact, case-sensitive), or nullptr.
IceActionFunction FindIceAction(absl::string_view name);

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_ICE_ACTIONS_H_
