// IceRequestHandler: the Alibaba Cloud ICE RPC dialect on the gateway's HTTP
// server. For each request, in order: method (GET/POST) and path ("/"),
// parameters (query + form body), Action and Version (parameters, or the
// x-acs-action / x-acs-version headers of V3 callers), signature
// (IceAuthenticator), RAM authorization (`ice:<Action>` in the credential's
// allowed_actions), then the action (ice_actions.h), called through the gRPC
// stubs with the credential's bearer token. Thread-safe.
#ifndef JOBCONTROL_SERVER_GATEWAY_ICE_REQUEST_HANDLER_H_
#define JOBCONTROL_SERVER_GATEWAY_ICE_REQUEST_HANDLER_H_

#include <memory>

#include "grpcpp/channel.h"
#include "jobcontrol/v1/job_service.grpc.pb.h"
#include "jobcontrol/v1/pipeline_service.grpc.pb.h"
#include "server/api/credential_set.h"
#include "server/gateway/http_server.h"
#include "server/gateway/ice_authenticator.h"
#include "server/gateway/nonce_cache.h"

namespace jobcontrol {
namespace gateway {

class IceRequestHandler : public HttpRequestHandler {
 public:
  // `credentials` must outlive the handler. `channel` leads to the
  // jobcontrol.v1 services (in-process or remote).
  IceRequestHandler(const CredentialSet* credentials,
                    std::shared_ptr<grpc::ChannelInterface> channel);

  void Handle(const HttpRequest& request, Respond respond) override;
  HttpResponse Reject(HttpRejection rejection, int status,
                      const std::string& request_id,
                      const std::string& target) override;

 private:
  const CredentialSet* credentials_;
  NonceCache nonces_;
  IceAuthenticator authenticator_;
  std::unique_ptr<v1::JobService::StubInterface> jobs_;
  std::unique_ptr<v1::PipelineService::StubInterface> pipelines_;
};

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_ICE_REQUEST_HANDLER_H_
