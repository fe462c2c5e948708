// HttpGateway: the HTTP gateway serving both vendor dialects, composed: one
// HttpServer whose handler is a DialectRouter over an IceRequestHandler and
// an MpcRequestHandler, both talking to the service over `channel`. The
// daemon passes the in-process channel of its own gRPC server; with
// --upstream it passes a channel to a remote jobcontrold.
#ifndef JOBCONTROL_SERVER_GATEWAY_HTTP_GATEWAY_H_
#define JOBCONTROL_SERVER_GATEWAY_HTTP_GATEWAY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "server/api/credential_set.h"
#include "server/gateway/dialect_router.h"
#include "server/gateway/http_server.h"
#include "server/gateway/ice_request_handler.h"
#include "server/gateway/mpc_request_handler.h"

namespace jobcontrol {
namespace gateway {

class HttpGateway {
 public:
  // Starts serving on options.listen. `credentials` must outlive the
  // gateway. Errors as HttpServer::Start.
  static absl::StatusOr<std::unique_ptr<HttpGateway>> Start(
      const HttpServerOptions& options, const CredentialSet* credentials,
      std::shared_ptr<grpc::ChannelInterface> channel);
  HttpGateway(const HttpGateway&) = delete;
  HttpGateway& operator=(const HttpGateway&) = delete;
  ~HttpGateway();  // Stop()

  int port() const { return server_->port(); }
  // Stops the HTTP server (HttpServer::Stop). Idempotent.
  void Stop() { server_->Stop(); }

 private:
  HttpGateway() = default;
  std::unique_ptr<IceRequestHandler> ice_;
  std::unique_ptr<MpcRequestHandler> mpc_;
  std::unique_ptr<DialectRouter> router_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_HTTP_GATEWAY_H_
