#include "server/gateway/ice_gateway.h"

#include <utility>

namespace jobcontrol {
namespace gateway {

absl::StatusOr<std::unique_ptr<IceGateway>> IceGateway::Start(
    const HttpServerOptions& options, const CredentialSet* credentials,
    std::shared_ptr<grpc::ChannelInterface> channel) {
  std::unique_ptr<IceGateway> gateway(new IceGateway());
  gateway->handler_ =
      std::make_unique<IceRequestHandler>(credentials, std::move(channel));
  auto server = HttpServer::Start(options, gateway->handler_.get());
  if (!server.ok()) return server.status();
  gateway->server_ = *std::move(server);
  return gateway;
}

IceGateway::~IceGateway() {
  if (server_) server_->Stop();
}

}  // namespace gateway
}  // namespace jobcontrol
