#include "server/gateway/dialect_router.h"

#include <utility>

#include "absl/strings/match.h"

namespace jobcontrol {
namespace gateway {

DialectRouter::DialectRouter(HttpRequestHandler* ice, HttpRequestHandler* mpc)
    : ice_(ice), mpc_(mpc) {}

bool DialectRouter::IsMpcTarget(absl::string_view target) {
  return absl::StartsWith(target, "/v1/") || absl::StartsWith(target, "/v2/");
}

void DialectRouter::Handle(const HttpRequest& request, Respond respond) {
  HttpRequestHandler* dialect = IsMpcTarget(request.Path()) ? mpc_ : ice_;
  dialect->Handle(request, std::move(respond));
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
