#include "server/gateway/ice_request_handler.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/gateway/ice_actions.h"
#include "server/gateway/ice_errors.h"
#include "server/gateway/ice_parameters.h"
#include "server/gateway/json_writer.h"

namespace jobcontrol {
namespace gateway {
namespace {

// Nonces stay as long as a request carrying one can pass the timestamp check.
constexpr size_t kNonceCapacity = 1 << 20;

std::string HostIdOf(const HttpRequest& request) {
  const std::string* host = request.FindHeader("host");
  return host == nullptr || host->empty() ? "jobcontrol" : *host;
}

// A parameter, or for V3 callers the x-acs-* header carrying it.
const std::string* ParameterOrHeader(const IceParameters& params,
                                     const HttpRequest& request,
                                     absl::string_view name,
                                     absl::string_view header) {
  const std::string* value = params.Find(name);
  return value != nullptr ? value : request.FindHeader(header);
}

HttpResponse WithIceHeaders(HttpResponse response,
                            const std::string& request_id) {
  response.headers.emplace_back("x-acs-request-id", request_id);
  return response;
}

}  // namespace

IceRequestHandler::IceRequestHandler(
    const CredentialSet* credentials,
    std::shared_ptr<grpc::ChannelInterface> channel)
    : credentials_(credentials),
      nonces_(2 * kIceMaxClockSkew, kNonceCapacity),
      authenticator_(credentials, &nonces_),
      jobs_(v1::JobService::NewStub(channel)),
      pipelines_(v1::PipelineService::NewStub(channel)) {}

void IceRequestHandler::Handle(const HttpRequest& request, Respond respond) {
  const std::string host_id = HostIdOf(request);
  auto fail = [&](const IceError& error) {
    respond(WithIceHeaders(RenderIceError(error, request.request_id, host_id),
                           request.request_id));
  };
  if (request.method != "GET" && request.method != "POST") {
    return fail(IceUnsupportedHttpMethod(request.method));
  }
  auto call = std::make_shared<IceActionCall>();
  if (auto error = IceParameters::Decode(request, &call->params)) {
    return fail(*error);
  }
  const IceParameters& params = call->params;
  const std::string* action =
      ParameterOrHeader(params, request, "Action", "x-acs-action");
  if (action == nullptr || action->empty()) {
    return fail(IceMissingParameter("Action"));
  }
  if (request.Path() != "/") return fail(IceInvalidAction(*action));
  const std::string* version =
      ParameterOrHeader(params, request, "Version", "x-acs-version");
  if (version == nullptr || version->empty()) {
    return fail(IceMissingParameter("Version"));
  }
  const IceActionFunction run = FindIceAction(*action);
  if (run == nullptr) return fail(IceInvalidAction(*action));
  if (*version != kIceApiVersion) return fail(IceInvalidVersion(*version));

  IceError error;
  const config::Credential* credential =
      authenticator_.Authenticate(request, params, absl::Now(), &error);
  if (credential == nullptr) return fail(error);
  if (!CredentialSet::Allows(*credential, absl::StrCat("ice:", *action))) {
    return fail(IceForbiddenRam(*action));
  }

  call->jobs = jobs_.get();
  call->pipelines = pipelines_.get();
  call->bearer_token = credential->bearer_token();
  call->response.Add("RequestId", request.request_id);
  call->done = [respond = std::move(respond), request_id = request.request_id,
                host_id](const std::optional<IceError>& action_error,
                         const JsonObject& body) {
    HttpResponse response;
    if (action_error) {
      response = RenderIceError(*action_error, request_id, host_id);
    } else {
      response.body = body.Serialize();
    }
    respond(WithIceHeaders(std::move(response), request_id));
  };
  run(std::move(call));
}

HttpResponse IceRequestHandler::Reject(HttpRejection rejection, int status,
                                       const std::string& request_id,
                                       const std::string& target) {
  (void)rejection;
  (void)target;
  return WithIceHeaders(
      RenderIceError(IceHttpRejection(status), request_id, "jobcontrol"),
      request_id);
}

}  // namespace gateway
}  // namespace jobcontrol
