#include "server/gateway/http_gateway.h"

#include <utility>

namespace jobcontrol {
namespace gateway {

absl::StatusOr<std::unique_ptr<HttpGateway>> HttpGateway::Start(
    const HttpServerOptions& options, const CredentialSet* credentials,
    std::shared_ptr<grpc::ChannelInterface> channel) {
  std::unique_ptr<HttpGateway> gateway(new HttpGateway());
  gateway->ice_ = std::make_unique<IceRequestHandler>(credentials, channel);
  gateway->mpc_ =
      std::make_unique<MpcRequestHandler>(credentials, std::move(channel));
  gateway->router_ =
      std::make_unique<DialectRouter>(gateway->ice_.get(), gateway->mpc_.get());
  auto server = HttpServer::Start(options, gateway->router_.get());
  if (!server.ok()) return server.status();
  gateway->server_ = *std::move(server);
  return gateway;
}

HttpGateway::~HttpGateway() {
  if (server_) server_->Stop();
}

}  // namespace gateway
}  // namespace jobcontrol
