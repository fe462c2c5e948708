#include "server/gateway/dialect_router.h"

#include "absl/strings/match.h"

namespace jobcontrol {
namespace gateway {

DialectRouter::DialectRouter(HttpRequestHandler* ice, HttpRequestHandler* mpc)
    : ice_(ice), mpc_(mpc) {}

bool DialectRouter::IsMpcTarget(absl::string_view target) {
  return absl::StartsWith(target, "/v1/") || absl::StartsWith(target, "/v2/");
}

HttpResponse DialectRouter::Handle(const HttpRequest& request) {
  return IsMpcTarget(request.Path()) ? mpc_->Handle(request)
                                     : ice_->Handle(request);
}

HttpResponse DialectRouter::Reject(HttpRejection rejection, int status,
                                   const std::string& request_id,
                                   const std::string& target) {
  return IsMpcTarget(target)
             ? mpc_->Reject(rejection, status, request_id, target)
             : ice_->Reject(rejection, status, request_id, target);
}

}  // namespace gateway
}  // namespace jobcontrol
