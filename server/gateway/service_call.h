// How the gateway's dialects call the jobcontrol.v1 services through the
// generated stubs: as the authenticated caller, with a deadline, without
// blocking a thread while the call runs, and how they read the reason of a
// failed call.
#ifndef JOBCONTROL_SERVER_GATEWAY_SERVICE_CALL_H_
#define JOBCONTROL_SERVER_GATEWAY_SERVICE_CALL_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "jobcontrol/v1/job_service.grpc.pb.h"

namespace jobcontrol {
namespace gateway {

// A context for one call that sends `authorization: Bearer <bearer_token>`
// (so the service applies the caller's own authorization and tenancy) and
// gives up after 30 seconds.
std::unique_ptr<grpc::ClientContext> NewServiceCallContext(
    absl::string_view bearer_token);

// Starts the unary RPC `rpc` of a generated stub's async interface, e.g.
// `&v1::JobService::StubInterface::async_interface::GetJob`, as the caller
// holding `bearer_token`, and returns at once. `then(const grpc::Status&,
// Response&)` is called exactly once when the call ends: on a gRPC thread,
// or on this thread when the call fails before it starts. `then` must not
// block; it may start further calls.
template <typename AsyncStub, typename Request, typename Response,
          typename Then>
void StartServiceCall(AsyncStub* stub,
                      void (AsyncStub::*rpc)(grpc::ClientContext*,
                                             const Request*, Response*,
                                             std::function<void(grpc::Status)>),
                      absl::string_view bearer_token, Request request,
                      Then then) {
  struct Call {
    std::unique_ptr<grpc::ClientContext> context;
    Request request;
    Response response;
  };
  auto call = std::make_shared<Call>();
  call->context = NewServiceCallContext(bearer_token);
  call->request = std::move(request);
  Call* started = call.get();
  (stub->*rpc)(
      started->context.get(), &started->request, &started->response,
      [call = std::move(call), then = std::move(then)](
          grpc::Status status) mutable { then(status, call->response); });
}

// The outcome of one GetJob of `job_id`: `job` is meaningful when `status`
// is OK.
struct JobLookup {
  std::string job_id;
  grpc::Status status;
  v1::Job job;
};

// Looks up every job of `ids` at once (one GetJob each, all in flight
// together) as the caller holding `bearer_token`, and calls `then` once with
// the outcomes in the order of `ids`, as StartServiceCall calls its `then`.
void LookUpJobs(v1::JobService::StubInterface* jobs,
                absl::string_view bearer_token, std::vector<std::string> ids,
                std::function<void(std::vector<JobLookup>&)> then);

// The google.rpc.ErrorInfo reason of a failed call (design.md §3), or "".
std::string ErrorReasonOf(const grpc::Status& status);

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_SERVICE_CALL_H_
