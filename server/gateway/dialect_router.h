// DialectRouter: one HTTP server, two vendor dialects. A request whose path
// starts with "/v1/" or "/v2/" is Huawei Cloud MPC (REST); every other
// request is Alibaba Cloud ICE (RPC style, path "/"). The server's own
// rejections go the same way when the request target is known, else to ICE.
// Thread-safe when both handlers are.
#ifndef JOBCONTROL_SERVER_GATEWAY_DIALECT_ROUTER_H_
#define JOBCONTROL_SERVER_GATEWAY_DIALECT_ROUTER_H_

#include <string>

#include "absl/strings/string_view.h"
#include "server/gateway/http_server.h"

namespace jobcontrol {
namespace gateway {

class DialectRouter : public HttpRequestHandler {
 public:
  // Both handlers must outlive the router.
  DialectRouter(HttpRequestHandler* ice, HttpRequestHandler* mpc);

  // True iff `target` (a request target or path) belongs to MPC.
  static bool IsMpcTarget(absl::string_view target);

  void Handle(const HttpRequest& request, Respond respond) override;
  HttpResponse Reject(HttpRejection rejection, int status,
                      const std::string& request_id,
                      const std::string& target) override;

 private:
  HttpRequestHandler* const ice_;
  HttpRequestHandler* const mpc_;
};

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_DIALECT_ROUTER_H_
