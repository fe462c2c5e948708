// MpcRequestHandler: the Huawei Cloud MPC editing-job dialect (REST) on the
// gateway's HTTP server. For each request, in order: route (mpc_routes.h:
// 404 APIG.0101, 400 MPC.10204 / MPC.10202), query decoding, authentication
// and project (MpcAuthenticator: 401 APIG.0301 / MPC.10208), IAM-style
// authorization (mpc:editingTask:create|view|delete in the credential's
// allowed_actions: 403 MPC.10212), content type of a create (400 MPC.10205),
// then the operation, called through the gRPC stubs with the credential's
// bearer token:
//
//   create -> JobService.SubmitJob (editing)          200 {"job_id"}
//   list   -> JobService.GetJob per id; unknown ids   200 {"job_array"}
//             and other kinds are left out
//   cancel -> JobService.GetJob + CancelJob           204, no body;
//             404 MPC.10202 unknown, 403 MPC.10213 no longer WAITING
//
// Every answer, errors included, carries X-Request-Id
// "<uuid>-<yyyyMMddHHmmss>-<hostname>" (vendor-apis.md B.0). Thread-safe.
#ifndef JOBCONTROL_SERVER_GATEWAY_MPC_REQUEST_HANDLER_H_
#define JOBCONTROL_SERVER_GATEWAY_MPC_REQUEST_HANDLER_H_

#include <memory>
#include <string>

#include "grpcpp/channel.h"
#include "jobcontrol/v1/job_service.grpc.pb.h"
#include "server/api/credential_set.h"
#include "server/gateway/http_server.h"
#include "server/gateway/mpc_authenticator.h"
#include "server/gateway/mpc_routes.h"

namespace jobcontrol {
namespace gateway {

class MpcRequestHandler : public HttpRequestHandler {
 public:
  // `credentials` must outlive the handler. `channel` leads to the
  // jobcontrol.v1 services (in-process or remote).
  MpcRequestHandler(const CredentialSet* credentials,
                    std::shared_ptr<grpc::ChannelInterface> channel);

  void Handle(const HttpRequest& request, Respond respond) override;
  HttpResponse Reject(HttpRejection rejection, int status,
                      const std::string& request_id,
                      const std::string& target) override;

  // The MPC form of the server's request id `request_id` (a UUID):
  // "<uuid, lower case>-<yyyyMMddHHmmss UTC now>-<hostname>".
  std::string MpcRequestId(const std::string& request_id) const;

 private:
  // Start the three operations; each answers through `respond` (without the
  // request id header, which Handle adds). `bearer_token` is the caller's
  // (the service takes the tenant from it, checked against the path
  // already).
  void Create(const HttpRequest& request, const std::string& bearer_token,
              const std::string& mpc_request_id, Respond respond);
  void List(const MpcRoute& route, const std::string& bearer_token,
            const std::string& mpc_request_id, Respond respond);
  void Cancel(const MpcRoute& route, const std::string& bearer_token,
              const std::string& mpc_request_id, Respond respond);

  const std::string hostname_;
  MpcAuthenticator authenticator_;
  std::unique_ptr<v1::JobService::StubInterface> jobs_;
};

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_MPC_REQUEST_HANDLER_H_
