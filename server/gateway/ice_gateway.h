// IceGateway: the HTTP gateway serving the ICE dialect, composed: an
// HttpServer whose handler is an IceRequestHandler talking to the service
// over `channel`. The daemon passes the in-process channel of its own gRPC
// server; with --upstream it passes a channel to a remote jobcontrold.
#ifndef JOBCONTROL_SERVER_GATEWAY_ICE_GATEWAY_H_
#define JOBCONTROL_SERVER_GATEWAY_ICE_GATEWAY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "server/api/credential_set.h"
#include "server/gateway/http_server.h"
#include "server/gateway/ice_request_handler.h"

namespace jobcontrol {
namespace gateway {

class IceGateway {
 public:
  // Starts serving on options.listen. `credentials` must outlive the
  // gateway. Errors as HttpServer::Start.
  static absl::StatusOr<std::unique_ptr<IceGateway>> Start(
      const HttpServerOptions& options, const CredentialSet* credentials,
      std::shared_ptr<grpc::ChannelInterface> channel);
  IceGateway(const IceGateway&) = delete;
  IceGateway& operator=(const IceGateway&) = delete;
  ~IceGateway();  // Stop()

  int port() const { return server_->port(); }
  // Stops the HTTP server (HttpServer::Stop). Idempotent.
  void Stop() { server_->Stop(); }

 private:
  IceGateway() = default;
  std::unique_ptr<IceRequestHandler> handler_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_ICE_GATEWAY_H_
